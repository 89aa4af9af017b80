"""The meeting page's server: each control becomes a --set change and gives what `pbo solve
--set` gives; bad values get the located message; saving, comparing, downloads; safety."""

from __future__ import annotations

import shutil

import pytest
import yaml
from starlette.testclient import TestClient

from pbo.models.io.loading import load_scenario, load_with_changes
from pbo.optimizer.present.meeting import app as meeting_app
from pbo.optimizer.present.meeting.app import Meeting, create_app
from pbo.optimizer.solving.plan import solve
from tests.conftest import SCENARIOS

EXAMPLE = SCENARIOS / "whole_place_example.yaml"


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("meeting") / "example.yaml"
    shutil.copy(EXAMPLE, path)
    return path


@pytest.fixture(scope="module")
def meeting(scenario_file):
    return Meeting(scenario_file)


@pytest.fixture
def client(meeting):
    return TestClient(create_app(meeting), base_url="http://127.0.0.1")


def test_state_is_the_base_plan(client) -> None:
    body = client.get("/api/state").json()
    base = solve(load_scenario(EXAMPLE))
    assert body["plan"]["objective"] == pytest.approx(base.objective)
    assert {r["id"] for r in body["controls"]["red_lines"]} >= {"dwp_no_pooling"}


def test_a_red_line_switched_off_gives_what_solve_set_gives(client) -> None:
    body = client.post("/api/solve", json={"red_lines_off": ["dwp_no_pooling"]}).json()
    sc, _ = load_with_changes(EXAMPLE, [("red_lines.dwp_no_pooling.active", False)])
    expected = solve(sc)
    assert body["objective"] == pytest.approx(expected.objective, rel=1e-6)
    assert [r["id"] for r in body["interventions"]] == [
        r.id for r in expected.interventions if r.selected]
    assert body["changes"] == {"red_lines.dwp_no_pooling.active": False}
    assert body["rebuilt"] is False  # freed rows in the loaded model


def test_budget_and_target_controls_are_set_changes(client, meeting) -> None:
    body = client.post("/api/solve", json={"budgets": {"police": "-10"},
                                           "targets": {"council_savings": {"min": "1e5"}}})
    assert body.status_code == 200, body.text
    police = meeting.live.base.partner["police"].poolable_budget
    sc, _ = load_with_changes(EXAMPLE, [
        ("partners.police.poolable_budget", [v * 0.9 for v in police]),
        ("targets.council_savings.min", 1e5)])
    assert body.json()["objective"] == pytest.approx(solve(sc).objective, rel=1e-6)


def test_a_bad_budget_gets_the_located_message(client) -> None:
    res = client.post("/api/solve", json={"budgets": {"police": "-250"}})
    assert res.status_code == 422
    assert any("partners[police].poolable_budget" in p and ">= 0" in p
               for p in res.json()["problems"])
    res = client.post("/api/solve", json={"budgets": {"police": "lots"}})
    assert res.json()["problems"] == [
        "partners.police.poolable_budget (a % change): 'lots' is not a number"]
    res = client.post("/api/solve", json={"red_lines_off": ["dwp_no_poolin"]})
    assert res.status_code == 422


def test_save_writes_a_named_what_if_and_never_replaces_silently(client, scenario_file) -> None:
    before = scenario_file.read_text()
    res = client.post("/api/save", json={"name": "police_less",
                                         "controls": {"budgets": {"police": "-10"}}})
    assert res.status_code == 200, res.text
    text = scenario_file.read_text()
    saved = yaml.safe_load(text)["scenarios"]["police_less"]
    assert list(saved) == ["partners.police.poolable_budget"]
    assert text.startswith(before.split("scenarios:")[0][:200])  # comments and layout kept
    assert "#" in text
    again = client.post("/api/save", json={"name": "police_less", "controls": {}})
    assert again.status_code == 422
    assert "already in" in again.json()["problems"][0]
    bad = client.post("/api/save", json={"name": "x", "controls": {"budgets": {"police": "-300"}}})
    assert bad.status_code == 422
    assert "x" not in (yaml.safe_load(scenario_file.read_text())["scenarios"])


