"""Start-up stays quick (issue 12): the heavy libraries are imported where they are used, so
`pbo --help` and `pbo validate` load no model, solver, table or chart library, and the
decision pack, which draws no table or chart with them, loads neither pandas nor matplotlib
(pandas alone took 0.2 s of `pbo report`). Each is checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import SCENARIOS

HEAVY = ("pyomo.core", "pyomo.environ", "highspy", "numpy", "pandas", "matplotlib", "scipy",
         "openpyxl", "dask", "distributed")


def imported_after(code: str) -> list[str]:
    """The HEAVY modules a fresh Python holds after running `code`."""
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cli(*words: str) -> str:
    return ("import sys\nfrom pbo.cli import app\n"
            f"sys.argv = ['pbo', *{list(words)!r}]\n"
            "try:\n    app()\nexcept SystemExit as exc:\n    assert exc.code in (0, None)\n")


@pytest.mark.parametrize("words", [("--help",), ("validate", str(SCENARIOS / "tutorial.yaml"))])
def test_help_and_validate_import_no_heavy_library(words):
    assert imported_after(cli(*words)) == []


def test_the_decision_pack_imports_neither_pandas_nor_matplotlib():
    held = imported_after("import pbo\n"
                          "page = pbo.report(pbo.load_scenario(pbo.example_path('tutorial')))\n"
                          "assert page.startswith('<!doctype html>')")
    assert {"pyomo.core", "highspy"} <= set(held)  # it did solve
    assert not {"pandas", "matplotlib"} & set(held)
