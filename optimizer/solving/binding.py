"""Does relaxing a red line improve the objective by more than the tolerance? Answered with
as little solving as can prove it, and with the relaxed optimum exact where it binds.

For each red line, in order of cost:
1. no rows: not binding;
2. `implied`, no solve: every row of the red line is implied by the bounds of its columns
   (it can never be violated);
3. `lp_bound`, one warm-started LP: the LP relaxation of the model with the red line's rows
   freed (on its own copy of the model, re-solved from its optimal basis) bounds every plan
   of the relaxed MIP. If it is no better than the base objective plus the tolerance, no
   plan is: not binding. A pooled-budget model's LP relaxation is usually within a
   millionth of its MIP optimum, so most red lines that do not bind are decided here;
4. `lp_plan`: that LP's solution is itself a plan (every whole-number column whole once a
   fractional selection is set by whether its intervention has units; every row, bound
   and the objective checked again): the relaxed optimum is the LP's, exactly;
5. `lp_rounded`, one to three more LPs: that LP's answer with its whole-number columns
   rounded to the nearest, up or down (a fractional selection with whole units following
   them) and fixed, the rest re-solved as an LP. When the best of these is a plan (every
   row and bound checked again) that beats the base by more than the tolerance, the red
   line binds: the relaxed objective at least that plan's, at most the LP bound (a range,
   as `found`). Not tried with `exact_red_lines`;
6. otherwise the MIP with the rows freed, started from the base plan, with an absolute gap
   of the tolerance: HiGHS stops as soon as its bound shows that no plan beats the base by
   more than the tolerance (`cut_off`), or, once it finds a plan that does, there (`found`:
   binding, the relaxed objective at least that plan's and at most the LP bound or HiGHS's
   own bound). With `SolverOptions.exact_red_lines` it solves on to the relaxed optimum
   (`improved`), one full MIP per binding red line.

   When two or more red lines are left for step 6, one MIP first frees all their rows at
   once, as above. Freeing more rows only adds plans, so when no plan beats the base by
   more than the tolerance with all of them freed, none does with one freed: none of
   them binds (`cut_off_together`, one MIP for all). When one does, each is then checked
   alone as above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import highspy
import numpy as np
import pyomo.core as pyo

from pbo.optimizer.solving.edits import Edits
from pbo.optimizer.solving.fairness import FAIRNESS_TOLERANCE
from pbo.optimizer.solving.feasibility import (
    broken_rows,
    matrix_entries,
    outside_bounds,
    whole_columns,
)
from pbo.optimizer.solving.highs import HighsSession, Outcome, restore, values

DECIDED_BY = ("implied", "lp_bound", "lp_plan", "lp_rounded", "cut_off_together", "cut_off",
              "found", "improved")
"""How each red line's binding check was decided (meta.resolves counts them; see above)."""

WHOLE = 1e-9
"""Units above this count as some (a selection set to 1 for them: lp_plan)."""


class Verdict(NamedTuple):
    """One red line's binding check: whether relaxing it alone improves the objective by
    more than the tolerance, the objective of the best plan found with it relaxed, and a
    bound on the relaxed optimum (the same figure when that plan was proved optimal)."""

    binds: bool
    relaxed: float | None
    bound: float | None


def red_line_rows(m: pyo.ConcreteModel, red_line_id: str) -> list[Any]:
    """The constraint rows of one red line (none when it constrains nothing)."""
    if not hasattr(m, "red_line"):
        return []
    return [m.red_line[k] for k in m.red_line if k[0] == red_line_id]


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


