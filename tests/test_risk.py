"""pbo risk: uncertain inputs, the plan held fixed, choices re-optimised, a robust plan."""

from __future__ import annotations

import numpy as np
import pytest

from pbo.models.errors import InputError
from pbo.models.io.loading import load_scenario, scenario_from_data
from pbo.models.uncertainty import resolve
from pbo.optimizer.analyses.risk import risk
from pbo.optimizer.analyses.risk_sampling import uniforms
from tests.conftest import SCENARIOS, iv, partner, scenario_data


def _tutorial(uncertainty):
    import yaml

    data = yaml.safe_load((SCENARIOS / "tutorial.yaml").read_text())
    data["uncertainty"] = uncertainty
    return scenario_from_data(data)


def test_zero_width_reproduces_the_point_solve():
    """Every input 'uncertain' with low = high = 1: each sample is the point scenario, so the
    plan held fixed scores exactly the point plan's figures, and re-optimising finds it."""
    flat = {"distribution": "uniform", "low": 1, "high": 1}
    sc = _tutorial({"inputs": [{"path": "interventions.*.unit_cost", **flat},
                               {"path": "interventions.*.benefits", **flat},
                               {"path": "partners.*.poolable_budget", **flat}]})
    r = risk(sc, 4, seed=1, workers=1)
    point = r.point
    achieved = {t.id: t.achieved for t in point.targets}
    net = {p.id: p.net_cashable_savings_npv for p in point.partners}
    chosen = sorted(x.id for x in point.interventions if x.selected)
    for s in r.samples:
        assert s["objective"] == pytest.approx(point.objective, rel=1e-12)
        for t, (value, met) in s["targets"].items():
            assert value == pytest.approx(achieved[t], rel=1e-9, abs=1e-6)
            assert met
        for p, (v, _cum, breached) in s["partners"].items():
            assert v == pytest.approx(net[p], rel=1e-9, abs=1e-6)
            assert not any(breached)
        assert s["reoptimised"]["objective"] == pytest.approx(point.objective, rel=1e-9)
        assert sorted(s["reoptimised"]["chosen"]) == chosen
    assert r.objective_summary()["regret_mean"] == pytest.approx(0, abs=1e-6)


def _one_input(min_savings: float, **extra):
    return scenario_from_data(scenario_data(
        partners=[partner("p", 1000)],
        interventions=[iv("a", max_units=100, unit_cost=10, benefits={"p": 20})],
        targets=[{"id": "savings", "measure": "net_cashable_savings", "min": min_savings}],
        uncertainty={"inputs": [{"path": "interventions.a.unit_cost",
                                 "distribution": "uniform", "low": 0.5, "high": 1.5}]},
        **extra))


def test_one_uniform_input_gives_the_probability_worked_out_on_paper():
    """One partner (budget 1000), one intervention: 100 units at most, cost 10 and cashable
    benefit 20 per unit. The point plan funds all 100 units (net 100*(20-10) = 1000, the
    budget exactly spent). Savings target: at least 900.

    Draw the unit cost as 10m, m ~ Uniform(0.5, 1.5), plan held fixed: savings are
    100*(20 - 10m) = 2000 - 1000m >= 900  <=>  m <= 1.1, so P(met) = (1.1-0.5)/1 = 0.6.
    The payment is 1000m, above the budget of 1000 when m > 1: P(breach) = 0.5. The partner
    is out of pocket only if m > 2: never. With a Latin hypercube of 100 samples, one falls
    in each hundredth of (0, 1): exactly 60 have u <= 0.6 and 50 have u > 0.5.
    """
    r = risk(_one_input(900), 100, seed=7, reoptimise=False, workers=1)
    targets = r.targets_table().set_index("target")
    assert targets.loc["savings", "p_met"] == pytest.approx(0.6)
    partners = r.partners_table().set_index("partner")
    assert partners.loc["p", "p_budget_breached"] == pytest.approx(0.5)
    assert partners.loc["p", "p_out_of_pocket"] == 0
    assert r.manifest["seed"] == 7
    assert r.manifest["samples"] == 100
    assert r.manifest["draws"][0]["inputs"][0]["distribution"] == "uniform"


