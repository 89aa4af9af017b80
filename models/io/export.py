"""Writing results: atomically, never over an input, text that cannot become a formula."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pbo.models.errors import InputError, UsageError
from pbo.models.io.atomic import manifest_path, write_atomic, write_file_set

if TYPE_CHECKING:  # pandas is imported by whoever makes a frame (not on `pbo solve --out x.json`)
    import pandas as pd

__all__ = ["PLAN_TABLES", "check_output_path", "csv_set_paths", "put", "safe_text", "write_atomic",
           "write_csv", "write_csv_tables", "write_json", "write_scenario"]

PLAN_TABLES = ("interventions", "funding", "partners", "partner_years", "targets", "red_lines")
"""The tables of a plan result (PlanResult.tables()), one CSV each in a set."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Text from input that a spreadsheet would run as a formula is written as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def put(cell: Any, value: Any) -> None:
    """Write a value into an openpyxl cell; text is always text, never a formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"


def check_output_path(out: Path, inputs: Iterable[Path], suffixes: Sequence[str] = (),
                      option: str = "--out", siblings: Sequence[Path] = ()) -> None:
    """A file pbo may write (checked before any solving): one of `suffixes` when given, never
    one of the input files, and a place that can be written (a file, or a new name, in a
    folder that exists and that pbo may write in). `siblings`: the other files written with
    it (a CSV set's tables and manifest), checked the same way."""
    folder = out.resolve() if out.is_symlink() else out
    if folder.is_dir():
        raise UsageError(f"{option} {out}: is a folder; name a file in it, e.g. "
                         f"{out / ('result' + (suffixes[0] if suffixes else '.json'))}")
    if suffixes and out.suffix.lower() not in suffixes:
        listed = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 \
            else suffixes[0]
        raise UsageError(f"{option} {out}: expected {listed}")
    inputs = list(inputs)
    for target in (out, *siblings):
        for source in inputs:
            if source.exists() and target.resolve() == source.resolve():
                raise InputError(f"{option} {target}: refusing to overwrite the input file")
        _check_place(target, option)


def _check_place(path: Path, option: str) -> None:
    """UsageError unless `path` can be written: not a folder or a device, in a folder that
    exists and takes a new file (tried, so a read-only disk is found before solving)."""
    target = path.resolve() if path.is_symlink() else path
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a folder; name a file in it, e.g. "
                         f"{path / ('result' + (path.suffix or '.json'))}")
    if target.exists() and not target.is_file():
        raise UsageError(f"{option} {path}: not a regular file (a device or a pipe); pbo "
                         "writes only files")
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{option} {path}: the file is read-only")
    folder = target.parent
    if not folder.exists():
        raise UsageError(f"{option} {path}: the folder {folder} does not exist (pbo does not "
                         "create folders; make it first)")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write in {folder} "
                         f"({(exc.strerror or str(exc)).lower()})") from None
    os.close(fd)
    os.unlink(probe)


def csv_set_paths(path: Path, names: Iterable[str]) -> list[Path]:
    """plan.csv -> plan_interventions.csv, ..., and plan_manifest.json last."""
    return [path.with_name(f"{path.stem}_{name}.csv") for name in names] + [manifest_path(path)]


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


LINE_CHARS = 1000
"""A value that holds containers is written on one line when it is this short or shorter
(a list of rows never is: a table is read a row a line)."""
LINE_DEPTH = 3
"""... and when it nests no deeper than this (an intervention of the echoed scenario, with
its benefits per partner per year, is 3 deep)."""


_SCALARS = frozenset((str, int, float, bool, type(None)))
_NESTED = (dict, list, tuple)


def _depth(value: Any, limit: int) -> int:
    """How deep the container `value` nests others (a flat row 1), counted only up to
    `limit` + 1; a table (a list of rows) and what holds one count as deeper than `limit`,
    so a table is never folded onto one line. Item types are gathered in C
    (`set(map(type, ...))`): a row of floats is not walked in Python."""
    rows = not isinstance(value, dict)
    items = value.values() if not rows else value
    if _SCALARS.issuperset(map(type, items)):
        return 1
    if limit <= 1:
        return limit + 1
    deepest = 0
    for item in items:
        if isinstance(item, _NESTED):
            if rows and isinstance(item, dict):
                return limit + 1
            deepest = max(deepest, _depth(item, limit - 1))
            if deepest >= limit:
                return limit + 1
    return deepest + 1


