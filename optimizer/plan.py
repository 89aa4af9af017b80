"""Solve a scenario: the objective, then who pays (SPEC 3.4), then which red lines bind."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pyomo.environ as pyo
from pyomo.repn.standard_repn import generate_standard_repn

from models.loading import scenario_sha256
from models.results import Meta, PlanResult, RedLineResult
from models.scenario import OBJECTIVES, Scenario
from optimizer.build import BuiltModel, build_model
from optimizer.results import clean_values, plan_rows, target_rows
from optimizer.solve import HighsSession, Outcome, SolverOptions, highs_version, restore, values

ENGINE_VERSION = "0.1.0"
FAIRNESS_TOLERANCE = 1e-6
"""SPEC 3.4: the fairness stage keeps the objective within this relative tolerance of its
optimum. We hold it tighter (OBJECTIVE_HOLD), so that the second stage only breaks ties and
never trades pennies of value for fairness; see docs/FORMULATION.md."""
OBJECTIVE_HOLD = 1e-9


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


def _linear(expr: Any, session: HighsSession) -> tuple[dict[int, float], float]:
    """An expression's coefficients by HiGHS column, and its constant."""
    repn = generate_standard_repn(expr, compute_values=True)
    coefs: dict[int, float] = defaultdict(float)
    for var, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
        coefs[session.col_of(var)] += c
    return coefs, float(repn.constant)


def fairness_stage(session: HighsSession, optimum: float) -> bool:
    """SPEC 3.4 `optimise`: hold the objective at its optimum and maximise the smallest
    beneficiary's discounted net cashable savings (max-min fairness).

    Who pays is decided for the plan the objective chose: selections and whole units stay
    as stage 1 set them (so this is an LP), continuous units may still move within the
    objective's hold. Done by direct, undone edits of the loaded HiGHS model. Returns False
    when there is nothing to share.
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
    current = {c: v.value or 0.0 for v, c in session.columns()}
    start = min(sum(current[c] * k for c, k in row.items()) for row in savings.values())
    objective, constant = _linear(m.objective.expr, session)
    hold = max(OBJECTIVE_HOLD * abs(optimum), 1e-6)
    integers = [(v, col(v)) for v in m.component_data_objects(pyo.Var)
                if v.is_integer() and v.value is not None]
    snapshot = values(m)
    inf = float("inf")
    with session.edits() as edits:
        floor = edits.add_col(-inf, inf)
        for row in savings.values():
            edits.add_row(-inf, 0.0, {floor: 1.0, **{c: -k for c, k in row.items()}})
        if built.maximise:
            edits.add_row(optimum - constant - hold, inf, objective)
        else:
            edits.add_row(-inf, optimum - constant + hold, objective)
        pinned = [float(round(v.value)) for v, _ in integers]
        edits.set_col_bounds([c for _, c in integers], pinned, pinned)
        edits.set_objective({floor: 1.0}, maximise=True)
        outcome = session.run(start={floor: start})
    if not outcome.has_solution:
        restore(m, snapshot)  # keep stage 1's plan
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
    fairness_stage(session, optimum)
    return outcome, session, binding


def solve(scenario: Scenario, objective: str | None = None,
          options: SolverOptions | None = None, *, input_sha256: str | None = None,
          overrides: Iterable[tuple[str, Any]] = (), input_file: str | None = None,
          **option_values: Any) -> PlanResult:
    """Solve `scenario` and return the plan (or the status saying why there is none).

    `option_values` are SolverOptions fields (time_limit=, mip_gap=, threads=, ...).
    """
    if objective is not None and objective not in OBJECTIVES:
        from models.errors import InputError

        raise InputError(f"objective: unknown objective '{objective}' "
                         f"(one of {', '.join(OBJECTIVES)})")
    options = options or SolverOptions(**option_values)
    start = time.perf_counter()
    built = build_model(scenario, objective)
    outcome, session, binding = solve_built(built, options)
    result = make_result(built, outcome, session, binding, options, start,
                         input_sha256 or scenario_sha256(scenario), list(overrides))
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
        currency=sc.currency)
    return PlanResult(
        status=outcome.status, objective_name=built.objective,
        objective=objective_value(built) if solved else None,
        mip_gap=outcome.gap if solved else None, message=outcome.message,
        interventions=interventions, funding=funding, partners=partners,
        partner_years=partner_years, targets=target_rows(m, d, solved), red_lines=red_lines,
        meta=meta)
