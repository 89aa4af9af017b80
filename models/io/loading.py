"""Reading scenario files (YAML 1.2 and JSON, within stated bounds) into validated scenarios."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import ValidationError

from pbo.models.checks import (
    SECTIONS,
    item_id,
    locate_problems,
    place_prefixes,
    validation_problems,
)
from pbo.models.errors import InputError, abridged
from pbo.models.io.input_file import MAX_INPUT_BYTES, read_file
from pbo.models.io.json_reader import load_json
from pbo.models.io.yaml12 import MAX_FILE_BYTES, Lines, ReadProblems, load_yaml
from pbo.models.overrides import (
    apply_overrides,
    check_set_once,
    named_change_groups,
)
from pbo.models.scenario import Scenario

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")


def read_data(path: Path | str, raw: bytes | None = None) -> dict[str, Any]:
    """The raw mapping in a scenario file (in `raw`, its bytes as read already, when given);
    unreadable or unparseable files are InputErrors."""
    read = _read(path) if raw is None else _parse(Path(path), raw)
    if read.problems:
        raise InputError(read.problems)
    return read.data


Locate = Callable[[set[str]], dict[str, str]]
"""Where the places named (and their items) sit in the file: {'partners[council]': 'line 4'}."""


class Read(NamedTuple):
    """A scenario file as read: the raw mapping; for workbooks where each item sits and the
    cells that could not be read (reported together with the validation problems); for YAML
    and JSON, a function that finds where named places sit (used only when there are
    problems to place); and the SHA-256 of the bytes read."""

    data: dict[str, Any]
    where: dict[str, str]
    problems: list[str]
    locate: Locate | None
    sha256: str


def _read(path: Path | str) -> Read:
    """The scenario file at `path`, read once (`input_file.read_file`)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a scenario file")
    suffix = path.suffix.lower()
    if suffix not in SCENARIO_SUFFIXES:
        raise InputError(f"{path}: unknown scenario format '{suffix}' "
                         "(expected .yaml, .yml, .json or .xlsx)")
    if suffix == ".xlsx":
        from pbo.models.io.workbook_file import MAX_FILE_BYTES as MAX_WORKBOOK_BYTES
        from pbo.models.io.workbook_file import too_large

        return _parse(path, read_file(path, MAX_WORKBOOK_BYTES, "an .xlsx workbook",
                                      lambda size: too_large(path, size)))
    return _parse(path, read_file(path, MAX_FILE_BYTES))


def _parse(path: Path, raw: bytes) -> Read:
    """A scenario file's bytes, parsed as its suffix says."""
    sha = hashlib.sha256(raw).hexdigest()
    if path.suffix.lower() == ".xlsx":
        from pbo.models.io.workbook import read_workbook

        return Read(*read_workbook(path, raw), None, sha)
    text = _text(path, raw)
    lines = Lines() if path.suffix.lower() != ".json" else None
    try:
        data = load_yaml(text, lines) if lines is not None else load_json(text)
    except ReadProblems as exc:
        raise InputError([f"{path}:{p}" if p[:1].isdigit() else f"{path}: {p}"
                          for p in exc.problems]) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{at}: not valid YAML ({problem}); "
                         "only plain YAML is read (no tags or objects)") from None
    if data is None:
        raise InputError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise InputError(f"{path}: a scenario is a mapping of fields (name, partners, "
                         f"interventions…), not a {type(data).__name__}")
    if lines is not None:
        def locate(wanted: set[str]) -> dict[str, str]:
            return place_lines(data, lines, wanted)
    else:
        def locate(wanted: set[str]) -> dict[str, str]:
            return _json_places(text, wanted)
    return Read(data, {}, [], locate, sha)


def _text(path: Path, raw: bytes) -> str:
    """A scenario file's text: at most MAX_FILE_BYTES, in UTF-8."""
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{path}: {len(raw):,} bytes is larger than a scenario file may be "
                         f"({MAX_FILE_BYTES // 2**20} MiB, the limit)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None


def _json_places(text: str, wanted: set[str]) -> dict[str, str]:
    """Lines in JSON text, read as the YAML 1.2 flow text it is (none where libyaml cannot)."""
    lines = Lines()
    try:
        data = load_yaml(text, lines)
    except (ReadProblems, yaml.YAMLError):
        return {}
    return place_lines(data, lines, wanted)


