"""`pbo` commands that analyse a scenario: explain, sensitivity, fair shares and risk."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pbo.cli import (
    ERROR,
    DebugOpt,
    Objective,
    ScenarioArg,
    ScenarioOpt,
    SchedulerOpt,
    SetOpt,
    WorkersOpt,
    _load,
    app,
    console,
    err,
    fail,
    progress_bar,
)
from pbo.models.errors import (
    PboError,
    UsageError,
)


@app.command()
def explain(
    scenario: ScenarioArg,
    intervention: Annotated[str | None, typer.Option(
        "--intervention", help="Why is this intervention (not) funded? For a feasible "
        "scenario: the objective with it forced in or out, what binds, its break-even.")]
    = None,
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the explanation (.json).")]
    = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Why a scenario is infeasible and the nearest plan that works; or why X isn't funded.

    For an infeasible scenario: the conflict set, the nearest feasible plan and the cheapest
    unblock. With --intervention X: X forced in and out, what binds, X's break-even.

    Exit status: 0 when the explanation was produced, whether the scenario is infeasible
    (explained) or feasible (nothing to explain); 4 with --intervention on an infeasible
    scenario (no plan to ask about); 3 when HiGHS stops at a limit without an answer; 1 bad
    input.
    """
    from pbo.models.io.export import check_output_path, write_json
    from pbo.optimizer.explain.infeasible import explain as run_explain
    from pbo.optimizer.explain.infeasible import explain_intervention
    from pbo.optimizer.explain.types import Explanation, InterventionExplanation
    from pbo.optimizer.explain.view import explanation_view, intervention_view
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        if out is not None:
            check_output_path(out, [scenario], (".json",))
        sc = _load(scenario, set_, scenario_names).scenario
        solver = SolverOptions(time_limit=time_limit)
        name = objective.value if objective else None
        with console.status("Explaining…", spinner="dots"):
            result: InterventionExplanation | Explanation = (
                explain_intervention(sc, intervention, solver, name) if intervention
                else run_explain(sc, solver=solver, objective=name))
        if isinstance(result, InterventionExplanation):
            console.print(intervention_view(result))
        else:
            console.print(explanation_view(result))
        if out is not None:
            write_json(out, result.to_json())
            console.print(f"Wrote {out}")
    except PboError as exc:
        raise fail(exc, debug) from None
    if result.status == "infeasible" and intervention:
        raise typer.Exit(4)
    if result.status not in ("infeasible", "feasible", "optimal"):
        raise typer.Exit(3)


@app.command()
def sensitivity(
    scenario: ScenarioArg,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the ranking (.json), or the base plan's results workbook with a "
        "Sensitivity sheet (.xlsx).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Relax non-negotiable red lines too.")]
    = False,
    pairs: Annotated[int, typer.Option(help="Relax every pair of the top K red lines.")] = 0,
    plot: Annotated[Path | None, typer.Option(help="Tornado chart: .html (inline SVG) or "
                                              ".png.")] = None,
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Red-line value ranking: what relaxing each red line would gain, and marginal values."""

    from pbo.models.io.export import check_output_path, write_json
    from pbo.optimizer.analyses.audit import analysis_manifest
    from pbo.optimizer.analyses.sensitivity import sensitivity as run_sensitivity
    from pbo.optimizer.analyses.sensitivity import sensitivity_view, write_tornado
    from pbo.optimizer.present.charts import CHART_SUFFIXES
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        if out is not None:
            check_output_path(out, [scenario], (".json", ".xlsx"))
        if plot is not None:
            check_output_path(plot, [scenario], CHART_SUFFIXES, "--plot")
        workbook = out is not None and out.suffix.lower() == ".xlsx"
        if pairs < 0:
            raise UsageError("--pairs must be 0 or more")
        loaded = _load(scenario, set_, scenario_names)
        sc = loaded.scenario
        with progress_bar("Relaxing red lines") as progress:
            result = run_sensitivity(
                sc, include_non_negotiable=all_, pairs=pairs,
                objective=objective.value if objective else None,
                options=SolverOptions(time_limit=time_limit, check_binding=False),
                plan=workbook, input_sha256=loaded.sha256, overrides=loaded.changes,
                input_file=str(scenario.resolve()),
                progress=progress, workers=workers, scheduler=scheduler)
        console.print(sensitivity_view(result))
        if out is not None and workbook and result.plan is not None:
            from pbo.models.io.results_workbook import write_results_workbook

            write_results_workbook(out, result.plan, sensitivity=result.table(),
                                   marginals=result.marginals_table())
            console.print(f"Wrote {out}")
        elif out is not None:
            write_json(out, result.to_json(analysis_manifest(
                "sensitivity", str(scenario.resolve()), loaded.sha256, loaded.changes,
                objective.value if objective else None, time_limit,
                include_non_negotiable=all_, pairs=pairs)))
            console.print(f"Wrote {out}")
        if plot is not None:
            write_tornado(result, plot)
            console.print(f"Wrote {plot}")
    except PboError as exc:
        raise fail(exc, debug) from None
    if result.base.status == "infeasible" and not any(
            r.status == "unblocks" for r in result.red_lines):
        raise typer.Exit(4)
    if result.base.objective is None and result.base.status != "infeasible":
        raise typer.Exit(3)  # HiGHS stopped (a limit, an error) without a base plan


class SharesMethod(StrEnum):
    shapley = "shapley"
    core = "core"
    both = "both"


@app.command()
def shares(
    scenario: ScenarioArg,
    method: Annotated[SharesMethod, typer.Option(
        help="shapley, core (the least core), or both.")] = SharesMethod.both,
    samples: Annotated[int | None, typer.Option(
        help="Sample this many orders of arrival for the Shapley value (default: exact up "
        "to 12 partners, else 200 per partner).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the sampled Shapley value.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Write the shares: .json or "
                                             ".xlsx.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Cooperative fair shares: each partner alone, its Shapley value and least-core payoff,
    and its net cashable saving in the plan."""
    from pbo.models.io.export import check_output_path, write_json
    from pbo.optimizer.analyses.shares import shares as run_shares
    from pbo.optimizer.analyses.shares import shares_view
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve as solve_scenario

    try:
        if out is not None:
            check_output_path(out, [scenario], (".json", ".xlsx"))
        if samples is not None and samples < 2:
            raise UsageError("--samples: at least 2 orders of arrival")
        sc = _load(scenario, set_, scenario_names).scenario
        options = SolverOptions(time_limit=time_limit, check_binding=False)
        with progress_bar("Solving every coalition") as progress:
            plan = solve_scenario(sc, options=options)
            actual = ({p.id: p.net_cashable_savings_npv for p in plan.partners}
                      if plan.has_plan else None)
            result = run_shares(sc, method.value, samples, seed, actual, options,
                                workers=workers, scheduler=scheduler, progress=progress)
        console.print(shares_view(result))
        if out is not None:
            if out.suffix.lower() == ".json":
                write_json(out, result.to_json())
            else:
                from pbo.models.io.results_workbook import write_tables_workbook

                write_tables_workbook(out, result.tables(), sc.currency,
                                      {"standalone", "shapley", "shapley_se", "core",
                                       "actual", "grand_value", "epsilon", "shortfall"})
            console.print(f"Wrote {out}")
    except PboError as exc:
        raise fail(exc, debug) from None