class _Relaxation:
    """The LP relaxation of the loaded model, on its own HiGHS copy, re-solved warm (from
    its own optimal basis) with one red line's rows freed at a time."""

    def __init__(self, session: HighsSession, model: Any):
        """`model`: the loaded model as `session.highs.getLp()` gives it."""
        h = session.highs
        self.lp = lp = highspy.Highs()
        for name in ("output_flag", "log_to_console"):
            lp.setOptionValue(name, False)
        for name in ("time_limit", "threads", "random_seed"):
            lp.setOptionValue(name, h.getOptionValue(name)[1])
        lp.passModel(h.getModel())
        Edits(lp).relax_integrality()  # for good: the copy is only ever this LP
        self.model = model
        self.cost, self.offset = np.array(model.col_cost_), float(model.offset_)
        self.row_lower, self.row_upper = np.array(model.row_lower_), np.array(model.row_upper_)
        self.col_lower, self.col_upper = np.array(model.col_lower_), np.array(model.col_upper_)
        self.whole = whole_columns(model)
        self.entries = matrix_entries(model)  # once: every plan is checked against them
        self.maximise = session.built.maximise
        m = session.built.m
        # each selection's column and its intervention's units column; then the same for
        # the interventions of whole units
        pairs = np.array([(session.col_of(m.select[i]), session.col_of(m.units[i]))
                          for i in m.select if i in m.units], dtype=np.int64).reshape(-1, 2)
        self.selects, self.units = pairs[:, 0], pairs[:, 1]
        lumpy = self.whole[self.units]
        self.whole_selects, self.whole_units = self.selects[lumpy], self.units[lumpy]
        lp.run()
        self.usable = lp.getModelStatus() == highspy.HighsModelStatus.kOptimal
        self.basis = lp.getBasis()  # every red line's LP starts here (see relaxed)

    def relaxed(self, rows: list[int]) -> tuple[float, np.ndarray | None, np.ndarray] | None:
        """The LP bound with `rows` freed, its solution made a plan when that is possible
        without changing the objective (None when it is not), and the LP's solution; None if
        unsolved."""
        edits = Edits(self.lp)
        edits.free_rows(rows)
        # From the base LP's optimal basis, which stays primal feasible when rows are freed:
        # on the filed 2,000-intervention benchmark its ten LPs took 0.8 s against 1.1 s
        # from whichever LP ran last, and no check depends on the ones before it.
        self.lp.setBasis(self.basis)
        try:
            self.lp.run()
            if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            bound = float(self.lp.getInfo().objective_function_value)
            x = np.array(self.lp.getSolution().col_value)
            plan = self._plan(x, rows)
            if plan is not None and abs(self.value(plan) - bound) > FAIRNESS_TOLERANCE * max(
                    1.0, abs(bound)):
                plan = None
            return bound, plan, x
        finally:
            edits.undo()

    def rounded(self, x: np.ndarray, rows: list[int]) -> float | None:
        """The best objective of a plan near the LP answer `x` (with `rows` freed): its
        whole-number columns rounded to the nearest, up or down (a fractional selection
        with whole units then set by whether they are some), fixed there, and the rest
        re-solved as an LP. None when no such LP has an answer that is a plan (every row and
        bound checked again)."""
        cols = np.flatnonzero(self.whole)
        lower, upper = self.col_lower, self.col_upper
        near = np.clip(x, lower, upper)
        best = None
        tried: list[np.ndarray] = []
        select, units = self.whole_selects, self.whole_units
        off = np.abs(near[select] - np.round(near[select])) > 1e-6  # a fractional
        select, units = select[off], units[off]  # selection follows its whole units
        for way in (np.round, lambda v: np.ceil(v - WHOLE), lambda v: np.floor(v + WHOLE)):
            point = near.copy()
            point[cols] = np.clip(way(near[cols]), lower[cols], upper[cols])
            point[select] = np.minimum(upper[select], np.maximum(
                lower[select], (point[units] > WHOLE).astype(np.float64)))
            fixed = point[cols]
            if any(np.array_equal(fixed, seen) for seen in tried):
                continue
            tried.append(fixed)
            edits = Edits(self.lp)
            edits.free_rows(rows)
            edits.set_col_bounds(cols.tolist(), fixed.tolist(), fixed.tolist())
            try:
                self.lp.run()
                if self.lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                    continue
                plan = self._plan(np.array(self.lp.getSolution().col_value), rows)
            finally:
                edits.undo()
            if plan is not None:
                value = self.value(plan)
                best = value if best is None else max(best, value) if self.maximise else min(
                    best, value)
        return best

    def value(self, x: np.ndarray) -> float:
        return float(self.cost @ x) + self.offset

    def _plan(self, x: np.ndarray, freed: list[int]) -> np.ndarray | None:
        """An LP solution as a plan of the relaxed MIP: a fractional selection set by
        whether its intervention has units, every whole-number column rounded, then every
        row and bound checked as the reconciliation of a reported plan checks them (so a
        selection that does more than gate its scale, with a fixed cost, a minimum or a
        link, fails here unless it still fits). None unless all hold."""
        x = x.copy()
        off = np.abs(x[self.selects] - np.round(x[self.selects])) > 1e-6
        x[self.selects[off]] = (x[self.units[off]] > WHOLE).astype(np.float64)
        whole = x[self.whole]
        rounded = np.round(whole)
        if np.any(np.abs(whole - rounded) > 1e-6):
            return None
        x[self.whole] = rounded
        lower, upper = self.row_lower.copy(), self.row_upper.copy()
        lower[freed], upper[freed] = -np.inf, np.inf
        _, below, above = broken_rows(self.model, x, lower, upper, self.entries)
        if below.size or above.size:  # (as the reconciliation of the final plan holds it)
            return None
        low, high = outside_bounds(x, self.col_lower, self.col_upper)
        return None if low.any() or high.any() else x


