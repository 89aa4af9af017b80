"""Writing results: atomically, never over an input, text that cannot become a formula."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from pbo.models.errors import InputError, UsageError

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
                      option: str = "--out") -> None:
    """A file pbo may write (checked before any solving): one of `suffixes` when given, and
    never one of the input files."""
    if suffixes and out.suffix.lower() not in suffixes:
        listed = ", ".join(suffixes[:-1]) + f" or {suffixes[-1]}" if len(suffixes) > 1 \
            else suffixes[0]
        raise UsageError(f"{option} {out}: expected {listed}")
    for source in inputs:
        if source.exists() and out.resolve() == source.resolve():
            raise InputError(f"{option} {out}: refusing to overwrite the input file")


def _file_mode(path: Path) -> int:
    """The permissions `path` should end with: those it has, or a new file's (0o666 less the
    umask), not the owner-only 0o600 of a temporary file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, payload: Any) -> None:
    text = json.dumps(payload, indent=2, default=str, allow_nan=False) + "\n"
    write_atomic(path, lambda tmp: _write_text(tmp, text))


def _to_csv(frame: pd.DataFrame, path: Path) -> None:  # (frame first, for partial)
    frame.to_csv(path, index=False)


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    """One table as CSV, text that could run as a formula written as text."""
    safe = frame.map(safe_text) if not frame.empty else frame
    write_atomic(path, partial(_to_csv, safe))


def write_csv_tables(path: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """One tidy CSV per table beside `path`: plan.csv -> plan_funding.csv, ..."""
    written = []
    for name, frame in tables.items():
        target = path.with_name(f"{path.stem}_{name}.csv")
        write_csv(target, frame)
        written.append(target)
    return written


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

        write_atomic(path, lambda tmp: write_workbook(tmp, scenario))
    else:
        raise InputError(f"{path}: unknown scenario format '{suffix}' "
                         "(expected .yaml, .yml, .json or .xlsx)")
