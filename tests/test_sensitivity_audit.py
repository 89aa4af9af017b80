"""`pbo audit` of a red-line sensitivity file: `pbo sensitivity --out FILE.json` records a
manifest (input file, SHA-256, changes, objective, what was asked, versions), and the audit
re-runs the analysis and holds the base, every red line relaxed, every pair and every
marginal value against the file's.

The scenario (one year, no discounting): the council and the police each pool £100. `hub`
costs £10 a unit and gives the council £25 (net £15 a unit), `patrol` costs £10 and gives the
police £15 (net £5), each up to 10 units. Red lines: the police may not fund the hub
(`police_out`), and all spending is capped at £150 (`cap`).
- Base: 10 hubs (£100, all the council's, as the police may not pay) and, with the £50 the
  cap leaves, 5 patrols paid by the police: 10 x 15 + 5 x 5 = £175.
- cap relaxed: 10 patrols (the police's £100): 150 + 50 = £200, a value of £25.
- police_out relaxed: the hub is already at its 10 units: value £0.
- Both (--pairs 2): £200 again, value £25, interaction 25 - 25 - 0 = £0.
- The cap's marginal value: one more £ buys 1/10 of a patrol, £0.50 per £ (from £100,
  where the patrols are gone, to £200, where they are all bought).
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
DATA = scenario_data(
    years=1, discount_rate=0, partners=[partner("council", 100), partner("police", 100)],
    interventions=[iv("hub", max_units=10, unit_cost=10, benefits={"council": 25}),
                   iv("patrol", max_units=10, unit_cost=10, benefits={"police": 15})],
    red_lines=[{"id": "police_out", "rule": "no_funding", "partner": "police",
                "interventions": ["hub"], "owner": "Home Office"},
               {"id": "cap", "rule": "spend_cap", "amount": 150, "owner": "Treasury"}],
    scenarios={"tight": {"red_lines.cap.amount": 120}})


def _sensitivity(tmp_path: Path, *args: str) -> tuple[Path, dict[str, Any]]:
    scenario = tmp_path / "scenario.json"
    if not scenario.exists():
        scenario.write_text(json.dumps(DATA))
    out = tmp_path / "sensitivity.json"
    res = runner.invoke(app, ["sensitivity", str(scenario), "--pairs", "2", "--out", str(out),
                              *args])
    assert res.exit_code == 0, res.output
    return out, json.loads(out.read_text())


def _by_id(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in payload["red_lines"]}


def test_a_genuine_sensitivity_records_its_manifest_and_passes(tmp_path):
    out, payload = _sensitivity(tmp_path)
    assert payload["base"] == {"status": "optimal", "objective": pytest.approx(175.0)}
    ranked = _by_id(payload)
    assert ranked["cap"]["value"] == pytest.approx(25.0)
    assert ranked["police_out"]["value"] == pytest.approx(0.0)
    assert payload["pairs"][0]["value"] == pytest.approx(25.0)
    assert payload["pairs"][0]["interaction"] == pytest.approx(0.0)
    cap = next(m for m in payload["marginals"] if m["id"] == "cap")
    assert (cap["dual"], cap["range_low"], cap["range_high"]) == pytest.approx((0.5, 100, 200))
    m = payload["manifest"]
    assert (m["kind"], m["input_file"], m["overrides"], m["pairs"],
            m["include_non_negotiable"]) == (
        "sensitivity", str((tmp_path / "scenario.json").resolve()), [], 2, False)
    code, said = _audit(out)
    assert code == 0, said
    assert ("red lines reproduce pass the base and 2 red line(s) relaxed, 1 pair(s): the same "
            "status, objective and value") in said
    assert "marginal values reproduce pass 3 marginal value(s), the same" in said


def test_a_what_if_is_recorded_and_re_applied(tmp_path):
    """--scenario tight (the cap at £120): base 10 hubs + 2 patrols = £160; the cap relaxed
    is £200 again, a value of £40. The audit re-applies the what-if and agrees; without it
    the base would be £175."""
    out, payload = _sensitivity(tmp_path, "--scenario", "tight")
    assert payload["base"]["objective"] == pytest.approx(160.0)
    assert _by_id(payload)["cap"]["value"] == pytest.approx(40.0)
    assert payload["manifest"]["overrides"] == [["red_lines.cap.amount", 120]]
    code, said = _audit(out)
    assert code == 0, said


def test_a_forged_value_or_marginal_is_named_in_money(tmp_path):
    out, payload = _sensitivity(tmp_path)
    forged = copy.deepcopy(payload)
    _by_id(forged)["cap"]["value"] = 30.0
    next(m for m in forged["marginals"] if m["id"] == "cap")["dual"] = 0.6
    forged["base"]["objective"] = 176.0
    code, said = _audit(out, forged)
    assert code == 1, said
    assert "red lines reproduce FAIL 2 figures differ" in said
    assert "base.objective: recorded £176.00, re-run £175.00" in said
    assert "red_lines[cap].value: recorded £30.00, re-run £25.00" in said
    assert ("marginals[red_line/cap/2020/upper].dual: recorded 0.6, re-run 0.5 (£ per £)"
            in said)


def test_a_red_line_missing_from_the_file_is_named(tmp_path):
    out, payload = _sensitivity(tmp_path)
    payload["red_lines"] = [r for r in payload["red_lines"] if r["id"] != "police_out"]
    code, said = _audit(out, payload)
    assert code == 1, said
    assert "red_lines[police_out]: in the re-run, not recorded" in said


def test_a_changed_input_file_fails_and_no_manifest_cannot_pass(tmp_path):
    out, payload = _sensitivity(tmp_path)
    changed = copy.deepcopy(DATA)
    changed["partners"][1]["poolable_budget"] = 90
    (tmp_path / "scenario.json").write_text(json.dumps(changed))
    code, said = _audit(out)
    assert code == 1, said
    assert "input file unchanged FAIL" in said
    del payload["manifest"]
    code, said = _audit(out, payload)
    assert code == 1, said
    assert "the sensitivity analysis records no manifest" in said
