"""`pbo` commands for what-ifs: sweep, compare, near-optimal alternatives and the meeting page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pbo.cli import (
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
    fail,
    progress_bar,
)
from pbo.models.errors import (
    PboError,
    UsageError,
)


@app.command()
def sweep(
    scenario: ScenarioArg,
    set_: Annotated[list[str], typer.Option(
        "--set", help="PATH=START:STOP:N (once for a range, twice for a grid).")],
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    scenario_names: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the table: .csv or .json.")]
    = None,
    plot: Annotated[Path | None, typer.Option(help="Write a chart: .html (inline SVG) or .png.")]
    = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Parametric what-if: solve over a range of one input (or a grid of two)."""

    from pbo.models.io.export import check_output_path, write_csv, write_json
    from pbo.optimizer.analyses.audit import analysis_manifest
    from pbo.optimizer.analyses.sweep import SweepParam, check_size
    from pbo.optimizer.analyses.sweep import sweep as run_sweep
    from pbo.optimizer.present.charts import CHART_SUFFIXES, write_sweep_chart
    from pbo.optimizer.present.tables import sweep_table
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        if out is not None:
            check_output_path(out, [scenario], (".csv", ".json"))
        if plot is not None:
            check_output_path(plot, [scenario], CHART_SUFFIXES, "--plot")
        params = [SweepParam.parse(s) for s in set_]
        check_size(params)
        if len({p.path for p in params}) < len(params):
            raise UsageError(f"--set {params[0].path}: a sweep varies two different inputs")
        loaded = _load(scenario, None, scenario_names)  # problems each with its line
        data = loaded.data
        options = SolverOptions(time_limit=time_limit, check_binding=False)
        with progress_bar("Sweeping") as progress:
            result = run_sweep(data, params, objective=objective.value if objective else None,
                               options=options, progress=progress, workers=workers,
                               scheduler=scheduler)
        console.print(sweep_table(result))
        if out is not None:
            if out.suffix.lower() == ".json":
                write_json(out, result.to_json(analysis_manifest(
                    "sweep", str(scenario.resolve()), loaded.sha256, loaded.changes,
                    objective.value if objective else None, time_limit)))
            else:
                write_csv(out, result.table())
            console.print(f"Wrote {out}")
        if plot is not None:
            write_sweep_chart(result, plot)
            console.print(f"Wrote {plot}")
    except PboError as exc:
        raise fail(exc, debug) from None
    if not any(r.has_plan for r in result.results):
        raise typer.Exit(4 if all(r.status == "infeasible" for r in result.results) else 3)


@app.command()
def compare(
    first: ScenarioArg,
    second: Annotated[Path | None, typer.Argument(help="A second scenario file.")] = None,
    scenarios: Annotated[str | None, typer.Option(
        "--scenarios", help="With one file: two named scenarios to compare, A,B "
        "('base' is the file as written).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the comparison (.json).")]
    = None,
    debug: DebugOpt = False,
) -> None:
    """What changed between two scenarios, and what moved in the plans."""
    from pbo.models.io.export import check_output_path, write_json
    from pbo.models.io.loading import load_scenario
    from pbo.optimizer.analyses.compare import compare as run_compare
    from pbo.optimizer.present.tables import comparison_view
    from pbo.optimizer.solving.plan import solve as solve_scenario

    try:
        if out is not None:
            check_output_path(out, [first] + ([second] if second else []), (".json",))
        if second is not None:
            a, b = load_scenario(first), load_scenario(second)
        else:
            names = [n.strip() for n in (scenarios or "").split(",") if n.strip()]
            if len(names) != 2:
                raise UsageError("compare takes two files, or one file and --scenarios A,B")
            a, b = (load_scenario(first, scenarios=[] if n == "base" else [n]) for n in names)
        with console.status("Solving both…", spinner="dots"):
            result = run_compare(a, b, solve_scenario(a), solve_scenario(b))
        console.print(comparison_view(result))
        if out is not None:
            write_json(out, result.to_json())
            console.print(f"Wrote {out}")
    except PboError as exc:
        raise fail(exc, debug) from None


@app.command()
def alternatives(
    scenario: ScenarioArg,
    slack: Annotated[float, typer.Option(help="How far below the best each plan may be, as a "
                                         "share of it (0.02 = 2%).")] = 0.02,
    count: Annotated[int, typer.Option(help="How many alternatives, at most.")] = 4,
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write them: .json.")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Near-optimal alternatives: up to COUNT plans within SLACK of the best, as different
    from each other as they can be in which interventions they fund."""
    from pbo.models.io.export import check_output_path, write_json
    from pbo.optimizer.analyses.alternatives import alternatives as find
    from pbo.optimizer.present.tables import alternatives_table
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        if out is not None:
            check_output_path(out, [scenario], (".json",))
        sc = _load(scenario, set_, scenario_names).scenario
        options = SolverOptions(time_limit=time_limit, check_binding=False)
        with console.status("Finding alternatives…", spinner="dots"):
            found = find(sc, slack=slack, count=count,
                         objective=objective.value if objective else None, options=options)
        console.print(alternatives_table(found, sc.currency))
        if out is not None:
            write_json(out, found.to_json())
            console.print(f"Wrote {out}")
    except PboError as exc:
        raise fail(exc, debug) from None
    if not found.best.has_plan:
        raise typer.Exit(4 if found.best.status == "infeasible" else 3)


@app.command()
def serve(
    scenario: ScenarioArg,
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8765,
    host: Annotated[str, typer.Option(help="Address to listen on; beyond 127.0.0.1 it needs "
                                      "--token.")] = "127.0.0.1",
    token: Annotated[str | None, typer.Option(envvar="PBO_TOKEN", help="Access token the page "
                                              "asks for (needed beyond 127.0.0.1).")] = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    debug: DebugOpt = False,
) -> None:
    """The meeting page: a live what-if page for the partnership board (Ctrl-C stops it)."""
    from pbo.optimizer.present.meeting.app import serve as run_server
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        run_server(scenario, host=host, port=port, token=token,
                   options=SolverOptions(time_limit=time_limit),
                   announce=lambda line: console.print(line, soft_wrap=True))
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print("Stopped.")