def json_text(payload: Any) -> str:
    """`payload` as JSON laid out for reading: objects and lists that hold others open one
    item a line (indented by two), and one that holds only numbers and strings, such as a
    funding row, stays on one line, as does a short one that nests little (an intervention
    of the scenario echoed in meta). Each such line goes through the json module's C encoder
    in one call, so a result of 100,000 rows is written in a fraction of the time `indent=2`
    takes (which uses the pure-Python encoder) and reads row by row. NaN and infinity are
    refused, as JSON has no such numbers."""
    encode = json.JSONEncoder(default=str, allow_nan=False).encode
    out: list[str] = []

    def put(value: Any, pad: str) -> None:
        if not isinstance(value, dict | list | tuple):
            out.append(encode(value))
            return
        depth = _depth(value, LINE_DEPTH)  # (a table: deeper than LINE_DEPTH)
        if depth == 1:
            out.append(encode(value))
            return
        if 1 < depth <= LINE_DEPTH:
            line = encode(value)
            if len(line) <= LINE_CHARS:
                out.append(line)
                return
        inner = pad + "  "
        opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
        out.append(opening)
        pairs = (value.items() if isinstance(value, dict) else ((None, v) for v in value))
        for n, (key, item) in enumerate(pairs):
            out.append(("," if n else "") + "\n" + inner)
            if key is not None:
                out.append(encode(str(key)) + ": ")
            put(item, inner)
        out.append("\n" + pad + closing)

    put(payload, "")
    return "".join(out) + "\n"


def write_json(path: Path, payload: Any) -> None:
    text = json_text(payload)
    write_atomic(path, lambda tmp: _write_text(tmp, text))


def _to_csv(frame: pd.DataFrame, path: Path) -> None:  # (frame first, for partial)
    frame.to_csv(path, index=False)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """One table as CSV, text that could run as a formula written as text."""
    safe = frame.map(safe_text) if not frame.empty else frame
    write_atomic(path, partial(_to_csv, safe))


def write_csv_tables(path: Path, tables: dict[str, pd.DataFrame],
                     about: dict[str, Any] | None = None) -> list[Path]:
    """One tidy CSV per table beside `path` (plan.csv -> plan_funding.csv, ...), replaced as
    one set, with plan_manifest.json (each file's SHA-256 and the set's id) written last; see
    atomic.write_file_set. Returns the files written, the manifest last."""
    targets = csv_set_paths(path, tables)
    files = [(target, partial(_to_csv, frame.map(safe_text) if not frame.empty else frame))
             for target, frame in zip(targets, tables.values(), strict=False)]
    return write_file_set(targets[-1], files, about)


def _whole(value: Any) -> Any:
    """Whole-valued floats as ints (200, not 200.0), through lists and mappings."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_whole(v) for v in value]
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return value


def scenario_document(scenario: Any) -> dict[str, Any]:
    """A validated scenario as plain data: profiles one value per year, defaults left out
    except the top-level settings (so a reader sees the discount rate and the rules it was
    solved under), whole numbers written as whole numbers."""
    from pbo.models.io.workbook_layout import SETTINGS

    full = scenario.model_dump(mode="json")
    kept = scenario.model_dump(mode="json", exclude_defaults=True)
    doc = {}
    for key, value in full.items():
        if key in kept:
            doc[key] = kept[key]
        elif key in SETTINGS:
            doc[key] = ({k: v for k, v in value.items() if v is not None}
                        if isinstance(value, dict) else value)
    return _whole(doc)


def workbook_cannot_hold(scenario: Any) -> str:
    """What of `scenario` a workbook would lose, in words ('' when nothing): the uncertain
    inputs of `pbo risk` and interventions' confidence grades have no sheet yet."""
    lost = []
    if getattr(scenario, "uncertainty", None) is not None:
        lost.append("the uncertainty section")
    if any(getattr(iv, "confidence", None) for iv in scenario.interventions):
        lost.append("interventions' confidence grades")
    return " and ".join(lost)


def write_scenario(path: Path, scenario: Any) -> None:
    """A scenario as .yaml, .json or .xlsx, written atomically."""
    import yaml

    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(scenario_document(scenario), sort_keys=False, allow_unicode=True,
                              default_flow_style=None, width=100)
        write_atomic(path, lambda tmp: _write_text(tmp, text))
    elif suffix == ".json":
        write_json(path, scenario_document(scenario))
    elif suffix == ".xlsx":
        from pbo.models.io.workbook import write_workbook

        lost = workbook_cannot_hold(scenario)
        if lost:  # never drop part of a scenario without a word
            raise InputError(f"{path}: the workbook has no sheet yet for {lost}; convert to "
                             ".yaml or .json, which keep it")
        write_atomic(path, lambda tmp: write_workbook(tmp, scenario))
    else:
        raise InputError(f"{path}: unknown scenario format '{suffix}' "
                         "(expected .yaml, .yml, .json or .xlsx)")