def test_robust_plan_keeps_the_target_in_nine_samples_of_ten():
    """Budget 1000 buys 100 units of a or b (cost 10 each). a's benefit is 20m per unit with
    m ~ U(0.5, 1.5); b's is a sure 15. Target: net savings >= 400.

    With x units of a: savings = x(20m - 10) + (100 - x)5 = 500 + x(20m - 15) >= 400
    <=> x <= 100/(15 - 20m) when m < 0.75. The expected objective 500 + 5x rises with x.
    At 90% of K = 20 samples, two may fall short: the two lowest m are let go and the third
    lowest, m3, binds: x = 100/(15 - 20 m3). The point plan (x = 100) fails whenever
    m < 0.7.
    """
    data = scenario_data(
        partners=[partner("p", 1000)],
        interventions=[iv("a", max_units=100, unit_cost=10, benefits={"p": 20}),
                       iv("b", max_units=100, unit_cost=10, benefits={"p": 15})],
        targets=[{"id": "savings", "measure": "net_cashable_savings", "min": 400}],
        uncertainty={"inputs": [{"path": "interventions.a.benefits",
                                 "distribution": "uniform", "low": 0.5, "high": 1.5}]})
    sc = scenario_from_data(data)
    r = risk(sc, 40, seed=3, reoptimise=False, robust=0.9, robust_samples=20, workers=1)
    m = np.sort(0.5 + uniforms(20, 1, 3 + 1)[:, 0])
    x = 100 / (15 - 20 * m[2])
    units = {i.id: i.units for i in r.robust["plan"].interventions}
    assert units["a"] == pytest.approx(x, rel=1e-6)
    assert units["a"] + units["b"] == pytest.approx(100)
    assert r.robust["short_in_saa"] <= r.robust["allowed_short"] == 2
    point_units = {i.id: i.units for i in r.point.interventions}
    assert point_units["a"] == pytest.approx(100)
    comparison = r.comparison().set_index("measure")
    assert comparison.loc["P(savings met)", "robust_plan"] > \
        comparison.loc["P(savings met)", "point_plan"]


def test_confidence_grade_gives_a_default_range_and_correction():
    """Grade 3 (placeholder table: range 0.2, correction 0.1): benefits triangular around
    0.9 (0.72..1.08), costs around 1.1 (0.88..1.32); a scenario can replace the row."""
    data = scenario_data(partners=[partner("p", 1000)],
                         interventions=[iv("a", max_units=10, unit_cost=10, benefits={"p": 20},
                                           confidence=3)])
    dims, problems = resolve(scenario_from_data(data).model_dump(by_alias=True))
    assert not problems
    by_path = {m.path: m for d in dims for m in d.members}
    assert by_path["interventions.a.benefits"].parameters == pytest.approx(
        {"low": 0.72, "mode": 0.9, "high": 1.08})
    assert by_path["interventions.a.unit_cost"].parameters["mode"] == pytest.approx(1.1)
    data["uncertainty"] = {"confidence_table": {3: {"range": 0.0, "optimism_bias": 0.5}}}
    dims, _ = resolve(scenario_from_data(data).model_dump(by_alias=True))
    by_path = {m.path: m for d in dims for m in d.members}
    assert by_path["interventions.a.benefits"].parameters["mode"] == pytest.approx(0.5)


def test_a_group_moves_its_inputs_together():
    sc = _tutorial({"inputs": [{"path": "interventions.*.unit_cost", "group": "costs",
                                "distribution": "uniform", "low": 0.5, "high": 1.5}]})
    dims, _ = resolve(sc.model_dump(by_alias=True))
    assert len(dims) == 1
    assert len(dims[0].members) == 4


