"""Solve a scenario: the objective, then who pays (SPEC 3.4), then which red lines bind."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pyomo.common.gc_manager import PauseGC

from pbo._version import __version__
from pbo.models.io.loading import scenario_sha256
from pbo.models.results import Meta, PlanResult, RedLineResult
from pbo.models.scenario import OBJECTIVES, Scenario
from pbo.optimizer.formulation.build import BuiltModel, build_model
from pbo.optimizer.formulation.measures import objective_value
from pbo.optimizer.solving.binding import Verdict, check_binding, red_line_rows
from pbo.optimizer.solving.fairness import (
    FAIRNESS_TOLERANCE,
    FAIRNESS_WORTH,
    fairness_stage,
    gate_only,
)
from pbo.optimizer.solving.highs import (
    HighsSession,
    Outcome,
    SolveReport,
    SolverOptions,
    highs_version,
    resident_mb,
)
from pbo.optimizer.solving.results import (
    clean_values,
    hold_reported,
    plan_rows,
    reconciled,
    target_rows,
)

ENGINE_VERSION = __version__
__all__ = ["FAIRNESS_TOLERANCE", "FAIRNESS_WORTH", "check_binding", "fairness_stage",
           "gate_only", "objective_value", "red_line_rows", "solve", "solve_built"]


def solve_built(built: BuiltModel, options: SolverOptions | None = None,
                session: HighsSession | None = None) -> tuple[Outcome, HighsSession,
                                                              dict[str, Verdict]]:
    """Stage 1 (objective), binding checks, stage 2 (who pays); the model holds the plan."""
    options = options or SolverOptions()
    built_mb = resident_mb()
    session = session or HighsSession(built, options)
    fresh = session.runs == 0  # built and loaded for this solve (a re-solve: neither)
    session.report = report = SolveReport()
    report.finished("build", built.build_seconds if fresh else 0.0, built_mb)
    report.finished("load", session.load_seconds if fresh else 0.0)
    began = time.perf_counter()
    outcome = session.solve()
    report.finished("objective", time.perf_counter() - began)
    binding: dict[str, Verdict] = {}
    if not outcome.has_solution:
        return outcome, session, binding
    if outcome.status == "time_limit":
        report.warnings.append("HiGHS reached its time limit before proving the plan optimal: "
                               "the plan shown is the best found in time.")
    optimum = objective_value(built)
    if options.check_binding and built.data.scenario.red_lines:
        began = time.perf_counter()
        binding = check_binding(session, optimum)
        report.finished("binding", time.perf_counter() - began)
    fairness_stage(session)
    if built.data.scenario.cost_sharing.rule == "core":
        from pbo.optimizer.analyses.core_split import core_stage

        session.report.warnings.extend(core_stage(session))
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
    with PauseGC():  # (as in build_model: what one solve makes lives until it returns)
        start = time.perf_counter()
        built = build_model(scenario, objective, options.formulation)
        outcome, session, binding = solve_built(built, options)
        result = make_result(built, outcome, session, binding, options, start,
                             input_sha256 or scenario_sha256(scenario), list(overrides))
        from pbo.models.warnings import scenario_warnings, with_warnings

        return with_warnings(with_manifest(result, scenario, input_file),
                             scenario_warnings(scenario))


def model_size(session: HighsSession) -> dict[str, int]:
    """Rows, columns and non-zeros of the model as loaded into HiGHS."""
    h = session.highs
    return {"rows": int(h.getNumRow()), "cols": int(h.getNumCol()),
            "nonzeros": int(h.getNumNz())}


def with_manifest(result: PlanResult, scenario: Scenario, input_file: str | None) -> PlanResult:
    """The result carrying its audit manifest: the input file and the scenario as solved."""
    manifest = {"input_file": input_file, "scenario": scenario.model_dump(mode="json")}
    return result.model_copy(update={"meta": result.meta.model_copy(update=manifest)})


def make_result(built: BuiltModel, outcome: Outcome, session: HighsSession,
                binding: dict[str, Verdict], options: SolverOptions, start: float,
                input_sha256: str, overrides: list[tuple[str, Any]]) -> PlanResult:
    m, d = built.m, built.data
    sc = d.scenario
    must_fund = {r.intervention for r in sc.red_lines if r.rule == "must_fund"}
    solved = outcome.has_solution
    if solved:
        clean_values(m)
    interventions, funding, partners, partner_years = (
        plan_rows(m, d, must_fund) if solved else ([], [], [], []))
    if solved:  # the objective and targets below: of the plan as reported
        hold_reported(m, d, interventions, funding)
    red_lines = [
        RedLineResult(id=r.id, rule=r.rule, owner=r.owner, negotiable=r.negotiable,
                      binding=binding[r.id][0] if r.id in binding else None,
                      relaxed_objective=binding[r.id].relaxed if r.id in binding else None,
                      relaxed_bound=binding[r.id].bound if r.id in binding else None)
        for r in sc.red_lines
    ]
    meta = Meta(
        engine_version=ENGINE_VERSION, solver=highs_version(), input_sha256=input_sha256,
        solve_seconds=time.perf_counter() - start, build_seconds=built.build_seconds
        + session.load_seconds, highs_seconds=session.highs_seconds,
        overrides=[[p, v] for p, v in overrides], solver_options=options.as_dict(),
        timestamp=datetime.now(UTC).isoformat(timespec="seconds"), scenario_name=sc.name,
        currency=sc.currency, warnings=list(session.report.warnings),
        stage_seconds=dict(session.report.stage_seconds),
        stage_memory_mb=dict(session.report.stage_memory_mb),
        resolves=dict(session.report.resolves), formulation=d.formulation,
        fairness_runs=dict(session.report.fairness_runs),
        model_size=model_size(session))
    return reconciled(PlanResult(
        status=outcome.status, objective_name=built.objective,
        objective=objective_value(built) if solved else None,
        mip_gap=outcome.gap if solved else None, message=outcome.message,
        interventions=interventions, funding=funding, partners=partners,
        partner_years=partner_years, targets=target_rows(m, d, solved), red_lines=red_lines,
        meta=meta), session)
