"""Scenario text as plain data: YAML 1.2 (core schema) and JSON, within stated bounds.

YAML is read event by event from libyaml's parser (PyYAML's C `CSafeLoader`, or its Python
parser where libyaml is missing) and built here without recursion, so that one pass can:

- resolve plain scalars by the YAML 1.2 core schema, exactly: `1e7`, `2e6`, `1.5e6` are
  floats; `0x10` and `0o17` are ints (16, 15: core-schema ints); `yes`, `no`, `on`, `off`,
  `12:30`, `1_000` and dates stay text (no YAML 1.1 surprises); `null`/`~`/empty is null,
  `true`/`false` (any of the three spellings) are booleans, `.inf`/`.nan` are floats;
- refuse every duplicate key of a mapping, naming both lines;
- bound the nesting depth, the nodes in all, the nodes that aliases repeat ("billion laughs")
  and the items of one list or mapping, and refuse a recursive alias;
- refuse an integer beyond the float range (10**400, a 5,000-digit number);
- refuse tags other than the core ones (no object is ever constructed from a tag);
- and, when asked, remember the line of every mapping key and list item, for located errors.

An alias is a copy of what its anchor names (a change to one never reaches the other), and
the merge key `<<` of YAML 1.1 is kept (explicit keys win over merged ones), since scenario
files use it for shared defaults. JSON is read with the same bounds by `json_reader`.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import yaml

MAX_FILE_BYTES = 20 * 1024 * 1024
"""A scenario file is at most 20 MiB (about 25,000 interventions over 10 years)."""
MAX_DEPTH = 64
"""Mappings and lists nest at most this deep (a scenario needs about 6)."""
MAX_NODES = 5_000_000
"""Values in one file in all, counting each alias as the values it repeats."""
MAX_ALIAS_NODES = 1_000_000
"""Values that aliases may repeat in all (a 1.4 KB "billion laughs" would repeat billions)."""
MAX_ITEMS = 1_000_000
"""Items of one list, or keys of one mapping."""
MAX_INT_DIGITS = 309
"""An integer literal beyond the float range (about 1.8e308) is refused; 309 digits bound it."""
_FLOAT_MAX = sys.float_info.max

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser (C) when PyYAML has it: the events come about 8 times faster."""

T = "tag:yaml.org,2002:"
_CORE_TAGS = {f"{T}{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")}