def run_against(session: HighsSession, base: float, start: np.ndarray | None = None,
                enough: Callable[[float], bool] | None = None) -> Outcome:
    """Re-solve (after rows were freed) from the base plan as incumbent (`start`: its column
    values; None: the values now in the Pyomo model), stopping as soon as HiGHS's bound
    shows no plan beats `base` by more than the tolerance (an absolute gap of that
    tolerance), or, with `enough`, at the first plan whose objective it accepts. With
    `start` given, the Pyomo values are left as they are."""
    h = session.highs
    session.halt.now = False

    def improving(event: Any) -> None:
        if enough is not None and enough(float(event.data_out.objective_function_value)):
            session.halt.now = True

    if enough is not None:
        h.cbMipImprovingSolution += improving
    try:
        with session.edits() as gap:
            gap.set_option("mip_abs_gap", FAIRNESS_TOLERANCE * max(1.0, abs(base)))
            if start is None:
                return session.run(start={})
            h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
            return session.run(load=False)
    finally:
        session.halt.now = False
        if enough is not None:
            h.cbMipImprovingSolution -= improving


def check_binding(session: HighsSession, base: float,
                  stop: Callable[[], bool] | None = None) -> dict[str, Verdict]:
    """For each red line with rows: does relaxing it alone improve the objective, and to
    what? `stop`, asked before each check that solves, ends the checks early (the rest are
    not checked).

    See the module docstring for the order of proofs; `session.report.resolves` counts the
    red lines by how they were decided (DECIDED_BY).
    """
    m = session.built.m
    snapshot = values(m)
    checks = _Checks(session, base)
    out: dict[str, Verdict] = {}
    left: list[tuple[str, list[int], float | None]] = []  # for a MIP: id, rows, LP bound
    # the canonical order: the same runs, and the same plan, whatever the scenario's order
    order = [rule.id for rule in session.built.data.model_scenario.red_lines]
    stopped = False
    for rid in order:
        rows = [session.row_of(r) for r in red_line_rows(m, rid)]
        if not rows:
            out[rid] = Verdict(False, base, base)
            continue
        if _implied(session.highs, rows, checks.lo, checks.up):
            checks.counts["implied"] += 1
            out[rid] = Verdict(False, base, base)
            continue
        if stop is not None and stop():
            stopped = True
            break
        verdict, lp_bound = checks.without_mip(rows)
        if verdict is not None:
            out[rid] = verdict
        else:
            left.append((rid, rows, lp_bound))
    if not stopped:
        out |= checks.by_mip(left, stop)
    restore(m, snapshot)
    return {rid: out[rid] for rid in order if rid in out}