# --- pbo risk: how sure are we? (issue 14) -------------------------------------------------


class SampleMethod(StrEnum):
    lhs = "lhs"
    sobol = "sobol"


@app.command()
def risk(
    scenario: ScenarioArg,
    samples: Annotated[int, typer.Option("--samples", "-n", help="How many samples to draw.")]
    = 200,
    seed: Annotated[int, typer.Option(help="Seed of the sampler (same seed, same samples).")]
    = 0,
    method: Annotated[SampleMethod, typer.Option(help="Latin hypercube or Sobol sampling.")]
    = SampleMethod.lhs,
    robust: Annotated[float | None, typer.Option(
        help="Also find a plan meeting every target in this share of samples, e.g. 0.9.")]
    = None,
    robust_samples: Annotated[int, typer.Option(
        help="Samples K in the robust (sample-average) model.")] = 50,
    reoptimise: Annotated[bool, typer.Option(
        "--reoptimise/--no-reoptimise", help="Re-solve each sample (choices, regret).")]
    = True,
    workers: Annotated[int | None, typer.Option(
        help="Local worker processes (default: one per core).")] = None,
    scheduler: SchedulerOpt = None,
    checkpoint: Annotated[Path | None, typer.Option(
        help="Keep finished samples in this file (default: next to --out, else none).")]
    = None,
    resume: Annotated[bool, typer.Option(help="Continue a stopped run from its checkpoint.")]
    = False,
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the result: .json or .xlsx.")]
    = None,
    charts: Annotated[Path | None, typer.Option(
        help="Write charts into this folder (targets, fans, labels; .png).")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    debug: DebugOpt = False,
) -> None:
    """How sure are we? The plan under uncertain inputs, robust choices, a robust plan."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    from pbo.models.io.export import check_output_path, write_json
    from pbo.optimizer.analyses.risk import risk as run_risk
    from pbo.optimizer.ensemble.runner import Interrupted
    from pbo.optimizer.present.risk_tables import risk_tables
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        if out is not None:
            check_output_path(out, [scenario], (".json", ".xlsx"))
        sc = _load(scenario, set_, scenario_names).scenario
        if checkpoint is None and out is not None:
            checkpoint = out.with_name(out.stem + ".checkpoint.jsonl")
        if resume and checkpoint is None:
            raise UsageError("--resume: give --checkpoint FILE (or --out, which names one)")
        columns = (TextColumn("Samples"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with progress_bar("Samples", samples, *columns) as progress:
            result = run_risk(
                sc, samples, seed, method=method.value,
                objective=objective.value if objective else None,
                options=SolverOptions(time_limit=time_limit, check_binding=False),
                reoptimise=reoptimise, robust=robust, robust_samples=robust_samples,
                workers=workers, scheduler=scheduler, checkpoint=checkpoint, resume=resume,
                progress=progress, input_file=str(scenario.resolve()))
        from pbo.optimizer.present.tables import print_warnings

        print_warnings(result.warnings, err)
        console.print(risk_tables(result))
        if out is not None and out.suffix.lower() == ".xlsx":
            from pbo.models.io.risk_workbook import write_risk_workbook

            write_risk_workbook(out, {"Samples": result.samples_table(),
                                      "Targets": result.targets_table(),
                                      "Partners": result.partners_table(),
                                      "Interventions": result.interventions_table(),
                                      "Budgets": result.budgets_table()}, result.manifest)
            console.print(f"Wrote {out}")
        elif out is not None:
            write_json(out, result.to_json())
            console.print(f"Wrote {out}")
        if charts is not None:
            from pbo.optimizer.present.risk_charts import write_risk_charts

            for path in write_risk_charts(result, charts):
                console.print(f"Wrote {path}")
    except Interrupted as exc:
        err.print(ERROR, str(exc))
        raise typer.Exit(130) from None
    except PboError as exc:
        raise fail(exc, debug) from None