@pytest.mark.parametrize(("entry", "message"), [
    ({"path": "interventions.nope.unit_cost", "distribution": "uniform", "low": 1, "high": 2},
     "no item 'nope' in interventions"),
    ({"path": "interventions.hub.name", "distribution": "uniform", "low": 1, "high": 2},
     "is not a number or a profile"),
    ({"path": "interventions.hub.unit_cost", "distribution": "triangular", "low": 1,
      "high": 2}, "needs low, mode, high; missing mode"),
    ({"path": "interventions.hub.unit_cost", "distribution": "uniform", "low": 3, "high": 2},
     "low 3 is above high 2"),
    ({"path": "interventions.hub.benefits", "distribution": "normal", "mean": 1, "sd": 1,
      "as": "absolute"}, "give it as a multiplier"),
    ({"path": "interventions.hub.unit_cost", "distribution": "gamma", "low": 1, "high": 2},
     "distribution"),
])
def test_bad_uncertain_inputs_are_located(entry, message):
    with pytest.raises(InputError) as err:
        _tutorial({"inputs": [entry]})
    text = " ".join(err.value.problems)
    assert "uncertainty" in text
    assert message in text


def test_confidence_grade_out_of_range_is_an_input_error():
    with pytest.raises(InputError, match="confidence"):
        scenario_from_data(scenario_data(
            partners=[partner("p", 10)],
            interventions=[iv("a", max_units=1, unit_cost=1, benefits={"p": 2},
                              confidence=7)]))


def test_cli_risk_writes_json_and_xlsx(tmp_path):
    import json

    import openpyxl
    from typer.testing import CliRunner

    from pbo.cli import app

    path = tmp_path / "s.yaml"
    path.write_text((SCENARIOS / "tutorial.yaml").read_text() + """
uncertainty:
  inputs:
    - {path: interventions.*.unit_cost, distribution: pert, low: 0.9, mode: 1, high: 1.3}
""")
    assert load_scenario(path).uncertainty is not None
    runner = CliRunner()
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["risk", str(path), "-n", "6", "--workers", "1", "--out",
                              str(out), "--charts", str(tmp_path / "charts")])
    assert res.exit_code == 0, res.output
    assert "Targets: how likely" in res.output
    data = json.loads(out.read_text())
    assert data["manifest"]["samples"] == 6
    assert len(data["samples"]) == 6
    assert (tmp_path / "charts" / "risk_fan.png").exists()
    audited = runner.invoke(app, ["audit", str(out)])  # samples 0, 1, 2, 4, 5 re-run
    assert audited.exit_code == 0, audited.output
    assert "Risk run confirmed: samples 0, 1, 2, 4, 5 of 6" in audited.output
    data["samples"][5]["objective"] += 1.0
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(data))
    audited = runner.invoke(app, ["audit", str(forged)])
    assert audited.exit_code == 1, audited.output
    assert "sample 5: re-run gives different figures from the result's" in audited.output
    xlsx = tmp_path / "r.xlsx"
    res = runner.invoke(app, ["risk", str(path), "-n", "4", "--workers", "1", "--out",
                              str(xlsx), "--no-reoptimise"])
    assert res.exit_code == 0, res.output
    sheets = openpyxl.load_workbook(xlsx).sheetnames
    assert sheets[:4] == ["Samples", "Targets", "Partners", "Interventions"]


def test_a_risk_result_re_runs_and_confirms_its_samples():
    sc = _one_input(900)
    r = risk(sc, 6, seed=2, workers=1)
    from pbo.optimizer.analyses.risk_audit import audit_risk

    recorded = r.to_json()
    assert audit_risk(sc, recorded, [0, 3, 5]) == []
    recorded["samples"][3]["objective"] += 1.0
    assert audit_risk(sc, recorded, [3]) == ["sample 3: re-run gives different figures from "
                                             "the result's"]


