"""`pbo`: the command line. Each command is a few lines that call the library."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from pbo.optimizer.present.terminal import SafeConsole, safe_text

if TYPE_CHECKING:
    from pbo.models.io.loading import Loaded

HELP_ORDER = ("validate", "solve", "sweep", "compare", "sensitivity", "explain", "alternatives",
              "shares", "risk", "report", "serve", "audit", "template", "convert", "schema")
"""`pbo --help` lists the commands in the order a user meets them (others after, A to Z)."""


class _Commands(typer.core.TyperGroup):
    """Ctrl-C in any command: one sentence on what it stopped and what that leaves, exit 130
    (128 + SIGINT, as shells report it), no traceback. Commands listed in HELP_ORDER."""

    def list_commands(self, ctx):  # type: ignore[no-untyped-def]
        names = super().list_commands(ctx)
        rank = {name: k for k, name in enumerate(HELP_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))

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
WorkersOpt = Annotated[int, typer.Option(
    help="Local worker processes (default 1: the solves run in this process).")]
SchedulerOpt = Annotated[str | None, typer.Option(
    help="Dask scheduler, e.g. tcp://HOST:8786 (or set PBO_SCHEDULER).")]


@contextmanager
def progress_bar(label: str, total: int | None = None,
                 *columns: Any) -> Iterator[Callable[[int, int], None]]:
    """A transient progress bar on stderr; yields the `progress(done, total)` callback the
    many-solve analyses take (`columns`: rich's, else its default ones)."""
    from rich.progress import Progress

    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, of: bar.update(task, completed=done, total=of)
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
    return Text("What-ifs applied, in order:", style="bold") + safe_text(
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


def _load(scenario: Path, sets: list[str] | None, names: str | None) -> Loaded:
    """The scenario with named scenarios and --set applied, the changes made, and the hash of
    the file as read."""
    from pbo.models.io.loading import load_checked
    from pbo.models.overrides import parse_assignment

    overrides = [parse_assignment(s) for s in sets or []]
    chosen = [n.strip() for n in (names or "").split(",") if n.strip()]
    return load_checked(scenario, overrides, chosen)


@app.command()
def validate(scenario: ScenarioArg, debug: DebugOpt = False) -> None:
    """Check a scenario: every problem is listed at once, with where it is; warnings are
    printed and do not fail it."""
    from pbo.models.io.loading import load_with_what_ifs
    from pbo.models.warnings import scenario_warnings

    try:
        sc = load_with_what_ifs(scenario).scenario
    except PboError as exc:
        raise fail(exc, debug) from None
    for warning in scenario_warnings(sc):
        console.print(Text("warning: ", style="bold yellow") + safe_text(warning))
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
    exact_red_lines: Annotated[bool, typer.Option(
        "--exact-red-lines", help="Prove what relaxing each binding red line gains (a full "
        "re-solve each) instead of a range.")] = False,
    formulation: FormulationOpt = Formulation.reduced,
    partner: PartnerOpt = None,
    statement: StatementOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Solve a scenario: which interventions, at what scale, who pays what each year."""
    from pbo.models.io.export import PLAN_TABLES, check_output_path, csv_set_paths
    from pbo.optimizer.present.tables import print_plan
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve as solve_scenario

    try:
        siblings = csv_set_paths(out, PLAN_TABLES) if out is not None \
            and out.suffix.lower() == ".csv" else []
        if out is not None:
            check_output_path(out, [scenario], RESULT_SUFFIXES, siblings=siblings)
        loaded = _load(scenario, set_, scenario_names)
        sc = loaded.scenario
        what_ifs = _what_ifs(sc, scenario_names, set_)
        if what_ifs is not None:
            console.print(what_ifs)
        if statement is not None:
            check_output_path(statement, [scenario], (".json", ".xlsx"), "--statement")
            written = [] if out is None else [out, *siblings]
            if any(statement.resolve() == w.resolve() for w in written):
                raise UsageError(f"--statement {statement}: the same file as --out writes; "
                                 "give each its own name")
        _check_partner(sc, partner)
        options = SolverOptions(time_limit=time_limit, mip_gap=mip_gap,
                                check_binding=not no_binding,
                                exact_red_lines=exact_red_lines,
                                formulation=formulation.value)
        with console.status("Solving…", spinner="dots"):
            result = solve_scenario(sc, objective.value if objective else None, options,
                                    input_sha256=loaded.sha256, overrides=loaded.changes,
                                    input_file=str(scenario.resolve()))
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
    from pyomo.common.gc_manager import PauseGC

    from pbo.models.io.export import check_output_path, write_csv_tables, write_json

    suffix = out.suffix.lower()
    with PauseGC():  # what is written lives until it is (as in build_model)
        if suffix == ".json":
            write_json(out, result.model_dump(mode="json"))
        elif suffix == ".csv":
            write_csv_tables(out, result.tables(), {
                "status": result.status, "objective": result.objective,
                "engine_version": result.meta.engine_version,
                "input_file": result.meta.input_file,
                "input_sha256": result.meta.input_sha256})
        elif suffix == ".xlsx":
            from pbo.models.io.results_workbook import write_results_workbook

            write_results_workbook(out, result)
        else:
            check_output_path(out, [], RESULT_SUFFIXES)


# The other commands, a group to a module; importing them registers them on `app`.
from pbo.commands import analyses, files, whatif  # noqa: E402, F401


def main() -> None:
    """The `pbo` command (pyproject's entry point): the app, then, when nothing else is left
    running, an exit that does not free every object first, as mypy's `util.hard_exit` does.
    Tearing down a solved model of 5,000 interventions took 0.2 s after the last file was
    written and the last line printed. With another thread, a worker process or Dask still
    about, or an exit that is not a plain code, Python exits as usual."""
    try:
        app()
    except SystemExit as done:
        if not isinstance(done.code, int | None) or not _alone():
            raise
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            raise done from None
        os._exit(done.code or 0)


def _alone() -> bool:
    """Only this thread is running, no worker process is, and Dask was never imported (its
    clients close at exit)."""
    import threading

    processes = sys.modules.get("multiprocessing")
    return (threading.active_count() == 1 and "distributed" not in sys.modules
            and not (processes is not None and processes.active_children()))


if __name__ == "__main__":
    from pbo.cli import main as pbo_main  # run as a script: the module with every command

    pbo_main()
