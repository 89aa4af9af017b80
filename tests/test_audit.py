"""The audit trail: results carry a manifest, and `pbo audit` re-solves and re-checks."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from pbo.cli import app
from pbo.optimizer.analyses.audit import audit
from tests.conftest import SCENARIOS

TUTORIAL = SCENARIOS / "tutorial.yaml"


def _solved(tmp_path, *extra):
    out = tmp_path / "result.json"
    res = CliRunner().invoke(app, ["solve", str(TUTORIAL), "--out", str(out), *extra])
    assert res.exit_code == 0, res.output
    return out, json.loads(out.read_text())


def test_manifest_records_input_overrides_and_options(tmp_path):
    _, payload = _solved(tmp_path, "--set", "partners.police.poolable_budget=300000",
                         "--mip-gap", "1e-7")
    meta = payload["meta"]
    assert meta["input_file"] == str(TUTORIAL)
    assert len(meta["input_sha256"]) == 64
    assert meta["overrides"] == [["partners.police.poolable_budget", 300000]]
    assert meta["solver_options"]["mip_gap"] == 1e-7
    assert meta["solver"].startswith("highs ")
    assert meta["timestamp"]
    assert meta["scenario"]["partners"][1]["poolable_budget"] == [300000.0] * 3


def test_audit_passes_on_an_honest_result(tmp_path):
    out, payload = _solved(tmp_path)
    report = audit(payload)
    assert report.passed, report.checks
    assert {name for name, _, _ in report.checks} >= {
        "figures reconcile", "objective reproduces", "decisions reproduce",
        "contributions reproduce", "input file unchanged"}
    res = CliRunner().invoke(app, ["audit", str(out)])
    assert res.exit_code == 0, res.output


def test_audit_catches_a_doctored_figure(tmp_path):
    """Moving £1,000 of one partner's payment to another keeps the total but not the
    re-solve; adding £1,000 to a payment breaks 'funding sums to cost'."""
    out, payload = _solved(tmp_path)
    payload["funding"][0]["amount"] += 1000.0
    report = audit(payload)
    failed = {name for name, ok, _ in report.checks if ok is False}
    assert "figures reconcile" in failed
    out.write_text(json.dumps(payload))
    res = CliRunner().invoke(app, ["audit", str(out)])
    assert res.exit_code == 1
    assert "FAIL" in res.output


def test_audit_catches_a_doctored_objective(tmp_path):
    """The objective no longer follows from the plan's own rows, nor from a re-solve."""
    _, payload = _solved(tmp_path)
    payload["objective"] *= 1.01
    report = audit(payload)
    failed = {name for name, ok, _ in report.checks if ok is False}
    assert failed == {"figures reconcile", "objective reproduces"}
    assert all(f.startswith("objective: recorded ") for f in report.findings)


def test_audit_bad_file_is_a_located_error(tmp_path):
    bad = tmp_path / "nope.json"
    bad.write_text("[1, 2")
    res = CliRunner().invoke(app, ["audit", str(bad)])
    assert res.exit_code == 1
    assert "not a readable JSON file" in res.output
    assert "Traceback" not in res.output


