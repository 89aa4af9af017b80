"""`pbo` commands on files: the schema, the template, convert, audit and the decision pack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from pbo.cli import (
    DebugOpt,
    Objective,
    ScenarioArg,
    ScenarioOpt,
    SetOpt,
    _load,
    app,
    console,
    fail,
    progress_bar,
)
from pbo.models.errors import (
    InputError,
    PboError,
    UsageError,
)


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


FINDINGS_SHOWN = 50
"""Differences an audit prints (the count of the rest follows)."""


@app.command()
def audit(
    result_file: Annotated[Path, typer.Argument(
        help="A result written by pbo solve --out .json (or a CSV set's _manifest.json), "
        "or a sweep's or a sensitivity's --out .json.")],
    input_file: Annotated[Path | None, typer.Option(
        "--input", help="Hold the result against this scenario file (your own copy) in place "
        "of the one it names.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Re-solve a result's recorded input and re-check every sum (exit 1 if any check fails)."""
    from pbo.models.io.atomic import MANIFEST_FORMAT
    from pbo.models.io.loading import read_json
    from pbo.optimizer.analyses.audit import audit as run_audit
    from pbo.optimizer.analyses.audit import audit_file_set
    from pbo.optimizer.analyses.sensitivity_audit import audit_sensitivity, is_sensitivity
    from pbo.optimizer.analyses.sweep_audit import audit_sweep, is_sweep
    from pbo.optimizer.present.tables import audit_table

    try:
        if input_file is not None and not input_file.exists():  # a typo is not a pass
            raise UsageError(f"--input {input_file}: no such file")
        payload = read_json(result_file)
        if isinstance(payload.get("manifest"), dict) and "job_key" in payload["manifest"]:
            _audit_risk(payload, input_file)  # a `pbo risk` result
            return
        if payload.get("format") == MANIFEST_FORMAT:  # a CSV set: plan_manifest.json
            if input_file is not None:
                payload = {**payload, "input_file": str(input_file.resolve())}
            report = audit_file_set(result_file, payload)
        elif is_sweep(payload):  # `pbo sweep --out FILE.json`
            with progress_bar("Re-running the sweep") as progress:
                report = audit_sweep(payload, str(input_file.resolve())
                                     if input_file is not None else None, progress)
        elif is_sensitivity(payload):  # `pbo sensitivity --out FILE.json`
            with progress_bar("Relaxing the red lines again") as progress:
                report = audit_sensitivity(payload, str(input_file.resolve())
                                           if input_file is not None else None, progress)
        else:
            with console.status("Re-solving the recorded input…", spinner="dots"):
                report = run_audit(payload, str(input_file.resolve())
                                   if input_file is not None else None)
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(audit_table(report))
    if report.findings:
        console.print("What differs:")
        for finding in report.findings[:FINDINGS_SHOWN]:
            console.print(f"  - {finding}", soft_wrap=True)
        if len(report.findings) > FINDINGS_SHOWN:
            console.print(f"  … and {len(report.findings) - FINDINGS_SHOWN:,} more")
    if not report.passed:
        raise typer.Exit(1)


def _audit_risk(payload: dict, input_file: Path | None) -> None:
    """A risk result: a spread of its samples re-run from the scenario and compared."""
    from pbo.models.io.loading import load_scenario
    from pbo.optimizer.analyses.risk_audit import audit_risk_run

    named = payload["manifest"].get("input_file")
    path = input_file or (Path(named) if named else None)
    if path is None:
        raise InputError("the risk result names no scenario file: give --input FILE")
    with console.status("Re-running samples of the risk run…", spinner="dots"):
        indices, problems = audit_risk_run(load_scenario(path), payload)
    if problems:
        console.print("What differs:")
        for problem in problems:
            console.print(f"  - {problem}", soft_wrap=True)
        raise typer.Exit(1)
    total = payload["manifest"]["samples"]
    console.print(f"Risk run confirmed: samples {', '.join(map(str, indices))} of {total} "
                  f"re-run from {path.name} give the recorded figures.")


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
    alternatives: Annotated[int, typer.Option(
        "--alternatives", metavar="K", help="Add up to K near-optimal alternatives (plans "
        "within --slack of the best that fund different interventions).")] = 0,
    slack: Annotated[float, typer.Option(help="With --alternatives: how far below the best, "
                                         "as a share of it (0.02 = 2%).")] = 0.02,
    debug: DebugOpt = False,
) -> None:
    """Solve and write a self-contained HTML decision pack for the board."""
    from pbo.models.io.export import check_output_path, write_atomic
    from pbo.optimizer.present.publish import report as publish
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve as solve_scenario

    try:
        check_output_path(out, [scenario], (".html", ".htm"))
        loaded = _load(scenario, set_, scenario_names)
        sc = loaded.scenario
        with console.status("Solving…", spinner="dots"):
            result = solve_scenario(sc, objective.value if objective else None,
                                    SolverOptions(time_limit=time_limit),
                                    input_sha256=loaded.sha256, overrides=loaded.changes,
                                    input_file=str(scenario.resolve()))
        page = publish(sc, objective=objective.value if objective else None,
                       options=SolverOptions(time_limit=time_limit), result=result,
                       shares=with_shares, alternatives=alternatives, slack=slack,
                       status=lambda what: console.status(what, spinner="dots"))
        write_atomic(out, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    except PboError as exc:
        raise fail(exc, debug) from None
    console.print(f"Wrote {out} ({result.status})")
    if not result.has_plan:
        raise typer.Exit(4 if result.status == "infeasible" else 3)
