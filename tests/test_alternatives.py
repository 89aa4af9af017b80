"""Near-optimal alternatives (MGA): tied optima at slack 0, and distinct plans within the
slack on the bundled example."""

from __future__ import annotations

import itertools
import json

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import UsageError
from pbo.models.io.loading import load_scenario, scenario_from_data
from pbo.optimizer.analyses.alternatives import alternatives, funded
from tests.conftest import SCENARIOS, iv, partner, scenario_data

EXAMPLE = SCENARIOS / "whole_place_example.yaml"


def three_ties(extra: float = 0.0):
    """One partner with £100 in one year; three schemes, each one whole unit at £100 that
    returns £150 to the partner (C returns `extra` more). The budget pays for one scheme:
    the plans {A}, {B}, {C} are worth 150 - 100 = £50 each (C: 50 + extra); funding none is
    worth £0 and any two cost £200 > £100."""
    schemes = [iv(k, max_units=1, integer_units=True, unit_cost=100,
                  benefits={"council": 150 + (extra if k == "c" else 0)}, name=f"Scheme {k}")
               for k in "abc"]
    return scenario_from_data(scenario_data(partners=[partner("council", 100)],
                                            interventions=schemes))


def test_three_tied_plans_are_all_returned_at_slack_0() -> None:
    """At slack 0 the alternatives are the tied optima: the best is one scheme (£50) and the
    two alternatives are the other two, each £50; then no other plan is as good."""
    found = alternatives(three_ties(), slack=0.0, count=4)
    assert found.best.objective == pytest.approx(50.0)
    plans = [funded(found.best), *(funded(a.result) for a in found.alternatives)]
    assert sorted(plans, key=sorted) == [frozenset("a"), frozenset("b"), frozenset("c")]
    assert [a.result.objective for a in found.alternatives] == pytest.approx([50.0, 50.0])
    assert all(a.distance == 2 and "instead of" in a.label and "as good" in a.label
               for a in found.alternatives)
    assert found.message == "2 alternative plans within 0.0% of the best"


def test_no_tie_no_alternative_at_slack_0() -> None:
    """With C worth £10 more (£60), nothing else is as good at slack 0; at 20% slack
    (60 - 12 = £48 floor) A and B (£50 each) come back, £10 less."""
    assert alternatives(three_ties(10.0), slack=0.0).alternatives == []
    assert alternatives(three_ties(10.0), slack=0.0).message == "no other plan is as good"
    found = alternatives(three_ties(10.0), slack=0.2)
    assert funded(found.best) == {"c"}
    assert sorted(sorted(funded(a.result)) for a in found.alternatives) == [["a"], ["b"]]
    assert all(a.label.endswith("£10 less") for a in found.alternatives)


def test_alternatives_on_the_example_are_within_slack_and_pairwise_different() -> None:
    sc = load_scenario(EXAMPLE)
    slack = 0.02
    found = alternatives(sc, slack=slack, count=3)
    best = found.best.objective
    assert best is not None
    assert len(found.alternatives) == 3
    for alt in found.alternatives:
        assert alt.result.status == "optimal"
        assert best - alt.result.objective <= slack * abs(best) + 1e-6 * abs(best)
    plans = [funded(found.best), *(funded(a.result) for a in found.alternatives)]
    for one, other in itertools.combinations(plans, 2):
        assert one != other


def test_list_order_does_not_change_the_set_of_tied_plans() -> None:
    """Reversing the interventions' order returns the same three plans."""
    data = scenario_data(partners=[partner("council", 100)], interventions=[
        iv(k, max_units=1, integer_units=True, unit_cost=100, benefits={"council": 150})
        for k in "cba"])
    found = alternatives(scenario_from_data(data), slack=0.0)
    plans = {funded(found.best), *(funded(a.result) for a in found.alternatives)}
    assert plans == {frozenset("a"), frozenset("b"), frozenset("c")}


def test_bad_slack_and_count_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="slack"):
        alternatives(three_ties(), slack=1.5)
    with pytest.raises(UsageError, match="count"):
        alternatives(three_ties(), count=0)


def test_cli_alternatives(tmp_path) -> None:
    out = tmp_path / "alt.json"
    run = CliRunner().invoke(app, ["alternatives", str(EXAMPLE), "--slack", "0",
                                   "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "No other plan is as good." in run.output
    assert out.exists()
    bad = CliRunner().invoke(app, ["alternatives", str(EXAMPLE), "--slack", "2"])
    assert bad.exit_code == 2


def test_the_pack_compares_the_alternatives(tmp_path) -> None:
    """`pbo report --alternatives 2 --slack 0` on the three tied schemes: the pack's table has
    the best plan and the two others, each £50, none below the best."""
    from pbo.optimizer.present.publish import report

    page = report(three_ties(), alternatives=2, slack=0.0)
    section = page[page.index("<h2>Near-optimal alternatives</h2>"):]
    section = section[:section.index("</table>")]
    assert section.count("<tr>") == 4  # the head, the best and two alternatives
    for name in ("Scheme a", "Scheme b", "Scheme c"):
        assert name in section
    assert section.count("<td>£50</td>") == 3
    assert "as good" in section
    data = tmp_path / "ties.json"
    data.write_text(json.dumps(three_ties().model_dump(mode="json")))
    out = tmp_path / "pack.html"
    run = CliRunner().invoke(app, ["report", str(data), "--out", str(out), "--alternatives",
                                   "2", "--slack", "0"])
    assert run.exit_code == 0, run.output
    assert "Near-optimal alternatives" in out.read_text()
