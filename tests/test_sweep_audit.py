"""`pbo audit` of a sweep file: the sweep records a manifest (input file, SHA-256, changes,
objective, versions), and the audit re-runs it and holds every point's status and objective
against the file's.

The scenario (one year, no discounting): partner a pools its budget B; x costs £1 a unit and
pays £2 back to a, at most 10 units. The plan funds min(B, 10) units, so the net fiscal value
is 2u - u = min(B, 10): sweeping B over 0, 5, 10 gives £0, £5 and £10.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from tests.conftest import audit_file as _audit
from tests.conftest import iv, partner, scenario_data

runner = CliRunner()
DATA = scenario_data(years=1, discount_rate=0, partners=[partner("a", 3)],
                     interventions=[iv("x", max_units=10, unit_cost=1, benefits={"a": 2})],
                     scenarios={"half": {"interventions.x.max_units": 5}})
SWEEP = "partners.a.poolable_budget=0:10:3"


def _sweep(tmp_path: Path, *args: str) -> tuple[Path, dict[str, Any]]:
    scenario = tmp_path / "scenario.json"
    if not scenario.exists():
        scenario.write_text(json.dumps(DATA))
    out = tmp_path / "sweep.json"
    res = runner.invoke(app, ["sweep", str(scenario), "--set", SWEEP, "--out", str(out), *args])
    assert res.exit_code == 0, res.output
    return out, json.loads(out.read_text())


def test_a_genuine_sweep_records_its_manifest_and_passes(tmp_path):
    out, payload = _sweep(tmp_path)
    assert [p["objective"] for p in payload["points"]] == pytest.approx([0, 5, 10])
    m = payload["manifest"]
    assert (m["kind"], m["input_file"], m["overrides"]) == (
        "sweep", str((tmp_path / "scenario.json").resolve()), [])
    code, said = _audit(out)
    assert code == 0, said
    assert "points reproduce pass 3 points: the same status and objective at each" in said


def test_a_named_what_if_is_recorded_and_re_applied(tmp_path):
    """With --scenario half (x at most 5 units) the points are £0, £5, £5; the audit re-runs
    them with the recorded change, and without it would find £10 at the last point."""
    out, payload = _sweep(tmp_path, "--scenario", "half")
    assert [p["objective"] for p in payload["points"]] == pytest.approx([0, 5, 5])
    assert payload["manifest"]["overrides"] == [["interventions.x.max_units", 5]]
    assert _audit(out)[0] == 0
    forged = copy.deepcopy(payload)
    forged["manifest"]["overrides"] = []
    code, said = _audit(out, forged)
    assert code == 1, said
    assert "points[2] (partners.a.poolable_budget=10).objective: recorded £5.00, re-run £10.00" \
        in said


def test_a_forged_point_or_a_changed_input_fails_and_is_named(tmp_path):
    out, payload = _sweep(tmp_path)
    forged = copy.deepcopy(payload)
    forged["points"][1]["objective"] = 6.0
    code, said = _audit(out, forged)
    assert code == 1, said
    assert ("points[1] (partners.a.poolable_budget=5).objective: recorded £6.00, re-run £5.00"
            in said)
    _audit(out, payload)
    changed = {**DATA, "name": "changed"}
    (tmp_path / "scenario.json").write_text(json.dumps(changed))
    code, said = _audit(out)
    assert code == 1, said
    assert "input file unchanged FAIL" in said


def test_a_sweep_with_no_manifest_cannot_pass(tmp_path):
    """Nothing it says could be checked, so exit 0 would claim what was not shown."""
    out, payload = _sweep(tmp_path)
    del payload["manifest"]
    code, said = _audit(out, payload)
    assert code == 1, said
    assert "the sweep records no manifest" in said
