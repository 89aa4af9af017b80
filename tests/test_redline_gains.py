"""Who gains from relaxing each red line, and whether a re-split makes everyone gain."""

from __future__ import annotations

import pytest

from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.analyses.sensitivity import sensitivity, tornado_label
from tests.conftest import iv, partner, scenario_data


def _one(sc):
    result = sensitivity(sc, marginals=False)
    (rl,) = result.red_lines
    return result, rl


def test_a_relaxation_that_helps_every_partner():
    """x costs 100 a unit (at most 2) and saves a and b 80 each; budgets 100 each; a spend
    cap of 100. Today: 1 unit, the fair split 50/50, each nets 80 - 50 = 30. Relaxed: 2
    units, each pays 100 and nets 160 - 100 = 60: both gain 30. Value: net fiscal value
    120 - 60 = 60 (2 x 60 against 1 x 60)."""
    sc = scenario_from_data(scenario_data(
        partners=[partner("a", 100), partner("b", 100)],
        interventions=[iv("x", unit_cost=100, max_units=2, benefits={"a": 80, "b": 80})],
        red_lines=[{"id": "cap", "rule": "spend_cap", "amount": 100, "owner": "HM Treasury",
                    "description": "Spending capped"}]))
    result, rl = _one(sc)
    assert rl.value == pytest.approx(60)
    assert rl.verdict == "all_gain"
    assert rl.partner_gains == pytest.approx({"a": 30, "b": 30})
    assert rl.partners_words == "every partner gains (at least £30 each)"
    assert result.headline == ("Fight for Spending capped (HM Treasury) first (£60 a year to "
                               "the partnership, every partner gains).")
    assert tornado_label(rl) == "Spending capped (HM Treasury) [cap]"


def test_a_relaxation_that_helps_all_only_after_a_re_split():
    """x costs 100 a unit (at most 2) and saves a and b 60 each; shares fixed: a pays it all;
    a spend cap of 100. Today: 1 unit, a nets 60 - 100 = -40, b 60. Relaxed, the rule kept:
    2 units, a nets 120 - 200 = -80 (loses 40), b 120 (gains 60). The gains sum to 20; the
    best split pays a 150, b 50: a nets -30 (+10), b 70 (+10)."""
    sc = scenario_from_data(scenario_data(
        partners=[partner("a", 200), partner("b", 200)],
        interventions=[iv("x", unit_cost=100, max_units=2, benefits={"a": 60, "b": 60})],
        cost_sharing={"rule": "fixed", "shares": {"x": {"a": 1.0}}},
        red_lines=[{"id": "cap", "rule": "spend_cap", "amount": 100}]))
    _, rl = _one(sc)
    assert rl.verdict == "all_gain_if_resplit"
    assert rl.partner_gains == pytest.approx({"a": -40, "b": 60})
    assert rl.smallest_gain == pytest.approx(10)
    assert rl.resplit == pytest.approx({"a": -50, "b": 50})
    assert rl.partners_words == ("a gain for all only if the split changes: b pays £50 more; "
                                 "a pays £50 less (then every partner gains at least £10)")


def test_a_relaxation_that_must_hurt_a_partner():
    """y costs 100 (at most 1 unit), only b may fund it, and it saves a 150 of fiscal value of
    which half is cashable. Excluded today: nothing happens. Relaxed: b pays 100 (nets -100),
    a gains 75 in cash; no split helps b, who alone may pay. Value: 150 - 100 = 50."""
    sc = scenario_from_data(scenario_data(
        partners=[partner("a", 100, name="Council"), partner("b", 100, name="Police")],
        interventions=[iv("y", unit_cost=100, max_units=1, benefits={"a": 150},
                          cashable=0.5, funders=["b"])],
        red_lines=[{"id": "no_y", "rule": "exclude_intervention", "intervention": "y"}]))
    result, rl = _one(sc)
    assert rl.value == pytest.approx(50)
    assert rl.verdict == "someone_loses"
    assert rl.partner_gains == pytest.approx({"a": 75, "b": -100})
    assert rl.smallest_gain == pytest.approx(-100)
    assert rl.partners_words == ("Council gains only at Police's expense, whatever the split "
                                 "(at best Police loses £100)")
    assert "at Police's expense" in result.headline


def test_cli_sensitivity_json_has_the_headline_and_who_gains(tmp_path):
    import json

    from typer.testing import CliRunner

    from pbo.cli import app

    sc_data = scenario_data(
        partners=[partner("a", 100), partner("b", 100)],
        interventions=[iv("x", unit_cost=100, max_units=2, benefits={"a": 80, "b": 80})],
        red_lines=[{"id": "cap", "rule": "spend_cap", "amount": 100, "owner": "HM Treasury",
                    "description": "Spending capped"}])
    path = tmp_path / "s.json"
    path.write_text(json.dumps(sc_data))
    out, plot = tmp_path / "sens.json", tmp_path / "tornado.html"
    run = CliRunner().invoke(app, ["sensitivity", str(path), "--out", str(out), "--plot",
                                   str(plot)])
    assert run.exit_code == 0, run.output
    assert "Fight for Spending capped (HM Treasury) first" in " ".join(run.output.split())
    data = json.loads(out.read_text())
    assert data["headline"].startswith("Fight for Spending capped")
    (row,) = data["red_lines"]
    assert row["verdict"] == "all_gain"
    assert row["partner_gains"] == pytest.approx({"a": 30, "b": 30})
    assert "Spending capped (HM Treasury) [cap]" in plot.read_text()
    assert "per +1" not in run.output


def test_a_relaxation_that_helps_one_partner_and_costs_no_one():
    """x costs 100 a unit (at most 2) and saves a 150; a's budget is 200, b's 0; a spend cap
    of 100. Today a nets 150 - 100 = 50; relaxed 300 - 200 = 100 (+50); b is untouched."""
    sc = scenario_from_data(scenario_data(
        partners=[partner("a", 200), partner("b", 0)],
        interventions=[iv("x", unit_cost=100, max_units=2, benefits={"a": 150})],
        red_lines=[{"id": "cap", "rule": "spend_cap", "amount": 100}]))
    _, rl = _one(sc)
    assert rl.verdict == "all_gain"
    assert rl.partner_gains == pytest.approx({"a": 50, "b": 0})
    assert rl.partners_words == "no partner loses; a gains"
