"""Reading scenario files (YAML with the safe loader, JSON) into validated scenarios."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from pbo.models.checks import SECTIONS, locate_problems, validation_problems
from pbo.models.errors import InputError
from pbo.models.overrides import apply_overrides, check_set_once, named_changes
from pbo.models.scenario import Scenario

SCENARIO_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The safe loader (plain data only, no tags or objects), in C (libyaml) when PyYAML has it:
about 20 times faster on a large scenario."""


def read_data(path: Path | str) -> dict[str, Any]:
    """The raw mapping in a scenario file; unreadable or unparseable files are InputErrors."""
    data, _, problems = _read(path)
    if problems:
        raise InputError(problems)
    return data


def _read(path: Path | str) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The raw mapping, and for workbooks where each item sits and the cells that could not
    be read (reported together with the validation problems)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a scenario file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from pbo.models.io.workbook import read_workbook

        return read_workbook(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    where: dict[str, str] = {}
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 (a safe loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise InputError(f"{at}: not valid YAML ({problem}); "
                             "only plain YAML is read (no tags or objects)") from None
    else:
        raise InputError(f"{path}: unknown scenario format '{suffix}' "
                         "(expected .yaml, .yml, .json or .xlsx)")
    if data is None:
        raise InputError(f"{path}: the file is empty")
    if not isinstance(data, dict):
        raise InputError(f"{path}: a scenario is a mapping of fields (name, partners, "
                         f"interventions…), not a {type(data).__name__}")
    return data, where, []


def _yaml_lines(path: Path | str) -> dict[str, str]:
    """The line of every place in a YAML file, keyed as problems name places:
    'interventions[troubled_families].benefits' -> 'line 57' (read only when there are
    problems to place, so a valid file is parsed once)."""
    where: dict[str, str] = {}
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        if node is not None:
            _yaml_places(node, "", where)
    return where


STR_TAG = "tag:yaml.org,2002:str"


def _yaml_places(node: yaml.Node, at: str, where: dict[str, str],
                 seen: set[int] | None = None) -> None:
    """Record the line of each mapping key and list item under `node`, keyed as problems name
    places: items with a text id by that id ('partners[council]'), others by position; a key
    also under "AT@'KEY'" for a problem that names it (an unknown partner in benefits), and
    an item under "AT[ID]@'ID'" at its last occurrence (a duplicate id). The first place of a
    name wins otherwise; an aliased node is walked once (a recursive alias is no loop)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            line = f"line {key.start_mark.line + 1}"
            if at == "cost_sharing.shares":  # problems name an intervention's shares so
                where.setdefault(f"{at}[{key.value}]", line)
            place = f"{at}.{key.value}" if at else str(key.value)
            where.setdefault(place, line)
            if at:
                where.setdefault(f"{at}@'{key.value}'", line)
            _yaml_places(value, place, where, seen)
    elif isinstance(node, yaml.SequenceNode):
        for k, item in enumerate(node.value):
            ident = next((v.value for key, v in item.value if isinstance(key, yaml.ScalarNode)
                          and key.value == "id" and isinstance(v, yaml.ScalarNode)
                          and v.tag == STR_TAG and v.value), None) \
                if isinstance(item, yaml.MappingNode) else None
            place = f"{at}[{ident}]" if ident else f"{at}[{k}]"
            line = f"line {item.start_mark.line + 1}"
            where.setdefault(place, line)
            if ident:
                where[f"{place}@'{ident}'"] = line
            _yaml_places(item, place, where, seen)


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
    """A JSON object from a file (a result, for audit); unreadable files are InputErrors."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc})") from None
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
    overrides = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
    check_set_once(overrides)
    data, where, problems = _read(path)
    changes = [*named_changes(data, scenarios), *overrides]
    if changes:
        data = apply_overrides(data, changes)
    try:
        scenario = scenario_from_data(data)
    except InputError as exc:
        where = _changed_places(where or _yaml_lines(path), changes)
        problems = problems + locate_problems(exc.problems, where)
    if problems:
        raise InputError(problems)
    return scenario, changes


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def scenario_sha256(scenario: Scenario) -> str:
    return hashlib.sha256(scenario.model_dump_json().encode()).hexdigest()