def wanted_places(problems: Iterable[str]) -> set[str]:
    """The places that problems name, and every place enclosing them."""
    return {p for problem in problems for p in place_prefixes(problem.partition(":")[0])}


def place_lines(data: Any, lines: Lines, wanted: set[str]) -> dict[str, str]:
    """The line of each mapping key and list item in a place that is wanted (or at the top),
    keyed as problems name places: items with a text id by that id ('partners[council]'),
    others by position; a key also under "AT@'KEY'" for a problem that names it (an unknown
    partner in benefits), and an item under "AT[ID]@'ID'" at its last occurrence (a duplicate
    id). The first place of a name wins otherwise. Only wanted places are entered, so
    placing a few problems in a large file reads little of it."""
    where: dict[str, str] = {}
    todo: list[tuple[Any, str]] = [(data, "")]
    while todo:
        node, at = todo.pop()
        found = lines.of.get(id(node))
        if found is None:
            continue
        enter: list[tuple[Any, str]] = []
        if isinstance(node, dict):
            for raw_key, value in node.items():
                line = f"line {found.get(raw_key, '?')}"
                key = abridged(str(raw_key))
                if at == "cost_sharing.shares":  # problems name an intervention's shares so
                    where.setdefault(f"{at}[{key}]", line)
                place = f"{at}.{key}" if at else str(key)
                where.setdefault(place, line)
                if at:
                    where.setdefault(f"{at}@'{key}'", line)
                if place in wanted:
                    enter.append((value, place))
        elif isinstance(node, list):
            for k, (item, number) in enumerate(zip(node, found, strict=False)):
                ident = item_id(item)
                place = f"{at}[{ident or k}]"
                line = f"line {number}"
                where.setdefault(place, line)
                if ident:
                    where[f"{place}@'{ident}'"] = line
                if place in wanted:
                    enter.append((item, place))
        todo.extend(reversed(enter))  # in the file's order: the first place of a name wins
    return where


CHANGED = "as changed by --set or --scenario"


def _changed_places(where: dict[str, str], changes: list[tuple[str, Any]]) -> dict[str, str]:
    """`where` with each place a --set or named scenario changed said as such (its value is
    not the file's): 'interventions.hub.unit_cost' is 'interventions[hub].unit_cost', and a
    new key or year under a place ('...benefits.nobody', '...poolable_budget.2030') is said so
    where a problem names it."""
    changed = []
    for path, _ in changes:
        head, *rest = path.split(".")
        if head in SECTIONS and rest:
            head, rest = f"{head}[{rest[0]}]", rest[1:]
        elif path.startswith("cost_sharing.shares.") and len(rest) >= 2:
            changed.append(f"cost_sharing.shares[{rest[1]}]")
        changed.append(".".join([head, *rest]))
    kept = {k: v for k, v in where.items()
            if not any(k == c or k.startswith((c + ".", c + "@", c + "[")) for c in changed)}
    marks = {c: CHANGED for c in changed}
    for c in changed:
        parent, _, last = c.rpartition(".")
        if parent:
            marks[f"{parent}@'{last}'"] = marks[f"{parent}@{last}"] = CHANGED
    return {**kept, **marks}


def read_json(path: Path | str) -> dict[str, Any]:
    """A JSON object from a file (a result, for audit), read once to a bound; unreadable
    files are InputErrors."""
    raw = read_file(path, MAX_INPUT_BYTES, "a result file", lambda _: (
        f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB, so not a result pbo wrote"))
    try:  # bounded as a scenario's JSON is: no huge integer, no deep nesting, no key twice
        data = load_json(raw.decode("utf-8"), counts=False)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc})") from None
    except ReadProblems as exc:
        raise InputError([f"{path}: {p}" for p in exc.problems]) from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data


