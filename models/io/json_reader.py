"""JSON scenario text as plain data, by the standard library's C decoder, with the bounds
and refusals of the YAML reader (`yaml12`): duplicate keys (with both lines), integers beyond
the float range, nesting, items and values in all."""

from __future__ import annotations

import json
from typing import Any

import yaml

from pbo.models.io import yaml12
from pbo.models.io.yaml12 import MAX_DEPTH, ReadProblems, TooLarge, load_yaml, too_large


class _DuplicateKey(Exception):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


def load_json(text: str, counts: bool = True) -> Any:
    """JSON text as plain data, by the standard library's decoder: ReadProblems for a
    duplicate key (with both lines), a huge integer or a passed limit; json.JSONDecodeError
    for text that is not JSON. `counts=False` (a result file, for audit, which at 10,000
    interventions may hold more rows than a scenario may): the depth and numbers bounded,
    not the count of items and values."""
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_int=_json_int)
    except _DuplicateKey:
        raise ReadProblems(_json_duplicates(text)) from None
    except TooLarge as exc:
        raise ReadProblems([f"{_line_of(text, str(exc))}: {too_large(str(exc))}"]) from None
    except RecursionError:
        raise ReadProblems([f"nested deeper than {MAX_DEPTH} levels (the limit; a scenario "
                            "needs about 6)"]) from None
    _check_bounds(data, counts)
    return data


def _json_int(text: str) -> int:
    return yaml12.int_literal(text, 10)


def _line_of(text: str, token: str) -> str:
    at = text.find(token)
    if at < 0:
        return "1:1"
    line = text.count("\n", 0, at) + 1
    return f"{line}:{at - (text.rfind(chr(10), 0, at) + 1) + 1}"


def _json_duplicates(text: str) -> list[str]:
    """The duplicate keys of JSON text, with their lines: JSON is YAML 1.2 flow text, so the
    YAML reader finds them (a plain sentence where it cannot read the text)."""
    try:
        load_yaml(text)
    except ReadProblems as exc:
        found = [p for p in exc.problems if "duplicate key" in p]
        if found:
            return found
    except yaml.YAMLError:
        pass
    return ["a key appears twice in one mapping; give each key once"]


_NESTING = frozenset((list, dict))


def _check_bounds(data: Any, counts: bool = True) -> None:
    """Depth, item and value counts of decoded JSON (the decoder's own recursion bound is
    about 1,000 levels, too deep for the copies made later)."""
    if not isinstance(data, list | dict):
        return
    todo: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    append, pop = todo.append, todo.pop
    while todo:
        node, depth = pop()
        nodes += len(node) if isinstance(node, list | dict) else 0
        if depth > MAX_DEPTH:
            raise ReadProblems([f"nested deeper than {MAX_DEPTH} levels (the limit; a "
                                "scenario needs about 6)"])
        if counts and len(node) > yaml12.MAX_ITEMS:
            raise ReadProblems([f"a list or mapping holds more than {yaml12.MAX_ITEMS:,} items "
                                "(the limit)"])
        children = node.values() if isinstance(node, dict) else node
        if not _NESTING.isdisjoint(set(map(type, children))):  # (gathered in C)
            for child in children:
                if type(child) in _NESTING:  # decoded JSON: plain lists and dicts
                    append((child, depth + 1))
    if counts and nodes > yaml12.MAX_NODES:
        raise ReadProblems([f"more than {yaml12.MAX_NODES:,} values in one file (the limit)"])
