"""Does relaxing a red line improve the objective by more than the tolerance? Answered with
as little solving as can prove it.

For each red line, in order of cost:
1. no rows: not binding;
2. skipped, not binding, when a proof needs no solve: every row of the red line is implied
   by the bounds of its columns (it can never be violated), or the model is a linear
   programme and every row is slack at the base plan (an LP optimum stays optimal when a
   slack row is removed: the two feasible sets agree near it, and a local optimum of an LP
   is global). The model is a linear programme in effect when every binary only gates its
   intervention's scale (`fairness.gate_only`: no fixed cost, minimum scale, whole units,
   link or red line naming it; such a binary can be 1 wherever there are units) and no other
   column is integer;
3. otherwise the MIP with the rows freed, started from the base plan, with an absolute gap
   of the tolerance: HiGHS stops as soon as its bound shows that no plan beats the base by
   more than the tolerance ("cut off"). HiGHS 1.16 has no MIP cutoff option
   (`objective_bound` applies to the dual simplex only), and the base plan as incumbent with
   this gap is the same test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo

from pbo.optimizer.solving.fairness import FAIRNESS_TOLERANCE, gate_only
from pbo.optimizer.solving.highs import HighsSession, Outcome, restore, values


def red_line_rows(m: pyo.ConcreteModel, red_line_id: str) -> list[Any]:
    """The constraint rows of one red line (none when it constrains nothing)."""
    if not hasattr(m, "red_line"):
        return []
    return [m.red_line[k] for k in m.red_line if k[0] == red_line_id]


def objective_value(built: Any) -> float:
    return float(pyo.value(built.m.objective))


def _implied(h: highspy.Highs, rows: list[int], lo: np.ndarray, up: np.ndarray) -> bool:
    """Every row's activity stays within its bounds for every column value within bounds."""
    for row in rows:
        _, lower, upper, _ = h.getRow(row)
        _, idx, val = h.getRowEntries(row)
        idx, val = np.asarray(idx), np.asarray(val)
        with np.errstate(invalid="ignore"):
            hi = np.where(val > 0, val * up[idx], val * lo[idx])
            low = np.where(val > 0, val * lo[idx], val * up[idx])
        if upper < highspy.kHighsInf and not float(np.nansum(hi)) <= upper:
            return False
        if lower > -highspy.kHighsInf and not float(np.nansum(low)) >= lower:
            return False
    return True


def _slack(h: highspy.Highs, rows: list[int], activity: np.ndarray, tol: float) -> bool:
    for row in rows:
        _, lower, upper, _ = h.getRow(row)
        if not (activity[row] < upper - tol and activity[row] > lower + tol):
            return False
    return True


def run_against(session: HighsSession, base: float,
                start: np.ndarray | None = None) -> Outcome:
    """Re-solve (after rows were freed) from the base plan as incumbent (`start`: its column
    values; None: the values now in the Pyomo model), stopping as soon as HiGHS's bound
    shows no plan beats `base` by more than the tolerance (an absolute gap of that
    tolerance). With `start` given, the Pyomo values are left as they are."""
    h = session.highs
    h.setOptionValue("mip_abs_gap", FAIRNESS_TOLERANCE * max(1.0, abs(base)))
    try:
        if start is None:
            return session.run(start={})
        h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
        return session.run(load=False)
    finally:
        h.setOptionValue("mip_abs_gap", 1e-6)


def check_binding(session: HighsSession, base: float,
                  stop: Callable[[], bool] | None = None) -> dict[str, tuple[bool, float | None]]:
    """For each red line with rows: does relaxing it alone improve the objective?
    `stop`, asked before each re-solve, ends the checks early (the rest are not checked).

    See the module docstring for the order of proofs; `session.report.resolves` counts the
    red lines decided without a solve (`skipped`), by a re-solve that proved no plan is
    better by more than the tolerance (`cut_off`) and by one that found a better plan
    (`improved`).
    """
    built, m = session.built, session.built.m
    h = session.highs
    snapshot = values(m)
    counts = session.report.resolves
    for key in ("skipped", "cut_off", "improved"):
        counts.setdefault(key, 0)
    tol = FAIRNESS_TOLERANCE * max(1.0, abs(base))
    lp = h.getLp()
    lo, up = np.array(lp.col_lower_), np.array(lp.col_upper_)
    d = built.data
    continuous = all(k == highspy.HighsVarType.kContinuous for k in lp.integrality_)
    # The slack argument needs the base plan optimal, not just within the MIP gap: a gated
    # model counts as an LP only when HiGHS closed its gap (as it does at an LP vertex).
    gap = h.getInfo().mip_gap
    is_lp = continuous or (gate_only(d.scenario) == set(d.interventions)
                           and 0.0 <= gap <= 1e-9)
    solution = h.getSolution()
    activity = np.array(solution.row_value)
    start = np.array(solution.col_value)

    def better(value: float) -> bool:
        return (value - base if built.maximise else base - value) > tol

    out: dict[str, tuple[bool, float | None]] = {}
    for rule in built.data.model_scenario.red_lines:  # canonical order: same runs, same plan
        rows = [session.row_of(r) for r in red_line_rows(m, rule.id)]
        if not rows:
            out[rule.id] = (False, base)
            continue
        if _implied(h, rows, lo, up) or (is_lp and _slack(h, rows, activity, 1e-7)):
            counts["skipped"] += 1
            out[rule.id] = (False, base)
            continue
        if stop is not None and stop():
            break
        with session.edits() as edits:
            edits.free_rows(rows)
            outcome = run_against(session, base, start)
        relaxed_value = outcome.objective if outcome.has_solution else None
        binds = relaxed_value is not None and better(relaxed_value)
        counts["improved" if binds else "cut_off"] += 1
        out[rule.id] = (binds, relaxed_value)
    restore(m, snapshot)
    return out