def test_compare_two_saved_what_ifs(client, meeting) -> None:
    names = sorted(meeting.live.base.scenarios)[:2]
    res = client.post("/api/compare", json={"a": names[0], "b": names[1]})
    assert res.status_code == 200, res.text
    plans = res.json()["plans"]
    for name, plan in zip(names, plans, strict=True):
        sc, _ = load_with_changes(meeting.path, [], [name])
        assert plan["objective"] == pytest.approx(solve(sc).objective, rel=1e-6)


def test_downloads(client) -> None:
    pack = client.post("/api/download/pack", json={"red_lines_off": ["dwp_no_pooling"]})
    assert pack.status_code == 200
    assert pack.text.lower().startswith("<!doctype html>")
    book = client.post("/api/download/workbook", json={})
    assert book.status_code == 200
    assert book.content[:2] == b"PK"


def test_alternatives_panel(client) -> None:
    res = client.post("/api/alternatives", json={"slack": 0.02, "count": 2})
    assert res.status_code == 200, res.text
    assert len(res.json()["alternatives"]) == 2


def test_safety_host_size_rate_and_token(meeting, monkeypatch) -> None:
    client = TestClient(create_app(meeting), base_url="http://127.0.0.1")
    assert client.get("/api/state", headers={"Host": "evil.example"}).status_code == 400
    big = client.post("/api/solve", content=b"{" + b" " * 70_000 + b"}",
                      headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    monkeypatch.setattr(meeting_app, "BURST", 3)
    monkeypatch.setattr(meeting_app, "RATE", 0.001)
    limited = TestClient(create_app(meeting), base_url="http://127.0.0.1")
    codes = [limited.get("/api/state").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]
    monkeypatch.undo()
    meeting.token = "s3cret"
    try:
        open_ = TestClient(create_app(meeting, loopback=False), base_url="http://pbo.example")
        assert open_.get("/api/state").status_code == 401
        assert open_.get("/api/state", headers={"X-PBO-Token": "s3cret"}).status_code == 200
        assert open_.get("/").status_code == 200  # the page itself, which asks for the token
    finally:
        meeting.token = None


def test_serve_beyond_loopback_needs_a_token(tmp_path) -> None:
    from pbo.models.errors import InputError
    from pbo.optimizer.present.meeting.app import serve

    with pytest.raises(InputError, match="needs an access token"):
        serve(EXAMPLE, host="0.0.0.0", port=0)


def test_switching_the_objective_back_reuses_the_loaded_model(client) -> None:
    """The first switch to public_value builds that model; switching back to the base
    objective and again to public_value re-solves loaded models (no build), each giving what
    `pbo solve --objective` gives."""
    first = client.post("/api/solve", json={"objective": "public_value"}).json()
    back = client.post("/api/solve", json={}).json()
    again = client.post("/api/solve", json={"objective": "public_value"}).json()
    assert first["rebuilt"] is True
    assert back["rebuilt"] is False
    assert again["rebuilt"] is False
    expected = solve(load_scenario(EXAMPLE), "public_value").objective
    assert first["objective"] == pytest.approx(expected, rel=1e-6)
    assert again["objective"] == pytest.approx(expected, rel=1e-6)
    assert back["objective"] == pytest.approx(solve(load_scenario(EXAMPLE)).objective, rel=1e-6)


def test_serve_on_a_bad_scenario_names_the_line(tmp_path) -> None:
    """`pbo serve` on a file with a misspelt partner: the located message, exit 1."""
    from typer.testing import CliRunner

    from pbo.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("partner: police\n", "partner: polise\n", 1))
    res = CliRunner().invoke(app, ["serve", str(bad), "--port", "0"])
    assert res.exit_code == 1, res.output
    assert "unknown partner 'polise' — did you mean 'police'? (line" in res.output
    assert "Traceback" not in res.output
