"""Marginal values: what one more £ of budget, target or cap is worth at the optimum.

The integer decisions (every select, and units where integer_units) are fixed at the base
plan by bounds lb = ub and made continuous, so HiGHS solves an LP and returns row duals and
ranging. HiGHS's row dual is d(objective)/d(row bound) whatever the sense, so the gain from
raising a bound by one is the dual when maximising and minus the dual for min_cost (cost
saved). Rows read: budget_limit[p, t], target[id, period], and red_line[id, t] of max_share
and spend_cap red lines. The range is HiGHS's bound ranging: the bound may move from
range_low to range_high with the same dual (the basis stays optimal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from pbo.models.base import currency_symbol
from pbo.optimizer.solving.highs import HighsSession, restore

_PARAMETERISED = ("max_share", "spend_cap")


@dataclass(frozen=True)
class Marginal:
    kind: str
    """budget | target | red_line."""
    id: str
    """The partner (budget), target or red line id."""
    period: str
    """The year, or 'horizon'."""
    bound: str
    """Which bound the dual belongs to: upper (a cap) or lower (a minimum)."""
    level: float
    """The bound's current value."""
    dual: float
    """Objective gained (min_cost: cost saved) per +1 on that bound."""
    range_low: float | None
    range_high: float | None
    words: str


def _pounds(x: float, currency: str) -> str:
    symbol = currency_symbol(currency)
    sign = "-" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}{symbol}{x / 1e6:,.2f}m"
    return f"{sign}{symbol}{x:,.0f}" if x >= 1e4 else f"{sign}{symbol}{x:,.2f}"


def _rows(session: HighsSession) -> list[tuple[str, str, str, Any, str]]:
    """(kind, id, period, Pyomo row, what one unit of its bound is) for every row read."""
    m, sc = session.built.m, session.built.data.scenario
    cur = currency_symbol(sc.currency) + "1"
    out = []
    if hasattr(m, "budget_limit"):
        for (p, t), row in m.budget_limit.items():
            partner = sc.partner[p]
            upto = " (running total to that year)" if partner.carry_over else ""
            out.append(("budget", p, str(t), row,
                        f"{cur} of {partner.label} budget in {t}{upto}"))
    if hasattr(m, "target"):
        targets = {t.id: t for t in sc.targets}
        for (tid, period), row in m.target.items():
            t = targets[tid]
            unit = f"unit of {t.outcome}" if t.measure == "outcome" else cur
            when = "over the horizon" if period == "horizon" else f"in {period}"
            out.append(("target", tid, str(period), row,
                        f"{unit} of target {tid} ({t.measure} {when})"))
    if hasattr(m, "red_line"):
        rules = {r.id: r for r in sc.red_lines}
        for (rid, part), row in m.red_line.items():
            rule = rules[rid]
            if rule.rule not in _PARAMETERISED:
                continue
            what = (f"{sc.partner[rule.partner].label}'s pooling cap" if rule.rule == "max_share"
                    else "the spend cap")
            out.append(("red_line", rid, str(part), row,
                        f"{cur} of {what} ({rid}) in {part}"))
    return out


def _integer_columns(session: HighsSession) -> tuple[list[int], list[float]]:
    m, sc = session.built.m, session.built.data.scenario
    integer = [m.select[i] for i in m.select] + [
        m.units[iv.id] for iv in sc.interventions if iv.integer_units]
    cols = [session.col_of(v) for v in integer]
    held = [float(round(v.value or 0.0)) for v in integer]
    return cols, held


def _solve_fixed_lp(session: HighsSession) -> tuple[Any, Any] | None:
    """Run the LP with integers fixed (model changes undone); (solution, ranging) or None."""
    h = session.highs
    cols, held = _integer_columns(session)
    idx = np.array(cols, dtype=np.int32)
    kinds = np.array(h.getLp().integrality_, dtype=np.uint8) if cols else None
    with session.edits() as edits:
        edits.set_col_bounds(cols, held, held)
        if cols:
            h.changeColsIntegrality(len(cols), idx, np.full(len(cols), 0, dtype=np.uint8))
        try:
            outcome = session.run()
            if outcome.status != "optimal":
                return None
            solution = h.getSolution()
            status, ranging = h.getRanging()
            return solution, ranging if status == highspy.HighsStatus.kOk else None
        finally:
            if cols and kinds is not None and len(kinds):
                h.changeColsIntegrality(len(cols), idx, kinds[idx])


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) and abs(x) < highspy.kHighsInf else None


def marginal_values(session: HighsSession, snapshot: dict[int, float | None]) -> list[Marginal]:
    """The marginal value of every budget, target and parameterised red-line row, from the
    LP with the integer decisions of the plan in `snapshot` fixed."""
    built = session.built
    restore(built.m, snapshot)
    solved = _solve_fixed_lp(session)
    if solved is None:
        return []
    solution, ranging = solved
    lp = session.highs.getLp()
    lower, upper = np.array(lp.row_lower_), np.array(lp.row_upper_)
    sign = 1.0 if built.maximise else -1.0
    currency = built.data.scenario.currency
    out = []
    for kind, ident, period, row, unit in _rows(session):
        r = session.row_of(row)
        activity, dual = solution.row_value[r], solution.row_dual[r]
        lo, up = lower[r], upper[r]
        near_up = math.isfinite(up) and (not math.isfinite(lo)
                                         or abs(activity - up) <= abs(activity - lo))
        bound = "upper" if near_up else "lower"
        level = float(up if near_up else lo)
        gain = sign * float(dual)
        if abs(gain) < 1e-9:
            gain = 0.0
        low = high = None
        if ranging is not None and gain != 0.0:  # a slack row's range says nothing useful
            low = _finite(ranging.row_bound_dn.value_[r])
            high = _finite(ranging.row_bound_up.value_[r])
        out.append(Marginal(kind=kind, id=ident, period=period, bound=bound, level=level,
                            dual=gain, range_low=low, range_high=high,
                            words=_words(unit, gain, low, high, currency, built.maximise)))
    return out


def _words(unit: str, gain: float, low: float | None, high: float | None, currency: str,
           maximise: bool) -> str:
    if gain == 0.0:
        return f"each extra {unit} is worth nothing (there is room to spare)"
    verb = ("is worth" if gain > 0 else "costs") if maximise else (
        "saves" if gain > 0 else "costs")
    span = ""
    if low is not None and high is not None and abs(high - low) <= 1e-9 * max(1.0, abs(low)):
        span = (f" (this rate holds only at today's level, {_pounds(low, currency)}: a move "
                "either way changes it)")
    elif low is not None or high is not None:
        span = (f" (holds from {_pounds(low, currency) if low is not None else '-∞'}"
                f" to {_pounds(high, currency) if high is not None else '∞'})")
    return f"each extra {unit} {verb} {_pounds(abs(gain), currency)}{span}"
