"""Each input file is read once (`pbo.models.io.input_file`): what a command parses and the
SHA-256 its result records are of the same bytes, even if the file is saved again while pbo
runs; and a path that is a pipe or a device is refused on the open handle, without a hang."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io.loading import load_checked, read_data
from tests.conftest import SCENARIOS

TUTORIAL = SCENARIOS / "tutorial.yaml"
runner = CliRunner()

_watched: list[str] = []
_opened: list[str] = []


def _hook(event: str, args: tuple) -> None:
    if event == "open" and _watched and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path in _watched:
            _opened.append(path)


sys.addaudithook(_hook)  # audit hooks stay for the process; this one acts only when watching


@contextmanager
def opens_of(path: Path) -> Iterator[list[str]]:
    """Every time `path` is opened (builtins.open, os.open, zipfile, openpyxl) meanwhile."""
    _watched[:], _opened[:] = [str(path)], []
    try:
        yield _opened
    finally:
        _watched.clear()


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wb") / "tutorial.xlsx"
    result = runner.invoke(app, ["convert", str(TUTORIAL), str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.mark.parametrize("command", [
    ["validate"],
    ["solve", "--out", "{tmp}/r.json"],
    ["sweep", "--set", "partners.council.poolable_budget=500000:900000:3"],
    ["sensitivity"],
    ["report", "--out", "{tmp}/pack.html"],
])
@pytest.mark.parametrize("kind", ["yaml", "xlsx"])
def test_a_command_reads_its_scenario_once(tmp_path, workbook, command, kind):
    """Before, `pbo solve` read the file to solve it and again to hash it, `pbo sweep` read
    it twice, and a workbook was opened three times (its kind, its parts, openpyxl)."""
    path = TUTORIAL if kind == "yaml" else workbook
    words = [command[0], str(path), *(w.format(tmp=tmp_path) for w in command[1:])]
    with opens_of(path) as opened:
        result = runner.invoke(app, words)
    assert result.exit_code == 0, result.output
    assert opened == [str(path)]


def test_the_result_records_the_hash_of_the_bytes_solved(tmp_path):
    out = tmp_path / "r.json"
    assert runner.invoke(app, ["solve", str(TUTORIAL), "--out", str(out)]).exit_code == 0
    meta = json.loads(out.read_text())["meta"]
    assert meta["input_sha256"] == hashlib.sha256(TUTORIAL.read_bytes()).hexdigest()
    loaded = load_checked(TUTORIAL, [("partners.council.poolable_budget", 1)])
    assert loaded.sha256 == meta["input_sha256"]  # of the file, not of the changed data
    assert loaded.changes == [("partners.council.poolable_budget", 1)]
    assert loaded.data["partners"][0]["poolable_budget"] == 1
    assert set(loaded.scenario.partners[0].poolable_budget) == {1.0}  # each year


def test_audit_reads_the_recorded_input_once(tmp_path):
    """The hash it checks and the scenario it re-solves come from one read of the file."""
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(TUTORIAL.read_bytes())
    out = tmp_path / "r.json"
    assert runner.invoke(app, ["solve", str(scenario), "--out", str(out)]).exit_code == 0
    with opens_of(scenario) as opened:
        result = runner.invoke(app, ["audit", str(out)])
    assert result.exit_code == 0, result.output
    assert opened == [str(scenario)]


def test_bytes_read_already_are_parsed_as_the_file(workbook):
    assert read_data(TUTORIAL, TUTORIAL.read_bytes()) == read_data(TUTORIAL)
    assert read_data(workbook, workbook.read_bytes()) == read_data(workbook)


@pytest.mark.parametrize(("name", "said"), [
    ("fifo.yaml", "fifo.yaml: is a pipe (FIFO), not a scenario file"),
    ("zero.json", "zero.json: is a device, not a scenario file"),
    ("zero.xlsx", "zero.xlsx: is a device, not an .xlsx workbook"),
])
def test_a_pipe_or_device_is_refused_on_the_open_handle(tmp_path, name, said):
    """A FIFO would block a read forever and /dev/zero would never end: each is opened
    without blocking and refused by what the open handle is."""
    path = tmp_path / name
    if name.startswith("fifo"):
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert said in " ".join(result.output.split())


@pytest.mark.parametrize(("name", "size", "command", "said"), [
    ("big.json", 300 * 2**20, "audit", "big.json: larger than 256 MiB, so not a result pbo wrote"),
    ("big.yaml", 21 * 2**20, "validate",
     "big.yaml: 22,020,096 bytes is larger than a scenario file may be (20 MiB, the limit)"),
    ("big.xlsx", 65 * 2**20, "validate",
     "big.xlsx: the workbook is 65 MB; pbo reads workbooks of up to 64 MB"),
])
def test_a_file_over_its_limit_is_refused_before_it_is_read(tmp_path, monkeypatch, name, size,
                                                            command, said):
    """The fuzzing review's 300 MB result was read to 256 MiB (590 MB at its peak) before it
    was refused; now the open handle's size refuses it, and not a byte is read."""
    path = tmp_path / name
    with path.open("wb") as f:
        f.truncate(size)  # sparse: no disk is used
    read = []
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: read.append(n) or real(fd, n))
    result = runner.invoke(app, [command, str(path)])
    assert result.exit_code == 1, result.output
    assert said in " ".join(result.output.split())
    assert read == []