def test_the_decision_pack_says_how_sure_we_are():
    from pbo.optimizer.present.pack import decision_pack

    sc = _one_input(900)
    r = risk(sc, 10, seed=2, workers=1)
    page = decision_pack(r.point, sc, risk=r)
    assert "How sure are we?" in page
    assert "<svg" in page
    assert "<td>savings</td><td>60%</td>" in page  # 6 of 10 strata have m <= 1.1


def test_robust_plan_counts_a_partners_cost_overrun():
    """One partner pays for x units of a (at most 100, planned cost 10 each, benefit 20).
    Unit cost 10m, m ~ U(0.5, 1.5); target: the partner's spend at most 1000.

    Held fixed, the point plan (x = 100) pays 1000m: within the target only when m <= 1, so
    P(met) = 0.5. In the robust model each planned payment grows with its cost, so sample k
    needs 10 m_k x <= 1000. At 90% of K = 20 two samples may fall short: the two highest m
    are let go, the third highest binds, and the objective (rising in x) gives x = 100/m_(18)
    (m sorted ascending, 1-based 18th).
    """
    sc = scenario_from_data(scenario_data(
        partners=[partner("p", 1000)],
        interventions=[iv("a", max_units=100, unit_cost=10, benefits={"p": 20})],
        targets=[{"id": "spend", "partner": "p", "measure": "spend", "max": 1000}],
        uncertainty={"inputs": [{"path": "interventions.a.unit_cost",
                                 "distribution": "uniform", "low": 0.5, "high": 1.5}]}))
    r = risk(sc, 20, seed=5, reoptimise=False, robust=0.9, robust_samples=20, workers=1)
    m = np.sort(0.5 + uniforms(20, 1, 5 + 1)[:, 0])
    units = {i.id: i.units for i in r.robust["plan"].interventions}
    assert units["a"] == pytest.approx(100 / m[17], rel=1e-6)
    assert r.targets_table().set_index("target").loc["spend", "p_met"] == pytest.approx(0.5)


def test_a_workbook_never_drops_the_uncertain_inputs(tmp_path):
    """The workbook has no sheet for `uncertainty:` or confidence grades: converting such a
    scenario to .xlsx is refused with the reason (exit 1), never written without them."""
    from typer.testing import CliRunner

    from pbo.cli import app

    path = tmp_path / "s.yaml"
    path.write_text((SCENARIOS / "tutorial.yaml").read_text() + """
uncertainty:
  inputs:
    - {path: interventions.*.unit_cost, distribution: uniform, low: 0.9, high: 1.1}
""")
    out = tmp_path / "s.xlsx"
    res = CliRunner().invoke(app, ["convert", str(path), str(out)])
    assert res.exit_code == 1, res.output
    assert "no sheet yet for the uncertainty section" in res.output
    assert not out.exists()


def test_the_bundled_uncertain_example_gives_odds_not_certainties():
    """scenarios/whole_place_uncertain.yaml is the bundled example with an `uncertainty:`
    section. Its point plan leaves the council and the NHS exactly at their £0 savings floors
    (net cashable savings >= 0, achieved £0 in the point solve), so a sample that draws
    their benefits below the point estimate breaks the target and one above keeps it: each
    is met in some samples and missed in others. The outcome
    targets do not move (outcomes are counted per unit, and the plan is held): always met.
    The table shows the spend cap (a `max` target) as '≤ £12.00m', not as a missing value."""
    import io

    from rich.console import Console

    from pbo.optimizer.present.risk_tables import risk_tables

    result = risk(load_scenario(SCENARIOS / "whole_place_uncertain.yaml"), samples=16,
                  workers=1, reoptimise=False)
    p_met = {row["target"]: row["p_met"] for row in result.targets_table().to_dict("records")}
    assert 0.0 < p_met["council_savings"] < 1.0
    assert 0.0 < p_met["nhs_savings"] < 1.0
    assert p_met["families_turned_around"] == 1.0
    assert p_met["people_into_work"] == 1.0
    out = io.StringIO()
    Console(file=out, width=100).print(risk_tables(result))
    assert "≤ £12.00m" in out.getvalue()
    assert "nan" not in out.getvalue()
