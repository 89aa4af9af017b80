"""What-if overrides: `PATH=VALUE` changes addressed by ids, applied to scenario data."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from pbo.models.checks import did_you_mean
from pbo.models.errors import InputError, UsageError
from pbo.models.io.yaml12 import ReadProblems, TooLarge, load_yaml, resolve, too_large

_PLAIN = re.compile(r"[^\s\[\]{},:#&*!|>'\"%@`]*")
"""A value with no YAML syntax in it (a number, a name, true), resolved without a parser."""


def parse_value(text: str) -> Any:
    """A command-line (or workbook cell) value by the scenario file's YAML 1.2 rules: a number
    (3e6 and 0x10 included; 12:30 and 1_000 stay text), true/false, null, a flow list or
    mapping ([a, b], {2020: 5}), else the text itself. A number beyond the float range, or a
    list that breaks a reading limit, is an InputError."""
    try:
        if _PLAIN.fullmatch(text):
            return resolve(text)
        return load_yaml(text)
    except TooLarge:
        raise InputError(f"value {text[:40]!r}: {too_large(text)}") from None
    except ReadProblems as exc:
        raise InputError([f"value {text[:40]!r}: {p.split(': ', 1)[-1]}"
                          for p in exc.problems]) from None
    except yaml.YAMLError:
        return text


def check_set_once(assignments: Iterable[tuple[str, Any]]) -> None:
    """The same path given twice with --set is a slip (which did you mean?), not an order."""
    seen: set[str] = set()
    twice = []
    for path, _ in assignments:
        if path in seen and path not in twice:
            twice.append(path)
        seen.add(path)
    if twice:
        raise UsageError([f"--set {path}: given twice; say it once" for path in twice])


def parse_assignment(text: str) -> tuple[str, Any]:
    path, sep, value = text.partition("=")
    if not sep or not path.strip():
        raise UsageError(f"--set {text!r}: expected PATH=VALUE, e.g. "
                         "targets.council_savings.min=3e6")
    return path.strip(), parse_value(value.strip())


def _child(node: Any, key: str, where: str) -> tuple[Any, Any]:
    """The container holding `key` under `node`, and the index/key to use in it."""
    if isinstance(node, list):
        ids = [str(item.get("id")) for item in node if isinstance(item, dict)]
        for k, item in enumerate(node):
            if isinstance(item, dict) and item.get("id") == key:
                return node, k
        raise InputError(f"{where}: no item with id '{key}'{did_you_mean(key, ids)}")
    if isinstance(node, dict):
        return node, key
    raise InputError(f"{where}: cannot go inside a {type(node).__name__}")


def apply_overrides(data: Mapping[str, Any], changes: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of `data` with each change applied in order (a later change to a path wins:
    `--scenario a,b` applies b over a, and --set over both). `data` is never changed: the
    copy is new along each changed path and shares the rest with `data` (a sweep point's
    copy of a 300-intervention scenario is a few containers, not the whole of it)."""
    out = dict(data)
    problems = []
    for path, value in changes:
        try:
            _set_path(out, path, value)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    if parts[0] not in _TOP_LEVEL:
        raise InputError(f"{path}: unknown field '{parts[0]}'{did_you_mean(parts[0], _TOP_LEVEL)}")
    node: Any = data  # a copy of its own at every step, so writing into it is safe
    for depth, key in enumerate(parts[:-1]):
        container, index = _child(node, key, ".".join(parts[: depth + 1]))
        if isinstance(container, dict) and container.get(index) is None:
            container[index] = [] if depth == 0 else {}
        child = container[index]
        if isinstance(child, list | dict):
            child = container[index] = copy.copy(child)
        node = child
    container, index = _child(node, parts[-1], path)
    container[index] = value


_TOP_LEVEL = ("name", "currency", "start_year", "years", "discount_rate", "objective",
              "cost_sharing", "partners", "interventions", "targets", "red_lines", "scenarios")


def named_changes(data: Mapping[str, Any], names: Iterable[str]) -> list[tuple[str, Any]]:
    """The changes of the named scenarios, in order."""
    return [change for _, changes in named_change_groups(data, names) for change in changes]


def named_change_groups(data: Mapping[str, Any], names: Iterable[str]
                        ) -> list[tuple[str, list[tuple[str, Any]]]]:
    """Each named scenario with its changes, in order (every unknown name a problem)."""
    defined = data.get("scenarios") or {}
    groups: list[tuple[str, list[tuple[str, Any]]]] = []
    problems = []
    for name in names:
        if name not in defined:
            problems.append(f"scenarios: no scenario named '{name}'"
                            f"{did_you_mean(name, defined)}")
            continue
        groups.append((name, [(str(path), value)
                              for path, value in (defined[name] or {}).items()]))
    if problems:
        raise InputError(problems)
    return groups