def scenario_from_data(data: Mapping[str, Any]) -> Scenario:
    """Validate plain data; every problem is reported together in one InputError."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, data)) from None


def load_scenario(path: Path | str,
                  overrides: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
                  scenarios: Iterable[str] = ()) -> Scenario:
    """Read, apply named scenarios then `--set` overrides ((PATH, VALUE) pairs, or a mapping
    {PATH: VALUE}) in order, and validate."""
    return load_with_changes(path, overrides, scenarios)[0]


def load_with_changes(path: Path | str,
                      overrides: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
                      scenarios: Iterable[str] = ()) -> tuple[Scenario, list[tuple[str, Any]]]:
    """The validated scenario and every change applied to the file, in order (for the
    result's audit trail)."""
    loaded = load_checked(path, overrides, scenarios)
    return loaded.scenario, loaded.changes


class Loaded(NamedTuple):
    """A scenario file read once and validated: the scenario, every change applied to the
    file in order, the data it was validated from, and the SHA-256 of the bytes read."""

    scenario: Scenario
    changes: list[tuple[str, Any]]
    data: dict[str, Any]
    sha256: str


def load_checked(path: Path | str,
                 overrides: Iterable[tuple[str, Any]] | Mapping[str, Any] = (),
                 scenarios: Iterable[str] = ()) -> Loaded:
    """`load_with_changes`, with the data validated and the hash of the file as read (what a
    result records: the bytes solved, not the file as it is a moment later)."""
    overrides = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
    check_set_once(overrides)
    return _checked(_read(path), overrides, scenarios)


def _checked(read: Read, overrides: list[tuple[str, Any]], scenarios: Iterable[str]) -> Loaded:
    groups = named_change_groups(read.data, scenarios)
    changes = [*(c for _, named in groups for c in named), *overrides]
    data, problems = _applied(read.data, groups, overrides) if changes else (read.data, [])
    problems = read.problems + problems  # a change that cannot be made hides no other problem
    try:
        scenario = scenario_from_data(data)
    except InputError as exc:
        where = read.locate(wanted_places(exc.problems)) if read.locate else read.where
        where = _changed_places(where, changes)
        problems = problems + locate_problems(exc.problems, where)
    if problems:
        raise InputError(problems)
    return Loaded(scenario, changes, data, read.sha256)


def _applied(data: dict[str, Any], groups: list[tuple[str, list[tuple[str, Any]]]],
             overrides: list[tuple[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """`data` with each named scenario's changes (`named_change_groups`), then `overrides`,
    applied in order, and the problems: each group that cannot be made is left out and said,
    with the what-if it comes from."""
    problems = []
    for said, changes in [*((f"scenarios.{n}: ", named) for n, named in groups),
                          ("", overrides)]:  # a --set problem names its path already
        try:
            data = apply_overrides(data, changes)
        except InputError as exc:
            problems += [f"{said}{p}" for p in exc.problems]
    return data, problems


def load_with_what_ifs(path: Path | str) -> Loaded:
    """The file, as `load_checked` reads it, with each named what-if also checked
    (`what_if_problems`): for `pbo validate`. A what-if that is not even a mapping of changes
    (`bad: 5`) is a problem of the file; it no longer hides the problems of the others, which
    are checked without it (when the file's only problems are such what-ifs)."""
    read = _read(path)
    try:
        loaded, malformed = _checked(read, [], []), []
    except InputError as exc:
        named = [_what_if_named(p) for p in exc.problems]
        defined = read.data.get("scenarios")
        if not isinstance(defined, dict) or None in named:
            raise
        kept = {k: v for k, v in defined.items() if k not in named}
        loaded = _checked(read._replace(data={**read.data, "scenarios": kept}), [], [])
        malformed = exc.problems
    problems = malformed + what_if_problems(loaded)
    if problems:
        raise InputError(problems)
    return loaded


def _what_if_named(problem: str) -> str | None:
    """The what-if a problem is in ('scenarios.bad4: ...' is in bad4), or None."""
    head = problem.partition(":")[0]
    return head.removeprefix("scenarios.").split(".")[0] if head.startswith("scenarios.") \
        else None


def what_if_problems(loaded: Loaded) -> list[str]:
    """Each named scenario (`scenarios:`) of a file, applied on its own to the file as read
    and validated: every problem, said with the what-if it is in (`pbo validate` checks
    them all, so a typo is found before a meeting asks for it)."""
    problems = []
    for name in loaded.data.get("scenarios") or {}:
        data, failed = _applied(loaded.data, named_change_groups(loaded.data, [name]), [])
        if failed:  # said with the what-if already; the rest is the file, valid
            problems += failed
            continue
        try:
            scenario_from_data(data)
        except InputError as exc:
            problems += [p if p.startswith(f"scenarios.{name}: ") else
                         f"scenarios.{name}: {p}" for p in exc.problems]
    return problems


def scenario_sha256(scenario: Scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()
