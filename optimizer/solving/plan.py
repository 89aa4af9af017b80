"""Solve a scenario: the objective, then who pays (SPEC 3.4), then which red lines bind."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyomo.environ as pyo

from pbo._version import __version__
from pbo.models.io.loading import scenario_sha256
from pbo.models.results import Meta, PlanResult, RedLineResult
from pbo.models.scenario import OBJECTIVES, Scenario
from pbo.optimizer.formulation.build import BuiltModel, build_model
from pbo.optimizer.solving.highs import (
    HighsSession,
    Outcome,
    SolverOptions,
    highs_version,
    restore,
    values,
)
from pbo.optimizer.solving.results import TOL, clean_values, plan_rows, target_rows

ENGINE_VERSION = __version__
FAIRNESS_TOLERANCE = 1e-6
"""Relative improvement below which relaxing a red line does not count as binding (and the
SPEC 3.4 tolerance on the objective in the fairness stage, which holds it exactly)."""


def red_line_rows(m: pyo.ConcreteModel, red_line_id: str) -> list[Any]:
    """The constraint rows of one red line (none when it constrains nothing)."""
    if not hasattr(m, "red_line"):
        return []
    return [m.red_line[k] for k in m.red_line if k[0] == red_line_id]


def objective_value(built: BuiltModel) -> float:
    return float(pyo.value(built.m.objective))


def check_binding(session: HighsSession, base: float) -> dict[str, tuple[bool, float | None]]:
    """For each red line with rows: does relaxing it alone improve the objective?

    Each relaxation frees the red line's rows in the loaded HiGHS model and re-solves from
    the base plan (still feasible once a constraint is relaxed), then restores the rows.
    """
    built, m = session.built, session.built.m
    snapshot = values(m)
    out: dict[str, tuple[bool, float | None]] = {}
    for rule in built.data.scenario.red_lines:
        rows = red_line_rows(m, rule.id)
        if not rows:
            out[rule.id] = (False, base)
            continue
        restore(m, snapshot)
        with session.edits() as edits:
            edits.free_rows([session.row_of(row) for row in rows])
            outcome = session.run(start={})
        relaxed = objective_value(built) if outcome.has_solution else None
        better = relaxed is not None and (
            (relaxed - base if built.maximise else base - relaxed)
            > FAIRNESS_TOLERANCE * max(1.0, abs(base)))
        out[rule.id] = (better, relaxed)
    restore(m, snapshot)
    return out


FAIRNESS_WORTH = 1e-4
"""A plan other than stage 1's is taken only when it raises the smallest beneficiary's
savings by more than this share of the objective (else stage 1's plan is kept as found)."""


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

    Done by direct, undone edits of the loaded HiGHS model, as linear programmes:
    1. stage 1's plan held (every selection and unit), the funding re-divided;
    2. the lumpy choices held (selections with a fixed cost, min_units or a link, whole
       units), every other intervention's scale free, the objective held at its optimum
       (SPEC relative tolerance 1e-6) and the smallest saving at least run 1's;
    3. only if run 2 is fairer by more than FAIRNESS_WORTH of the objective: its fairness
       kept and the objective maximised again, so that no unit is shaved within the
       tolerance. Otherwise run 1's answer stands.
    Returns False when there is nothing to share (or run 1 found no solution).
    """
    built = session.built
    m, d = built.m, built.data
    sc = d.scenario
    if sc.cost_sharing.rule != "optimise" or not d.fund_index or not sc.beneficiaries:
        return False
    col = session.col_of
    savings: dict[str, dict[int, float]] = {p: defaultdict(float) for p in sc.beneficiaries}
    for (p, i, t), c in d.cashable.items():
        if p in savings:
            savings[p][col(m.units[i])] += d.discount[t] * c
    for p, i, t in d.fund_index:
        if p in savings:
            savings[p][col(m.fund[p, i, t])] -= d.discount[t]

    def current() -> dict[int, float]:
        return {c: v.value or 0.0 for v, c in session.columns()}

    def smallest() -> float:
        now = current()
        return min(sum(now[c] * k for c, k in row.items()) for row in savings.values())

    plan = [v for v in (*m.select.values(), *m.units.values()) if v.value is not None]
    gates = gate_only(sc)
    lumpy = [v for v in plan if (v.is_integer() or v.is_binary())
             and not (v.parent_component() is m.select and v.index() in gates)]
    lp = session.highs.getLp()
    costs = {c: float(k) for c, k in enumerate(lp.col_cost_) if k}
    now = current()
    optimum = sum(k * now[c] for c, k in costs.items())
    stage1 = values(m)
    inf = float("inf")
    with session.edits() as edits:
        floor = edits.add_col(-inf, inf)
        for row in savings.values():
            edits.add_row(-inf, 0.0, {floor: 1.0, **{c: -k for c, k in row.items()}})
        edits.set_objective({floor: 1.0}, maximise=True)
        with session.edits() as held:
            kept = [float(v.value) for v in plan]
            held.set_col_bounds([col(v) for v in plan], kept, kept)
            outcome = session.run(start={floor: smallest()})
        if not outcome.has_solution:
            restore(m, stage1)  # keep stage 1's plan and funding
            return False
        fair_held, run1 = smallest(), values(m)
        tol = max(1e-9, FAIRNESS_TOLERANCE * abs(optimum))  # SPEC: relative 1e-6
        if built.maximise:
            edits.add_row(optimum - tol, inf, costs)
        else:
            edits.add_row(-inf, optimum + tol, costs)
        edits.set_col_bounds([floor], [fair_held], [inf])
        edits.relax_integrality()
        counts = [float(round(v.value)) for v in lumpy]
        edits.set_col_bounds([col(v) for v in lumpy], counts, counts)
        freed = session.run()
        fair_free = smallest() if freed.has_solution else -inf
        if fair_free <= fair_held + FAIRNESS_WORTH * max(1.0, abs(optimum)):
            restore(m, run1)
            return True
        run2 = values(m)
        edits.set_col_bounds([floor], [fair_free - 1e-9 * max(1.0, abs(fair_free))], [inf])
        edits.set_objective(costs, maximise=built.maximise)
        if not session.run().has_solution:
            restore(m, run2)
    for i in gates:  # a gate is selected exactly when it has units (as results count them)
        m.select[i].set_value(1.0 if (m.units[i].value or 0.0) > TOL else 0.0)
    return True


def solve_built(built: BuiltModel, options: SolverOptions | None = None,
                session: HighsSession | None = None) -> tuple[Outcome, HighsSession,
                                                              dict[str, Any]]:
    """Stage 1 (objective), binding checks, stage 2 (who pays); the model holds the plan."""
    options = options or SolverOptions()
    session = session or HighsSession(built, options)
    outcome = session.solve()
    binding: dict[str, Any] = {}
    if not outcome.has_solution:
        return outcome, session, binding
    optimum = objective_value(built)
    if options.check_binding and built.data.scenario.red_lines:
        binding = check_binding(session, optimum)
    fairness_stage(session)
    if built.data.scenario.cost_sharing.rule == "core":
        from pbo.optimizer.analyses.core_split import core_stage

        session.notes.extend(core_stage(session))
    return outcome, session, binding


def solve(scenario: Scenario, objective: str | None = None,
          options: SolverOptions | None = None, *, input_sha256: str | None = None,
          overrides: Iterable[tuple[str, Any]] = (), input_file: str | None = None,
          **option_values: Any) -> PlanResult:
    """Solve `scenario` and return the plan (or the status saying why there is none).

    `option_values` are SolverOptions fields (time_limit=, mip_gap=, threads=, ...).
    """
    if objective is not None and objective not in OBJECTIVES:
        from pbo.models.errors import InputError

        raise InputError(f"objective: unknown objective '{objective}' "
                         f"(one of {', '.join(OBJECTIVES)})")
    options = options or SolverOptions(**option_values)
    start = time.perf_counter()
    built = build_model(scenario, objective)
    outcome, session, binding = solve_built(built, options)
    result = make_result(built, outcome, session, binding, options, start,
                         input_sha256 or scenario_sha256(scenario), list(overrides))
    return with_manifest(result, scenario, input_file)


def with_manifest(result: PlanResult, scenario: Scenario, input_file: str | None) -> PlanResult:
    """The result carrying its audit manifest: the input file and the scenario as solved."""
    manifest = {"input_file": input_file, "scenario": scenario.model_dump(mode="json")}
    return result.model_copy(update={"meta": result.meta.model_copy(update=manifest)})


def make_result(built: BuiltModel, outcome: Outcome, session: HighsSession,
                binding: dict[str, Any], options: SolverOptions, start: float,
                input_sha256: str, overrides: list[tuple[str, Any]]) -> PlanResult:
    m, d = built.m, built.data
    sc = d.scenario
    must_fund = {r.intervention for r in sc.red_lines if r.rule == "must_fund"}
    solved = outcome.has_solution
    if solved:
        clean_values(m)
    interventions, funding, partners, partner_years = (
        plan_rows(m, d, must_fund) if solved else ([], [], [], []))
    red_lines = [
        RedLineResult(id=r.id, rule=r.rule, owner=r.owner, negotiable=r.negotiable,
                      binding=binding[r.id][0] if r.id in binding else None,
                      relaxed_objective=binding[r.id][1] if r.id in binding else None)
        for r in sc.red_lines
    ]
    meta = Meta(
        engine_version=ENGINE_VERSION, solver=highs_version(), input_sha256=input_sha256,
        solve_seconds=time.perf_counter() - start, build_seconds=built.build_seconds
        + session.load_seconds, highs_seconds=session.highs_seconds,
        overrides=[[p, v] for p, v in overrides], solver_options=options.as_dict(),
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"), scenario_name=sc.name,
        currency=sc.currency, warnings=list(session.notes))
    return PlanResult(
        status=outcome.status, objective_name=built.objective,
        objective=objective_value(built) if solved else None,
        mip_gap=outcome.gap if solved else None, message=outcome.message,
        interventions=interventions, funding=funding, partners=partners,
        partner_years=partner_years, targets=target_rows(m, d, solved), red_lines=red_lines,
        meta=meta)