def test_audit_says_skipped_when_the_input_file_is_not_there(tmp_path):
    """The solve records the input's absolute path; audited where that file is gone, the
    comparison is 'skipped' (not 'pass'), and the recorded scenario is still re-solved."""
    scenario = tmp_path / "moved.yaml"
    scenario.write_text(TUTORIAL.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "result.json"
    res = CliRunner().invoke(app, ["solve", str(scenario), "--out", str(out), "--no-binding"])
    assert res.exit_code == 0, res.output
    payload = json.loads(out.read_text())
    assert payload["meta"]["input_file"] == str(scenario.resolve())
    scenario.unlink()
    report = audit(payload)
    assert report.passed
    assert ("input file unchanged", None) in {(name, ok) for name, ok, _ in report.checks}
    res = CliRunner().invoke(app, ["audit", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "skipped" in res.output


def _csv_set(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(TUTORIAL.read_bytes())
    res = CliRunner().invoke(app, ["solve", str(scenario), "--out", str(tmp_path / "plan.csv")])
    assert res.exit_code == 0, res.output
    return scenario, tmp_path / "plan_manifest.json"


def _audited(manifest, *extra):
    res = CliRunner().invoke(app, ["audit", str(manifest), *extra], env={"COLUMNS": "200"})
    checks = {line.split("│")[1].strip(): line.split("│")[2].strip()
              for line in res.output.splitlines() if line.count("│") == 4}
    return res, checks


def test_audit_of_a_csv_set_checks_it_whole_and_its_input(tmp_path):
    """`pbo audit plan_manifest.json`: the six tables are the bytes the manifest records and
    the input file it names is the one solved (pass, exit 0); the figures are said to be
    not re-solved (skipped), since a CSV set holds no scenario. Before, the audit refused a
    manifest as 'not a pbo result file (9 fields do not fit)'."""
    scenario, manifest = _csv_set(tmp_path)
    assert json.loads(manifest.read_text())["input_file"] == str(scenario.resolve())
    res, checks = _audited(manifest)
    assert res.exit_code == 0, res.output
    assert checks == {"the set is whole": "pass", "input file unchanged": "pass",
                      "figures reproduce": "skipped"}


def test_audit_of_a_csv_set_names_an_edited_table_and_an_edited_input(tmp_path):
    scenario, manifest = _csv_set(tmp_path)
    with (tmp_path / "plan_funding.csv").open("a") as f:
        f.write("council,hub,2015,1.0\n")
    with scenario.open("a") as f:
        f.write("# edited\n")
    res, checks = _audited(manifest)
    assert res.exit_code == 1, res.output
    assert checks["the set is whole"] == checks["input file unchanged"] == "FAIL"
    said = " ".join(res.output.split())
    assert "1 of 6 tables is not as the manifest records" in said
    assert "plan_funding.csv: content differs from the manifest" in said
    assert "input_sha256: recorded" in said
    res, checks = _audited(manifest, "--input", str(TUTORIAL))  # the auditor's own copy
    assert checks["input file unchanged"] == "pass"


def test_a_manifest_naming_a_path_is_refused_not_read(tmp_path):
    """A manifest can be written by anyone: a listed name that is a path ('../', '/dev/zero')
    is a problem of the set, and nothing outside the set's folder is read."""
    _, manifest = _csv_set(tmp_path)
    record = json.loads(manifest.read_text())
    record["files"][0]["name"] = "../../etc/passwd"
    record["files"][1]["name"] = "/dev/zero"
    manifest.write_text(json.dumps(record))
    res, checks = _audited(manifest)
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert "../../etc/passwd: not a file name beside the manifest" in said
    assert "/dev/zero: not a file name beside the manifest" in said


def test_a_manifest_that_leaves_a_table_out_or_lists_one_twice_fails(tmp_path):
    """A plan's CSV set is its six tables: a manifest listing only plan_interventions.csv
    passed with plan_funding.csv edited (exit 0), and so did one listing none. Now each
    table left out, and one listed twice, is named, and the set is not whole (exit 1)."""
    _, manifest = _csv_set(tmp_path)
    record = json.loads(manifest.read_text())
    whole = record["files"]
    record["files"] = [whole[0], whole[0]]
    manifest.write_text(json.dumps(record))
    with (tmp_path / "plan_funding.csv").open("a") as f:
        f.write("council,hub,2015,9999999\n")
    res, checks = _audited(manifest)
    assert res.exit_code == 1, res.output
    assert checks["the set is whole"] == "FAIL"
    said = " ".join(res.output.split())
    assert "plan_interventions.csv: listed 2 times" in said
    for table in ("funding", "partners", "partner_years", "targets", "red_lines"):
        assert f"plan_{table}.csv: not listed (a plan's set has 6 tables)" in said
    record["files"] = []
    manifest.write_text(json.dumps(record))
    res, checks = _audited(manifest)
    assert res.exit_code == 1, res.output
    assert "plan_interventions.csv: not listed" in " ".join(res.output.split())
