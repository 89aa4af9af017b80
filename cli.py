"""`pbo`: the command line. Each command is a few lines that call the library."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from pbo.models.errors import (
    InfeasibleError,
    InputError,
    Interrupted,
    OutputError,
    PboError,
    SolverError,
    UsageError,
)
from pbo.optimizer.present.terminal import SafeConsole


class _Commands(typer.core.TyperGroup):
    """Ctrl-C in any command: one sentence on what it stopped and what that leaves, exit 130
    (128 + SIGINT, as shells report it), no traceback."""

    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            said = str(exc) if isinstance(exc, Interrupted) else \
                f"interrupted during pbo {ctx.invoked_subcommand}; no file was left half-written"
            err.print(ERROR, said)
            raise typer.Exit(130) from None
        except OSError as exc:  # printing to a full device or a closed pipe: say so, exit 1
            from pbo.models.io.atomic import stdout_failure

            lost = stdout_failure(exc)
            if lost is None:
                raise
            err.print(ERROR, str(lost))
            raise typer.Exit(1) from None


app = typer.Typer(
    name="pbo",
    help="pbo, the pooled-budget optimiser: which interventions a Community Budget partnership "
    "should fund, at what scale, and who pays.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help text as written: no markup to swallow "[a,b,...]"
    cls=_Commands,
)
# No markup or emoji codes: ids, names and file names are printed as written ("[a]", ":b:"),
# and control characters in them are shown escaped ("\x1b"), never obeyed.
console = SafeConsole(markup=False, emoji=False, highlight=False)
err = SafeConsole(stderr=True, markup=False, emoji=False, highlight=False)

EXIT = {UsageError: 2, InputError: 1, SolverError: 3, InfeasibleError: 4, OutputError: 1}
"""Exit status by error class, the first that matches (UsageError is an InputError)."""
ERROR = Text("error:", style="bold red")


class Objective(StrEnum):
    net_fiscal_value = "net_fiscal_value"
    net_cashable_savings = "net_cashable_savings"
    public_value = "public_value"
    min_cost = "min_cost"


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario file (.yaml, .yml, .json, .xlsx).")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", metavar="PATH=VALUE", help="Change one input (repeatable), e.g. "
    "targets.council_savings.min=3e6; a number sets a profile in every year, [a,b,...] each "
    "year.")]
ScenarioOpt = Annotated[str | None, typer.Option(
    "--scenario", metavar="NAME[,NAME]", help="Named scenarios from the file's `scenarios:` to apply, in order: a,b.")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="Write the result: .json, .csv (one file per table) or .xlsx.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks.")]
RESULT_SUFFIXES = (".json", ".csv", ".xlsx")


def _show_version(value: bool) -> None:
    if value:
        from pbo._version import __version__

        console.print(f"pbo {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", callback=_show_version, is_eager=True,
        help="Show pbo's version and exit.")] = False) -> None:
    pass


def _what_ifs(sc, names: str | None, sets: list[str] | None) -> Text | None:
    """The what-ifs applied, in order (each named scenario's changes, then each --set as
    typed), said at the top of the output so a reader knows the plan is not the file's."""
    chosen = [n.strip() for n in (names or "").split(",") if n.strip()]
    lines = [f"--scenario {name}: {path}={json.dumps(value)}"
             for name in chosen for path, value in (sc.scenarios.get(name) or {}).items()]
    lines += [f"--set {s}" for s in sets or []]
    if not lines:
        return None
    return Text("What-ifs applied, in order:", style="bold") + Text(
        "".join(f"\n  {line}" for line in lines))


def _explain_command(scenario: Path, sets: list[str] | None, names: str | None,
                     objective: str | None) -> str:
    """`pbo explain` with the flags this command was given, for the hint after no plan."""
    import shlex

    words = ["pbo", "explain", str(scenario)]
    for s in sets or []:
        words += ["--set", s]
    if names:
        words += ["--scenario", names]
    if objective:
        words += ["--objective", objective]
    return shlex.join(words)


def fail(exc: Exception, debug: bool) -> typer.Exit:
    if debug:
        raise exc
    code = next((c for cls, c in EXIT.items() if isinstance(exc, cls)), 3)
    if isinstance(exc, InputError):
        err.print(ERROR, f"{len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''}:")
        for p in exc.problems:
            err.print(f"  - {p}", soft_wrap=True)
    else:
        err.print(ERROR, str(exc))
    return typer.Exit(code)


def _load(scenario: Path, sets: list[str] | None, names: str | None):
    """The scenario with named scenarios and --set applied, and the changes made."""
    from pbo.models.io.loading import load_with_changes
    from pbo.models.overrides import parse_assignment

    overrides = [parse_assignment(s) for s in sets or []]
    chosen = [n.strip() for n in (names or "").split(",") if n.strip()]
    return load_with_changes(scenario, overrides, chosen)