class _Checks:
    """One run of the binding checks: the base objective and its tolerance, the base plan
    (every MIP's start), the LP relaxation (made at the first check that needs it) and the
    counts of how each red line was decided."""

    def __init__(self, session: HighsSession, base: float):
        self.session, self.base = session, base
        self.maximise = session.built.maximise
        self.tol = FAIRNESS_TOLERANCE * max(1.0, abs(base))
        self.counts = session.report.resolves
        for key in DECIDED_BY:
            self.counts.setdefault(key, 0)
        h = session.highs
        self.model = h.getLp()
        self.lo, self.up = np.array(self.model.col_lower_), np.array(self.model.col_upper_)
        self.start = np.array(h.getSolution().col_value)
        self.relaxation: _Relaxation | None = None
        self.exact = session.options.exact_red_lines

    def better(self, value: float) -> bool:
        """`value` beats the base by more than the tolerance."""
        return (value - self.base if self.maximise else self.base - value) > self.tol

    def tighter(self, a: float | None, b: float | None) -> float | None:
        known = [v for v in (a, b) if v is not None and np.isfinite(v)]
        if not known:
            return None
        return min(known) if self.maximise else max(known)

    def without_mip(self, rows: list[int]) -> tuple[Verdict | None, float | None]:
        """Steps 3-5 (module docstring) for a red line's rows: its verdict when an LP decides
        it (None when it is left for a MIP), and the LP bound with its rows freed."""
        if self.relaxation is None:
            self.relaxation = _Relaxation(self.session, self.model)
        relaxation, base = self.relaxation, self.base
        lp = relaxation.relaxed(rows) if relaxation.usable else None
        if lp is None:
            return None, None
        bound, plan, x = lp
        if not self.better(bound):
            self.counts["lp_bound"] += 1
            return Verdict(False, base, base), bound
        if plan is not None:
            self.counts["lp_plan"] += 1
            return Verdict(True, bound, bound), bound
        if not self.exact:
            near = relaxation.rounded(x, rows)
            if near is not None and self.better(near):
                self.counts["lp_rounded"] += 1
                return Verdict(True, near, bound), bound
        return None, bound

    def by_mip(self, left: list[tuple[str, list[int], float | None]],
               stop: Callable[[], bool] | None) -> dict[str, Verdict]:
        """Step 6 and, before it, 7 (module docstring) for the red lines `left` (id, rows,
        LP bound), in order."""
        session, base, out = self.session, self.base, {}
        if len(left) > 1 and not (stop is not None and stop()):
            with session.edits() as edits:  # every one left freed at once
                edits.free_rows([row for _, rows, _ in left for row in rows])
                together = run_against(session, base, self.start, self.better)
            found = together.objective if together.has_solution else None
            if together.status == "optimal" and not (found is not None and self.better(found)):
                for rid, _, _ in left:  # not binding: relaxing it gains nothing (as lp_bound)
                    self.counts["cut_off_together"] += 1
                    out[rid] = Verdict(False, base, base)
                return out
        for rid, rows, lp_bound in left:
            if stop is not None and stop():
                break
            with session.edits() as edits:
                edits.free_rows(rows)
                outcome = run_against(session, base, self.start,
                                      None if self.exact else self.better)
            relaxed = outcome.objective if outcome.has_solution else None
            binds = relaxed is not None and self.better(relaxed)
            proved = outcome.status == "optimal"
            self.counts["cut_off" if not binds else "improved" if proved else "found"] += 1
            bound = relaxed if proved else self.tighter(lp_bound, outcome.bound)
            out[rid] = Verdict(binds, relaxed, bound)
        return out