class ReadProblems(ValueError):
    """The problems found while reading text, each located 'LINE:COLUMN: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class _Stop(Exception):
    """One problem that ends the read (a limit passed, a bad tag, a recursive alias)."""

    def __init__(self, mark: Any, message: str):
        self.problem = f"{mark.line + 1}:{mark.column + 1}: {message}"
        super().__init__(self.problem)


# --------------------------------------------------------------- YAML 1.2 core schema
_WORDS: dict[str, Any] = {**dict.fromkeys(("~", "null", "Null", "NULL")),
                          "true": True, "True": True, "TRUE": True,
                          "false": False, "False": False, "FALSE": False}
_NUMBER = re.compile(r"[-+]?(?:([0-9]+)|(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)")
"""A core-schema decimal: an int when group 1 matches, else a float."""
_INT8 = re.compile(r"0o[0-7]+")
_INT16 = re.compile(r"0x[0-9a-fA-F]+")
_SPECIAL = {f"{s}{inf}": float(f"{s}inf") for s in ("", "+", "-")
            for inf in (".inf", ".Inf", ".INF")}
_SPECIAL.update({nan: float("nan") for nan in (".nan", ".NaN", ".NAN")})
_NUMERIC = frozenset("0123456789+-.")
_WORDY = frozenset("nNtTfF~")


class TooLarge(ValueError):
    """An integer literal beyond the float range."""


def int_literal(text: str, base: int) -> int:
    """An integer literal's value (text '0x..'/'0o..' for base 16/8); TooLarge beyond the
    float range."""
    if len(text) < (300 if base == 10 else 250):  # within the float range: no more checks
        return int(text) if base == 10 else int(text[2:], base)
    digits = text.lstrip("+-")
    if base == 10 and len(digits) > MAX_INT_DIGITS or base != 10 and len(digits) > 260:
        raise TooLarge(text)
    value = int(text, base) if base == 10 else int(text[2:], base)
    if abs(value) > _FLOAT_MAX:
        raise TooLarge(text)
    return value


def resolve(text: str) -> Any:
    """A plain (unquoted) scalar by the YAML 1.2 core schema; TooLarge for a huge integer."""
    if not text:
        return None
    first = text[0]
    if first in _NUMERIC:
        found = _NUMBER.fullmatch(text)
        if found:
            return int_literal(text, 10) if found.group(1) else float(text)
        if first == "0":
            if _INT16.fullmatch(text):
                return int_literal(text, 16)
            if _INT8.fullmatch(text):
                return int_literal(text, 8)
        return _SPECIAL.get(text, text)
    if first in _WORDY and text in _WORDS:
        return _WORDS[text]
    return text


def too_large(text: str) -> str:
    shown = text if len(text) <= 24 else f"{text[:12]}…{text[-6:]} ({len(text)} characters)"
    return (f"{shown} must be a finite number: it is beyond the largest number pbo reads "
            "(about 1.8e308)")


# --------------------------------------------------------------- YAML events to data
class Lines:
    """Where each mapping key and list item of loaded data sits: by the container's id, a
    {key: line} for a mapping and a [line, ...] for a list (the data must stay alive)."""

    def __init__(self) -> None:
        self.of: dict[int, Any] = {}


class _Frame:
    __slots__ = ("value", "is_map", "key", "key_mark", "keys", "lines", "anchor", "size",
                 "merges", "mark")

    def __init__(self, value: Any, is_map: bool, anchor: str | None, mark: Any):
        self.value = value
        self.is_map = is_map
        self.key: Any = _NO_KEY
        self.key_mark: Any = None
        self.keys: dict[Any, int] | None = {} if is_map else None
        self.lines: list[int] | None = None if is_map else []
        self.anchor = anchor
        self.size = 1
        self.merges: list[tuple[Any, Any]] = []
        self.mark = mark


_NO_KEY = object()
_MERGE = object()


def _tag_problem(tag: str) -> str:
    shown = "!!" + tag[len(T):] if tag.startswith(T) else tag
    return (f"not valid YAML (unknown tag '{shown}'); only plain YAML is read (no tags or "
            "objects)")


def _scalar(event: Any) -> Any:
    tag, value = event.tag, event.value
    plain = event.implicit[0]
    if tag is None or tag == "!":
        if plain and tag is None:
            if value == "<<":
                return _MERGE
            try:
                return resolve(value)
            except TooLarge:
                raise _Stop(event.start_mark, too_large(value)) from None
        return value
    if tag not in _CORE_TAGS or tag in (f"{T}seq", f"{T}map"):
        raise _Stop(event.start_mark, _tag_problem(tag))
    if tag == f"{T}str":
        return value
    try:
        resolved = resolve(value)
    except TooLarge:
        raise _Stop(event.start_mark, too_large(value)) from None
    kinds = {f"{T}int": int, f"{T}float": float, f"{T}bool": bool, f"{T}null": type(None)}
    wanted = kinds[tag]
    if wanted is float and isinstance(resolved, int) and not isinstance(resolved, bool):
        resolved = float(resolved)
    if type(resolved) is not wanted:
        raise _Stop(event.start_mark, f"not valid YAML ('{value}' is not a {tag[len(T):]})")
    return resolved


def load_yaml(text: str, lines: Lines | None = None) -> Any:
    """The one document in `text` as plain data (dicts, lists, str, int, float, bool, None);
    ReadProblems for duplicate keys, a passed limit, a bad tag or a recursive alias, and
    yaml.YAMLError for text that is not YAML. With `lines`, record where each item sits."""
    loader = LOADER(text)
    try:
        return _build(loader, lines)
    except _Stop as stop:
        raise ReadProblems([stop.problem]) from None
    finally:
        loader.dispose()


def _build(loader: Any, lines: Lines | None) -> Any:  # noqa: C901 (one event loop)
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int]] = {}
    open_anchors: set[str] = set()
    duplicates: list[str] = []
    nodes = repeated = 0
    documents = 0
    root: Any = None
    get = loader.get_event
    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

    def add(value: Any, size: int, mark: Any) -> None:
        nonlocal root
        if value is _MERGE and not (stack and stack[-1].is_map and stack[-1].key is _NO_KEY):
            value = "<<"
        if not stack:
            root = value
            return
        top = stack[-1]
        top.size += size
        if not top.is_map:
            top.value.append(value)
            top.lines.append(mark.line + 1)  # type: ignore[union-attr]
            if len(top.lines) > MAX_ITEMS:  # type: ignore[arg-type]
                raise _Stop(mark, f"a list holds more than {MAX_ITEMS:,} items (the limit)")
            return
        if top.key is _NO_KEY:
            if isinstance(value, list | dict):
                raise _Stop(mark, "a mapping key must be text or a number, not a "
                                  f"{'list' if isinstance(value, list) else 'mapping'}")
            top.key, top.key_mark = value, mark
            return
        key, key_mark = top.key, top.key_mark
        top.key = _NO_KEY
        if key is _MERGE:
            top.merges.append((value, mark))
            return
        keys = top.keys
        assert keys is not None
        line = key_mark.line + 1
        if key in keys:
            lines_said = f"lines {keys[key]} and {line}" if keys[key] != line else \
                f"twice on line {line}"
            duplicates.append(f"{line}:{key_mark.column + 1}: duplicate key '{key}' in one "
                              f"mapping ({lines_said}); give it once")
        elif len(keys) >= MAX_ITEMS:
            raise _Stop(key_mark, f"a mapping has more than {MAX_ITEMS:,} keys (the limit)")
        keys[key] = line
        top.value[key] = value

    while True:
        event = get()
        if event is None:
            break
        kind = type(event)
        if kind is scalar_event:
            nodes += 1
            text = event.value
            if event.tag is None and event.implicit[0] and text != "<<":
                try:
                    value = resolve(text)
                except TooLarge:
                    raise _Stop(event.start_mark, too_large(text)) from None
            else:
                value = _scalar(event)
            if event.anchor is not None:
                anchors[event.anchor] = (value, 1)
            top = stack[-1] if stack else None
            if top is not None and top.is_map and top.key is _NO_KEY and value is not _MERGE:
                top.key, top.key_mark = value, event.start_mark  # the common case, inline
                top.size += 1
            else:
                add(value, 1, event.start_mark)
        elif kind is map_start or kind is seq_start:
            nodes += 1
            if event.tag is not None and event.tag != "!" and event.tag not in _CORE_TAGS:
                raise _Stop(event.start_mark, _tag_problem(event.tag))
            if len(stack) >= MAX_DEPTH:
                raise _Stop(event.start_mark, f"nested deeper than {MAX_DEPTH} levels (the "
                                              "limit; a scenario needs about 6)")
            is_map = kind is map_start
            stack.append(_Frame({} if is_map else [], is_map, event.anchor, event.start_mark))
            if event.anchor is not None:
                open_anchors.add(event.anchor)
        elif kind in ends:
            frame = stack.pop()
            if frame.merges:
                _merge(frame)
            if lines is not None:
                lines.of[id(frame.value)] = frame.keys if frame.is_map else frame.lines
            if frame.anchor is not None:
                open_anchors.discard(frame.anchor)
                anchors[frame.anchor] = (frame.value, frame.size)
            add(frame.value, frame.size, frame.mark)
        elif kind is alias_event:
            name = event.anchor
            if name in open_anchors:
                raise _Stop(event.start_mark, f"recursive alias '*{name}': a value cannot "
                                              "contain itself")
            if name not in anchors:
                raise _Stop(event.start_mark, f"alias '*{name}' names no anchor ('&{name}') "
                                              "before it")
            value, size = anchors[name]
            repeated += size
            nodes += size
            if repeated > MAX_ALIAS_NODES:
                raise _Stop(event.start_mark, f"aliases repeat more than {MAX_ALIAS_NODES:,} "
                                              "values (the limit: is an alias expanding "
                                              "itself?)")
            add(_copy(value) if isinstance(value, list | dict) else value, size,
                event.start_mark)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise _Stop(event.start_mark, "a scenario file holds one YAML document; "
                                              "this is a second ('---')")
        elif kind is yaml.StreamEndEvent:
            break
        if nodes > MAX_NODES:
            raise _Stop(event.start_mark, f"more than {MAX_NODES:,} values in one file (the "
                                          "limit)")
    if duplicates:
        raise ReadProblems(duplicates)
    return root


def _copy(value: Any) -> Any:
    """A copy of plain data (nested at most MAX_DEPTH deep), faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _merge(frame: _Frame) -> None:
    """`<<: *defaults` (or a list of them): keys not given explicitly, earlier merges first."""
    merged: dict[Any, Any] = {}
    for value, mark in frame.merges:
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, dict):
                raise _Stop(mark, "'<<' merges a mapping or a list of mappings")
            for key, v in source.items():
                merged.setdefault(key, v)
    for key, v in merged.items():
        if key not in frame.value:
            frame.value[key] = v
            assert frame.keys is not None
            frame.keys.setdefault(key, frame.mark.line + 1)