@app.command()
def validate(scenario: ScenarioArg, debug: DebugOpt = False) -> None:
    """Check a scenario: every problem is listed at once, with where it is; warnings are
    printed and do not fail it."""
    from pbo.models.io.loading import load_scenario
    from pbo.models.warnings import scenario_warnings

    try:
        sc = load_scenario(scenario)
    except PboError as exc:
        raise fail(exc, debug) from None
    for warning in scenario_warnings(sc):
        console.print(Text("warning: ", style="bold yellow") + Text(warning))
    console.print(Text("ok:", style="green"), f"{scenario} — {len(sc.partners)} partners, "
                  f"{len(sc.interventions)} interventions, {len(sc.targets)} targets, "
                  f"{len(sc.red_lines)} red lines, {sc.start_year}..{sc.horizon[-1]}")


class Formulation(StrEnum):
    reduced = "reduced"
    full = "full"


FormulationOpt = Annotated[Formulation, typer.Option(
    help="reduced: one funding variable per partner, eligibility class and year (fast); "
    "full: one per partner, intervention and year (SPEC 3.1 as written). Same plans.")]


@app.command()
def solve(
    scenario: ScenarioArg,
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    out: OutOpt = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    mip_gap: Annotated[float, typer.Option(help="Relative MIP gap.")] = 1e-6,
    no_binding: Annotated[bool, typer.Option(
        "--no-binding", help="Skip the re-solves that say which red lines bind.")] = False,
    formulation: FormulationOpt = Formulation.reduced,
    partner: PartnerOpt = None,
    statement: StatementOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Solve a scenario: which interventions, at what scale, who pays what each year."""
    from pbo.models.io.export import PLAN_TABLES, check_output_path, csv_set_paths
    from pbo.models.io.loading import file_sha256
    from pbo.models.warnings import scenario_warnings, with_warnings
    from pbo.optimizer.present.tables import print_plan
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve as solve_scenario

    try:
        if out is not None:
            check_output_path(out, [scenario], RESULT_SUFFIXES, siblings=csv_set_paths(
                out, PLAN_TABLES) if out.suffix.lower() == ".csv" else ())
        sc, overrides = _load(scenario, set_, scenario_names)
        what_ifs = _what_ifs(sc, scenario_names, set_)
        if what_ifs is not None:
            console.print(what_ifs)
        if statement is not None:
            check_output_path(statement, [scenario], (".json", ".xlsx"), "--statement")
        _check_partner(sc, partner)
        options = SolverOptions(time_limit=time_limit, mip_gap=mip_gap,
                                check_binding=not no_binding,
                                formulation=formulation.value)
        with console.status("Solving…", spinner="dots"):
            result = solve_scenario(sc, objective.value if objective else None, options,
                                    input_sha256=file_sha256(scenario), overrides=overrides,
                                    input_file=str(scenario.resolve()))
        result = with_warnings(result, scenario_warnings(sc))
        print_plan(result, console, _explain_command(
            scenario, set_, scenario_names, objective.value if objective else None))
        _partner_case(result, sc, partner, statement)
        if out is not None:
            write_result(result, out)
            console.print(f"Wrote {out}")
    except PboError as exc:
        raise fail(exc, debug) from None
    if result.status == "infeasible":
        raise typer.Exit(4)
    if not result.has_plan:
        err.print(ERROR, f"no plan: HiGHS stopped with status {result.status}"
                  f" ({result.message})")
        raise typer.Exit(3)


PartnerOpt = Annotated[str | None, typer.Option(
    "--partner", metavar="ID", help="Show one partner's case: what it pays and gains each "
    "year, its payback and return per £1, whose savings its money buys.")]
StatementOpt = Annotated[Path | None, typer.Option(
    "--statement", help="Write each partner's statement and the wrong-pocket matrix (only "
    "--partner's, if given): .json or .xlsx.")]


def _check_partner(sc, partner: str | None) -> None:
    if partner is not None and partner not in sc.partner:
        from pbo.models.checks import did_you_mean

        raise UsageError(f"--partner {partner}: no such partner"
                         f"{did_you_mean(partner, list(sc.partner))} "
                         f"(partners: {', '.join(sc.partner)})")


def _partner_case(result, sc, partner: str | None, statement: Path | None) -> None:
    """`solve --partner ID`: one partner's case after the plan; `--statement`: the file."""
    if not result.has_plan or (partner is None and statement is None):
        return
    from pbo.optimizer.analyses.partner_case import partner_cases, partner_view

    cases = partner_cases(result, sc)
    if partner is not None:
        console.print(partner_view(cases, partner))
    if statement is not None:
        from pbo.models.io.export import write_json

        if statement.suffix.lower() == ".json":
            write_json(statement, cases.to_json(partner))
        else:
            from pbo.models.io.results_workbook import write_tables_workbook

            write_tables_workbook(statement, cases.tables(partner), sc.currency,
                                  {"pays", "cashable_benefit", "net", "cumulative_net",
                                   "pays_npv", "cashable_benefit_npv", "net_npv",
                                   *cases.columns()})
        console.print(f"Wrote {statement}")


def write_result(result, out: Path) -> None:
    from pbo.models.io.export import check_output_path, write_csv_tables, write_json

    suffix = out.suffix.lower()
    if suffix == ".json":
        write_json(out, result.model_dump(mode="json"))
    elif suffix == ".csv":
        write_csv_tables(out, result.tables(), {
            "status": result.status, "objective": result.objective,
            "engine_version": result.meta.engine_version,
            "input_sha256": result.meta.input_sha256})
    elif suffix == ".xlsx":
        from pbo.models.io.results_workbook import write_results_workbook

        write_results_workbook(out, result)
    else:
        check_output_path(out, [], RESULT_SUFFIXES)


@app.command()
def schema(
    result: Annotated[str | None, typer.Option(
        "--result", metavar="KIND", help="Instead, the JSON Schema of a result's JSON: plan, "
        "sensitivity, sweep, compare, explain, explain-intervention or audit.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write it to this file (.json) instead of printing it.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Print the JSON Schema of the scenario format (for editors), or of a result's JSON."""
    from pbo.models.io.atomic import write_stdout
    from pbo.models.io.export import check_output_path, write_atomic
    from pbo.models.scenario import Scenario

    try:
        if result is not None:
            from pbo.optimizer.present.result_schemas import result_schema

            document = result_schema(result)
        else:
            document = Scenario.model_json_schema()
        text = json.dumps(document, indent=2) + "\n"
        if out is None:
            write_stdout(text)
            return
        check_output_path(out, [], (".json",))
        write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(f"Wrote {out}")


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
    debug: DebugOpt = False,
) -> None:
    """Parametric what-if: solve over a range of one input (or a grid of two)."""
    from rich.progress import Progress

    from pbo.models.io.export import check_output_path, write_csv, write_json
    from pbo.models.io.loading import read_data
    from pbo.models.overrides import apply_overrides, named_changes
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
        data = read_data(scenario)
        names = [n.strip() for n in (scenario_names or "").split(",") if n.strip()]
        if names:
            data = apply_overrides(data, named_changes(data, names))
        options = SolverOptions(time_limit=time_limit, check_binding=False)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("Sweeping", total=None)
            result = run_sweep(data, params, objective=objective.value if objective else None,
                               options=options,
                               progress=lambda k, n: bar.update(task, completed=k, total=n))
        console.print(sweep_table(result))
        if out is not None:
            if out.suffix.lower() == ".json":
                write_json(out, result.to_json())
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
def audit(
    result_file: Annotated[Path, typer.Argument(help="A result written by pbo solve --out .json.")],
    input_file: Annotated[Path | None, typer.Option(
        "--input", help="Hold the result against this scenario file (your own copy) in place "
        "of the one it names.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Re-solve a result's recorded input and re-check every sum (exit 1 if any check fails)."""
    from pbo.models.io.loading import read_json
    from pbo.optimizer.analyses.audit import audit as run_audit
    from pbo.optimizer.present.tables import audit_table

    try:
        with console.status("Re-solving the recorded input…", spinner="dots"):
            report = run_audit(read_json(result_file),
                               str(input_file.resolve()) if input_file is not None else None)
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(audit_table(report))
    if report.findings:
        console.print("What differs:")
        for finding in report.findings:
            console.print(f"  - {finding}", soft_wrap=True)
    if not report.passed:
        raise typer.Exit(1)


@app.command()
def template(
    out: Annotated[Path, typer.Argument(help="The workbook to write (.xlsx).")],
    debug: DebugOpt = False,
) -> None:
    """Write an empty, documented scenario workbook to fill in."""
    from pbo.models.io.export import check_output_path, write_atomic
    from pbo.models.io.workbook import write_workbook

    try:
        if out.suffix.lower() != ".xlsx":
            raise UsageError(f"{out}: a template is an .xlsx workbook")
        if out.exists():
            raise InputError(f"{out}: already exists; pbo will not overwrite it")
        check_output_path(out, [], (".xlsx",), "template")
        write_atomic(out, lambda tmp: write_workbook(tmp))
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(f"Wrote {out}: fill in the sheets (header notes say what each column "
                  "means), then `pbo validate` it.")


@app.command()
def convert(
    source: Annotated[Path, typer.Argument(help="Scenario to read (.yaml, .json, .xlsx).")],
    target: Annotated[Path, typer.Argument(help="Scenario to write (.yaml, .json, .xlsx).")],
    debug: DebugOpt = False,
) -> None:
    """Convert a scenario between YAML, JSON and Excel, losslessly."""
    from pbo.models.io.export import check_output_path, write_scenario
    from pbo.models.io.loading import SCENARIO_SUFFIXES, load_scenario

    try:
        check_output_path(target, [source], SCENARIO_SUFFIXES)
        write_scenario(target, load_scenario(source))
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(f"Wrote {target}")


@app.command()
def report(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="The decision pack to write (.html).")],
    objective: Annotated[Objective | None, typer.Option(help="Override the objective.")] = None,
    set_: SetOpt = None,
    scenario_names: ScenarioOpt = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for each HiGHS run.")] = None,
    with_shares: Annotated[bool, typer.Option(
        "--shares", help="Add each partner's fair shares (Shapley and least core: one solve "
        "per group of partners).")] = False,
    debug: DebugOpt = False,
) -> None:
    """Solve and write a self-contained HTML decision pack for the board."""
    from pbo.models.io.export import check_output_path, write_atomic
    from pbo.models.io.loading import file_sha256
    from pbo.optimizer.present.publish import report as publish
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve as solve_scenario

    try:
        check_output_path(out, [scenario], (".html", ".htm"))
        sc, overrides = _load(scenario, set_, scenario_names)
        with console.status("Solving…", spinner="dots"):
            result = solve_scenario(sc, objective.value if objective else None,
                                    SolverOptions(time_limit=time_limit),
                                    input_sha256=file_sha256(scenario), overrides=overrides,
                                    input_file=str(scenario.resolve()))
        page = publish(sc, objective=objective.value if objective else None,
                       options=SolverOptions(time_limit=time_limit), result=result,
                       shares=with_shares,
                       status=lambda what: console.status(what, spinner="dots"))
        write_atomic(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(f"Wrote {out} ({result.status})")
    if not result.has_plan:
        raise typer.Exit(4 if result.status == "infeasible" else 3)


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
        sc, _ = _load(scenario, set_, scenario_names)
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
    debug: DebugOpt = False,
) -> None:
    """Red-line value ranking: what relaxing each red line would gain, and marginal values."""
    from rich.progress import Progress

    from pbo.models.io.export import check_output_path, write_json
    from pbo.models.io.loading import file_sha256
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
        sc, overrides = _load(scenario, set_, scenario_names)
        with Progress(console=err, transient=True) as bar:
            task = bar.add_task("Relaxing red lines", total=None)
            result = run_sensitivity(
                sc, include_non_negotiable=all_, pairs=pairs,
                objective=objective.value if objective else None,
                options=SolverOptions(time_limit=time_limit, check_binding=False),
                plan=workbook, input_sha256=file_sha256(scenario), overrides=overrides,
                input_file=str(scenario.resolve()),
                progress=lambda k, n: bar.update(task, completed=k, total=n))
        console.print(sensitivity_view(result))
        if out is not None and workbook and result.plan is not None:
            from pbo.models.io.results_workbook import write_results_workbook

            write_results_workbook(out, result.plan, sensitivity=result.table(),
                                   marginals=result.marginals_table())
            console.print(f"Wrote {out}")
        elif out is not None:
            write_json(out, result.to_json())
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
        sc, _ = _load(scenario, set_, scenario_names)
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
        sc, _ = _load(scenario, set_, scenario_names)
        options = SolverOptions(time_limit=time_limit, check_binding=False)
        with console.status("Solving every coalition…", spinner="dots"):
            plan = solve_scenario(sc, options=options)
            actual = ({p.id: p.net_cashable_savings_npv for p in plan.partners}
                      if plan.has_plan else None)
            result = run_shares(sc, method.value, samples, seed, actual, options)
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
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler, e.g. tcp://HOST:8786 (or set PBO_SCHEDULER).")] = None,
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
        Progress,
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
        sc, _changes = _load(scenario, set_, scenario_names)
        if checkpoint is None and out is not None:
            checkpoint = out.with_name(out.stem + ".checkpoint.jsonl")
        if resume and checkpoint is None:
            raise UsageError("--resume: give --checkpoint FILE (or --out, which names one)")
        columns = (TextColumn("Samples"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task("Samples", total=samples)
            result = run_risk(
                sc, samples, seed, method=method.value,
                objective=objective.value if objective else None,
                options=SolverOptions(time_limit=time_limit, check_binding=False),
                reoptimise=reoptimise, robust=robust, robust_samples=robust_samples,
                workers=workers, scheduler=scheduler, checkpoint=checkpoint, resume=resume,
                progress=lambda k, n: bar.update(task, completed=k, total=n),
                input_file=str(scenario.resolve()))
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


if __name__ == "__main__":
    app()
