"""Stage 2 of a solve (SPEC 3.4 `optimise`): who pays, for max-min fairness among the plans
at the optimum. Never silent: a run that stops early or fails leaves a warning in the
session's report naming the split kept."""

from __future__ import annotations

import time

from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.payments import has_funding_terms, spend_terms
from pbo.optimizer.solving.face import (
    FAIRNESS_TOLERANCE,
    FAIRNESS_WORTH,
    Face,
    search_face,
    stopped,
)
from pbo.optimizer.solving.held import hold_plan, net_rows, objective_terms
from pbo.optimizer.solving.highs import HighsSession, restore, values
from pbo.optimizer.solving.results import TOL

__all__ = ["FAIRNESS_TOLERANCE", "FAIRNESS_WORTH", "fairness_stage", "gate_only"]


def gate_only(sc: Scenario) -> set[str]:
    """Interventions whose selection only gates their scale: no fixed cost, no min_units, no
    whole units, in no requires/excludes link, named by no red line (must_fund and
    exclude_intervention set the selection itself). Their scale may be re-chosen as an LP."""
    linked = {j for iv in sc.interventions for j in (*iv.requires, *iv.excludes)}
    linked |= {iv.id for iv in sc.interventions if iv.requires or iv.excludes}
    linked |= {str(getattr(r, "intervention", "")) for r in sc.red_lines}
    return {iv.id for iv in sc.interventions if iv.min_units == 0 and not iv.integer_units
            and not any(iv.fixed_cost) and iv.id not in linked}


def fairness_stage(session: HighsSession) -> bool:
    """SPEC 3.4 `optimise`: among the plans at the optimum, the one whose smallest
    beneficiary's discounted net cashable savings is largest (max-min fairness), and who pays.

    Done by direct, undone edits of the loaded HiGHS model: a column z below every
    beneficiary's saving, maximised.
    1. stage 1's plan held (every selection and unit), the funding re-divided (an LP over the
       funding columns of what the plan pays for; in the reduced formulation one per
       partner, eligibility class and year). Its value z1.
    2. over the optimal face (the objective held within the SPEC's relative 1e-6, z >= z1):
       the search for a fairer plan, lumpy choices included (`face.search_face`: an LP
       bound first, which often proves no fairer plan exists; then a quick MIP asking for
       a plan fairer by more than FAIRNESS_WORTH, whose infeasibility proves the same; a
       MIP search, time-limited, only when neither does), then the objective re-maximised
       with that fairness held, so that no unit is shaved within the tolerance. A plan other than stage 1's is taken only when it is
       fairer by more than FAIRNESS_WORTH of the objective.
    A run that stops early or fails adds a warning to `session.report` that names the split
    kept. Returns False when there is nothing to share (or run 1 found no solution).
    """
    began = time.perf_counter()
    try:
        return _fairness(session)
    finally:
        session.report.finished("fairness", time.perf_counter() - began)


def _columns(session: HighsSession) -> tuple[dict[str, dict[int, float]],
                                             list[tuple[int, float]]]:
    """Each beneficiary's discounted net cashable savings as {column: coefficient}, and every
    funding column with the cost it pays towards in stage 1's plan."""
    m, d = session.built.m, session.built.data
    sc, col = d.model_scenario, session.col_of  # canonical: the rows in one order
    rows = net_rows(session)
    savings = {p: rows[p] for p in sc.beneficiaries}
    funding_cols: list[tuple[int, float]] = []
    cost_now = {(i, t): d.fixed_cost.get((i, t), 0.0) * (m.select[i].value or 0.0)
                + d.unit_cost.get((i, t), 0.0) * (m.units[i].value or 0.0) for i, t in d.costed}
    paid_for: dict[tuple[str, int], float] = {}  # what a funding column's class costs
    for (i, t), cost in cost_now.items():
        key = (d.class_of[i] if d.class_funding else i, t)
        paid_for[key] = paid_for.get(key, 0.0) + cost
    for partner in sc.partners:
        for t in d.years:
            for _k, var in spend_terms(m, d, partner.id, t):
                funding_cols.append((col(var), paid_for.get((var.index()[1], t), 0.0)))
    return savings, funding_cols


def _fairness(session: HighsSession) -> bool:
    built = session.built
    m, d = built.m, built.data
    sc = d.scenario
    if sc.cost_sharing.rule != "optimise" or not has_funding_terms(d) or not sc.beneficiaries:
        return False
    warn = session.report.warnings.append
    col = session.col_of
    savings, funding_cols = _columns(session)

    def current() -> dict[int, float]:
        return {c: v.value or 0.0 for v, c in session.columns()}

    def smallest() -> float:
        now = current()
        return min(sum(now[c] * k for c, k in row.items()) for row in savings.values())

    plan = [v for v in (*m.select.values(), *m.units.values()) if v.value is not None]
    gates = gate_only(sc)
    lumpy = [v for v in plan if (v.is_integer() or v.is_binary())
             and not (v.parent_component() is m.select and v.index() in gates)]
    costs, optimum = objective_terms(session)
    stage1 = values(m)
    inf = float("inf")
    with session.edits() as edits:
        floor = edits.add_col(-inf, inf)
        for row in savings.values():
            edits.add_row(-inf, 0.0, {floor: 1.0, **{c: -k for c, k in row.items()}})
        edits.set_objective({floor: 1.0}, maximise=True)
        with session.edits() as held:
            hold_plan(session, held)
            idle = [c for c, paid in funding_cols if paid <= 0.0]  # pays for nothing: stays 0
            held.set_col_bounds(idle, [0.0] * len(idle), [0.0] * len(idle))
            outcome = session.run(fresh=True)
        if not outcome.has_solution:
            restore(m, stage1)  # keep stage 1's plan and funding
            warn(f"The fairness stage (who pays, SPEC 3.4) {stopped(outcome)} before it "
                 "found a split. The split shown is the first stage's: a split that meets "
                 "every rule, not the fairest one.")
            return False
        if outcome.status != "optimal":
            warn(f"The fairness stage (who pays, SPEC 3.4) {stopped(outcome)}. The split "
                 "shown is the fairest it found in time for the plan as chosen; a fairer one "
                 "may exist.")
            return True
        fair_held, run1 = smallest(), values(m)
        tol = max(1e-9, FAIRNESS_TOLERANCE * abs(optimum))  # SPEC: relative 1e-6
        if built.maximise:
            edits.add_row(optimum - tol, inf, costs)
        else:
            edits.add_row(-inf, optimum + tol, costs)
        edits.set_col_bounds([floor], [fair_held], [inf])
        search_face(session, Face(
            floor=floor, costs=costs, optimum=optimum, fair_held=fair_held, run1=run1,
            lumpy=[col(v) for v in lumpy], lumpy_at=[float(round(v.value)) for v in lumpy],
            gates=[col(m.select[i]) for i in sorted(gates)],
            savings=savings, smallest=smallest))
    for i in gates:  # a gate is selected exactly when it has units (as results count them)
        m.select[i].set_value(1.0 if (m.units[i].value or 0.0) > TOL else 0.0)
    return True
