"""Audit a result: is it what pbo gives for its input, every figure, with nothing edited?

A result file can be edited by anyone, manifest included, so nothing in it is taken on
trust. The audit
1. reads the input file the result names (a regular file only, to a bound) and checks both
   links between it and the result: its SHA-256 against `input_sha256`, and the file with the
   recorded changes (`overrides`, in order) against the scenario recorded as solved. Clearing
   the changes, or restoring the hash after a `--set` solve, breaks one of the two;
2. recomputes every reported figure from the recorded plan's own decisions against the
   recorded scenario (`results.reconcile`, the same check every solve makes): every row of
   the model holds, and the objective, costs, benefits, partners' figures and years, payback
   years and targets are what those decisions give;
3. re-solves the recorded scenario with the recorded solver options and compares every
   figure: status, objective, gap, decisions, who pays, partners, targets, red lines.
Each figure that differs is named ('targets[council_savings].achieved: recorded £2.10m,
recomputed £1.05m'); any difference fails the audit (exit 1).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pbo.models.checks import located
from pbo.models.errors import InputError, UsageError
from pbo.models.io.input_file import read_recorded_input
from pbo.models.io.loading import SCENARIO_SUFFIXES, read_data, scenario_from_data
from pbo.models.overrides import apply_overrides
from pbo.models.results import PlanResult
from pbo.models.scenario import OBJECTIVES, Scenario
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.solving.figures import differences
from pbo.optimizer.solving.highs import MAX_THREADS, HighsSession, SolverOptions, highs_version
from pbo.optimizer.solving.plan import ENGINE_VERSION, solve
from pbo.optimizer.solving.results import reconcile


@dataclass
class AuditReport:
    checks: list[tuple[str, bool | None, str]] = field(default_factory=list)
    """(check, passed, detail) in the order run; passed None: could not be checked here."""
    findings: list[str] = field(default_factory=list)
    """Every figure (or input) that differs, named, in the order found."""

    @property
    def passed(self) -> bool:
        return all(ok is not False for _, ok, _ in self.checks)

    def add(self, name: str, ok: bool | None, detail: str = "",
            findings: list[str] | None = None) -> None:
        self.checks.append((name, ok, detail))
        self.findings.extend(findings or [])

    def compare(self, name: str, problems: list[str], fine: str) -> None:
        count = len(problems)
        self.add(name, not problems, fine if not problems else
                 f"{count} figure{'s' if count != 1 else ''} differ{'s' if count == 1 else ''}"
                 " (listed below)", problems)

    def tables(self) -> dict[str, Any]:
        """One tidy table, checks: check, passed (None: not checked here), detail."""
        import pandas as pd

        return {"checks": pd.DataFrame(self.checks, columns=["check", "passed", "detail"])}

    def to_json(self) -> dict[str, Any]:
        """The audit as JSON data; its schema is `pbo.result_schema("audit")`."""
        return {"passed": self.passed, "checks": [
            {"check": name, "passed": ok, "detail": detail} for name, ok, detail in self.checks],
            "findings": list(self.findings)}


def audit(payload: dict[str, Any] | PlanResult, input_file: str | None = None) -> AuditReport:
    """Every check a forensic auditor would make of a result file (see the module's doc):
    `payload` is the JSON a result was written as (`pbo solve --out FILE.json`), or the
    result itself. `input_file`: the scenario file to hold the result against, in place of
    the one it names (the auditor's own copy)."""
    if isinstance(payload, PlanResult):
        payload = payload.model_dump(mode="json")
    recorded = _result(payload)
    if input_file is not None:
        recorded = recorded.model_copy(update={"meta": recorded.meta.model_copy(
            update={"input_file": input_file})})
    meta = recorded.meta
    scenario = _recorded_scenario(recorded)
    options = recorded_options(meta.solver_options)
    report = AuditReport()
    add_versions(report, meta.engine_version, meta.solver)
    report.add("solver options", True, _options_said(options) + (
        "" if meta.solver_options else " (none recorded: pbo's defaults, which may not be "
        "what it was solved with)"))
    check_input(report, recorded, scenario)
    built = build_model(scenario, recorded.objective_name)
    session = HighsSession(built, options)
    labels = [f"meta.{k}: recorded {getattr(meta, k)!r}, the recorded scenario's "
              f"{getattr(scenario, n)!r}" for k, n in (("scenario_name", "name"),
                                                       ("currency", "currency"))
              if getattr(meta, k) != getattr(scenario, n)]
    report.compare("figures reconcile", labels + reconcile(recorded, session, said="recorded"),
                   "the recorded plan keeps every row; its figures recompute and add up")
    again = solve(scenario, recorded.objective_name, options)
    report.compare("status reproduces", differences(recorded, again, "re-solved",
                                                    only=("status",)),
                   f"recorded {recorded.status}, re-solved {again.status}")
    for name, only, fine in (
        ("objective reproduces", ("objective", "mip_gap"), "objective and gap match"),
        ("decisions reproduce", ("interventions[",), "every intervention's units match"),
        ("contributions reproduce", ("funding[", "partners[", "partner_years["),
         "who pays, and every partner's figures, match"),
        ("targets reproduce", ("targets[",), "every target's achieved value and met match"),
        ("red lines reproduce", ("red_lines[",), "every red line's binding flag matches"),
    ):
        report.compare(name, differences(recorded, again, "re-solved", only=only), fine)
    return report


def audit_file_set(manifest: str | Path, record: dict[str, Any]) -> AuditReport:
    """A CSV result set (`pbo solve --out plan.csv`) by its manifest (`record`, as read):
    every table it lists is there with the bytes it records (the set is whole: not torn by
    a kill between renames, nor edited since), and the input file it names, when it is
    there, is the one solved. A set holds the plan's tables, not the scenario as solved nor
    the solver options, so its figures are not re-solved here: the JSON result's are."""
    from pbo.models.io.atomic import verify_file_set

    report = AuditReport()
    count = len(record.get("files") or [])
    problems = verify_file_set(Path(manifest))
    unlisted = _tables_listed(Path(manifest), record)
    detail = (f"{count} tables, each with the bytes the manifest records" if not problems
              else f"{len(problems)} of {count} tables {'is' if len(problems) == 1 else 'are'}"
              " not as the manifest records (listed below)")
    if unlisted:
        detail = ("the manifest does not list the plan's tables once each (listed below)"
                  + ("" if problems else "; each table it lists is as it records"))
    report.add("the set is whole", not (problems or unlisted), detail, problems + unlisted)
    path = record.get("input_file")
    if not isinstance(path, str) or not path:
        report.add(INPUT_CHECK, None, "the manifest names no input file")
    else:
        input_hashed(report, path, str(record.get("input_sha256")))
    report.add("figures reproduce", None, "a CSV set holds no scenario or solver options to "
               "re-solve: write the plan as JSON too (pbo solve --out plan.json) and audit "
               "that")
    return report


def _tables_listed(manifest: Path, record: dict[str, Any]) -> list[str]:
    """A plan's set is its six tables (export.PLAN_TABLES), each listed once: a manifest
    that leaves one out, or lists one twice, does not describe a whole set."""
    from collections import Counter

    from pbo.models.io.export import PLAN_TABLES, csv_set_paths

    plan = manifest.with_name(manifest.name.removesuffix("_manifest.json") + ".csv")
    try:
        listed = Counter(str(e["name"]) for e in record.get("files") or [])
    except (KeyError, TypeError):
        return []  # verify_file_set says the manifest is not readable
    problems = [f"{name}: listed {n} times" for name, n in sorted(listed.items()) if n > 1]
    problems += [f"{table.name}: not listed (a plan's set has {len(PLAN_TABLES)} tables)"
                 for table in csv_set_paths(plan, PLAN_TABLES)[:-1] if table.name not in listed]
    return problems


def add_versions(report: AuditReport, engine_version: str, solver: str) -> None:
    """The checks that the recorded engine and HiGHS versions are the ones running."""
    report.add("engine version", engine_version == ENGINE_VERSION,
               f"recorded {engine_version}, running {ENGINE_VERSION}")
    report.add("HiGHS version", solver == highs_version(),
               f"recorded {solver}, running {highs_version()}")


def _result(payload: dict[str, Any]) -> PlanResult:
    try:
        return PlanResult.model_validate(payload)
    except ValidationError as exc:
        raise not_fitting(exc, payload, "a pbo result file") from None


def not_fitting(exc: ValidationError, payload: Any, what: str) -> InputError:
    """A file (`payload`, as read) that is not `what` ('a pbo result file'), with the fields
    that do not fit named as a scenario's problems are (an item by its id), up to
    SHOWN_FIELDS (the rest counted)."""
    errors = exc.errors(include_url=False, include_input=False)
    named = [f"{located(tuple(e['loc']), payload, '(the file)')}: {e['msg'].lower()}"
             for e in errors[:SHOWN_FIELDS]]
    more = f" and {len(errors) - SHOWN_FIELDS} more" if len(errors) > SHOWN_FIELDS else ""
    return InputError(f"not {what} ({len(errors)} field{'s do' if len(errors) != 1 else ' does'}"
                      f" not fit: {'; '.join(named)}{more})")


SHOWN_FIELDS = 5
"""Fields named when a file is not a pbo result (the count of the rest follows)."""


def _recorded_scenario(recorded: PlanResult) -> Scenario:
    if recorded.meta.scenario is None:
        raise InputError("the result carries no manifest scenario (written by an older pbo?)")
    if recorded.objective_name not in OBJECTIVES:
        raise InputError(f"objective_name: '{recorded.objective_name}' is not an objective "
                         f"(one of {', '.join(OBJECTIVES)})")
    try:
        return scenario_from_data(recorded.meta.scenario)
    except InputError as exc:
        raise InputError([f"meta.scenario (the scenario recorded as solved): {p}"
                          for p in exc.problems]) from None


def recorded_options(values: dict[str, Any]) -> SolverOptions:
    """The solver options a result records, each checked (a plain InputError, exit 1, for
    one out of range or of the wrong kind: `threads: 100000` is not run)."""
    known = {f.name: f for f in fields(SolverOptions)}
    problems = [f"meta.solver_options.{k}: not a pbo solver option (one of "
                f"{', '.join(known)})" for k in values if k not in known]

    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

    at = "meta.solver_options"
    time_limit, gap, threads = (values.get(k) for k in ("time_limit", "mip_gap", "threads"))
    if time_limit is not None and not (number(time_limit) and float(time_limit) > 0):
        problems.append(f"{at}.time_limit {time_limit!r}: seconds, more than 0 (or null)")
    if "mip_gap" in values and not (number(gap) and 0 <= float(gap or 0) < 1):
        problems.append(f"{at}.mip_gap {gap!r}: a relative gap at least 0 and below 1")
    if threads is not None and not (isinstance(threads, int) and not isinstance(threads, bool)
                                    and 1 <= threads <= MAX_THREADS):
        problems.append(f"{at}.threads {threads!r}: a whole number from 1 to {MAX_THREADS} "
                        "(or null)")
    for k in ("accept_time_limited", "check_binding", "exact_red_lines"):
        if k in values and not isinstance(values[k], bool):
            problems.append(f"{at}.{k} {values[k]!r}: true or false")
    if problems:
        raise InputError(problems)
    try:
        return SolverOptions(**{k: v for k, v in values.items() if k in known})
    except UsageError as exc:  # a range SolverOptions adds later: still the file's problem
        raise InputError([f"{at}: {p}" for p in exc.problems]) from None


def _options_said(options: SolverOptions) -> str:
    said = f"mip_gap {options.mip_gap:g}"
    if options.mip_gap > SolverOptions().mip_gap:
        said += f" (the plan is optimal only to within {options.mip_gap:.2%})"
    if options.time_limit is not None:
        said += f", time limit {options.time_limit:g} s"
    return said


INPUT_CHECK = "input file unchanged"
SCENARIO_CHECK = "scenario is the input file with the recorded changes"


def check_input(report: AuditReport, recorded: PlanResult, scenario: Scenario) -> None:
    """Both links between the input file and the result: the file's hash, and the file with
    the recorded changes against the scenario recorded as solved."""
    meta = recorded.meta
    if not meta.input_file:
        report.add(INPUT_CHECK, None, "the result names no input file (solved from data); "
                   "the scenario recorded in the result is re-solved")
        return
    path = meta.input_file
    raw = input_hashed(report, path, meta.input_sha256, "meta.",
                        "; the scenario recorded in the result is re-solved")
    if raw is None:
        return
    unread = not_a_scenario_file(path, "meta.")
    if unread:
        report.add(SCENARIO_CHECK, False, "the input file is not read", unread)
        return
    changes, problems = recorded_changes(meta.overrides)
    if not problems:
        try:
            data = read_data(path, raw)  # the bytes hashed above, not a second read
            solved = scenario_from_data(apply_overrides(data, changes) if changes else data)
        except InputError as exc:
            problems = [f"the input file with the recorded changes: {p}" for p in exc.problems]
        else:
            problems = scenario_differences(solved.model_dump(mode="json"),
                                            scenario.model_dump(mode="json"))
    said = ", ".join(f"{p}={v}" for p, v in changes) or "none"
    report.add(SCENARIO_CHECK, not problems, f"recorded changes: {said}"
               if not problems else f"{len(problems)} difference(s) (listed below); recorded "
               f"changes: {said}", problems)


def input_hashed(report: AuditReport, path: str, recorded: str, prefix: str = "",
                  meanwhile: str = "") -> bytes | None:
    """The input file a result names, read once, and the check of its SHA-256 against the
    one recorded; None (the check failed, or was skipped) when it cannot be read or is not
    here. `prefix` places the fields in the findings ('meta.'); `meanwhile` says what the
    audit does without the file."""
    try:
        raw = read_recorded_input(path)
    except InputError as exc:
        report.add(INPUT_CHECK, False, "the recorded input cannot be the scenario solved",
                   [f"{prefix}input_file: {p}" for p in exc.problems])
        return None
    if raw is None:
        report.add(INPUT_CHECK, None, f"{path} is not here, so it cannot be compared{meanwhile}")
        return None
    digest = hashlib.sha256(raw).hexdigest()
    same = digest == recorded
    report.add(INPUT_CHECK, same, f"{path}: sha256 {digest[:12]}… (recorded {recorded[:12]}…)",
               [] if same else [f"{prefix}input_sha256: recorded {recorded}, the file's is "
                                f"{digest}"])
    return raw


def analysis_manifest(kind: str, input_file: str, input_sha256: str,
                      changes: Sequence[tuple[str, Any]], objective: str | None,
                      time_limit: float | None, **asked: Any) -> dict[str, Any]:
    """What `pbo audit` needs to re-run an analysis (`kind`: sweep, sensitivity), as its
    file records it (`rerun_input` reads it back): the input file, its SHA-256 and the
    changes applied to it, the objective and time limit, what else was asked (`asked`:
    sensitivity's include_non_negotiable and pairs), and the engine's and HiGHS's versions."""
    return {"kind": kind, "input_file": input_file, "input_sha256": input_sha256,
            "overrides": [[path, value] for path, value in changes], "objective": objective,
            "time_limit": time_limit, **asked, "engine_version": ENGINE_VERSION,
            "solver": highs_version()}


def rerun_input(report: AuditReport, manifest: Any, input_file: str | None, check: str,
                what: str) -> dict[str, Any] | None:
    """The scenario data a re-runnable analysis (`what`: 'sweep') was run on, its recorded
    changes applied, from its manifest (`analysis_manifest`), with the checks of the
    versions and of the input file's hash added to `report`; `input_file`: the auditor's own
    copy. None, with `check` failed and why, when it cannot be re-run: no manifest, no input
    file, or one that is not a scenario file."""
    if manifest is None:
        report.add(check, False, f"the {what} records no manifest (it was run from data, not "
                   "a file, or by an older pbo), so it cannot be re-run")
        return None
    add_versions(report, manifest.engine_version, manifest.solver)
    path = input_file or manifest.input_file
    raw = input_hashed(report, path, manifest.input_sha256, "manifest.",
                       f"; the {what} cannot be re-run without it")
    if raw is None:
        return None
    unread = not_a_scenario_file(path, "manifest.")
    if unread:
        report.add(check, False, "the input file is not read", unread)
        return None
    changes, problems = recorded_changes(manifest.overrides, "manifest.overrides")
    if problems:
        raise InputError(problems)
    data = read_data(path, raw)
    return apply_overrides(data, changes) if changes else data


def not_a_scenario_file(path: str, prefix: str) -> list[str]:
    """The finding for a named input that is not a scenario file (.yaml, .yml, .json, .xlsx),
    which is hashed but never parsed (its text would be echoed), or none."""
    if Path(path).suffix.lower() in SCENARIO_SUFFIXES:
        return []
    return [f"{prefix}input_file: {path} is not a scenario file "
            f"({', '.join(SCENARIO_SUFFIXES)}), so it is not read"]


def recorded_changes(overrides: list[list[Any]], at: str = "meta.overrides",
                     ) -> tuple[list[tuple[str, Any]], list[str]]:
    """The changes a result records at `at` ([PATH, VALUE] each), and a problem for each
    that is not."""
    changes, problems = [], []
    for k, item in enumerate(overrides):
        if len(item) == 2 and isinstance(item[0], str) and item[0]:
            changes.append((item[0], item[1]))
        else:
            problems.append(f"{at}[{k}]: {item!r} is not a change [PATH, VALUE]")
    return changes, problems


def scenario_differences(from_file: Any, recorded: Any, at: str = "") -> list[str]:
    """Where the scenario recorded as solved differs from the input file with the recorded
    changes, by ids ('interventions[hub].unit_cost: the file with the recorded changes
    gives [150000.0, ...], the result records [...]')."""
    if isinstance(from_file, dict) and isinstance(recorded, dict):
        out = []
        for key in [*from_file, *(k for k in recorded if k not in from_file)]:
            place = f"{at}.{key}" if at else str(key)
            out += scenario_differences(from_file.get(key), recorded.get(key), place)
        return out
    if isinstance(from_file, list) and isinstance(recorded, list):
        def ids(items: list[Any]) -> list[Any]:
            return [i.get("id") if isinstance(i, dict) else None for i in items]

        a, b = ids(from_file), ids(recorded)
        if None not in a and None not in b and a != b:
            missing = [str(i) for i in a if i not in b]
            extra = [str(i) for i in b if i not in a]
            if missing or extra:
                return [f"{at}: the file with the recorded changes has "
                        f"{', '.join(missing) or 'no other'}; the result records "
                        f"{', '.join(extra) or 'no other'}"]
        if None not in a and None not in b and len(set(a)) == len(a):
            by_id = {i["id"]: i for i in recorded}
            return [p for item in from_file
                    for p in scenario_differences(item, by_id[item["id"]], f"{at}[{item['id']}]")]
        scalars = not any(isinstance(v, dict | list) for v in (*from_file, *recorded))
        if len(from_file) == len(recorded) and not scalars:
            return [p for k, (x, y) in enumerate(zip(from_file, recorded, strict=True))
                    for p in scenario_differences(x, y, f"{at}[{k}]")]
    if from_file == recorded and type(from_file) is type(recorded):
        return []
    return [f"{at}: the file with the recorded changes gives {_short(from_file)}, the result "
            f"records {_short(recorded)}"]


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
