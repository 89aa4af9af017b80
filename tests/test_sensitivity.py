"""Red-line sensitivity and marginal values (issue 3).

Hand-computed scenarios (1 year, no discounting; x costs £1 a unit and returns £3 to A, so it
nets £2 a unit; z costs £1 a unit and returns nothing):

RANKED: A budget 100, B budget 50; red lines must_z (must_fund z, 10 units), cap (spend_cap
90), b_out (no_pooling B).
  base:            spend <= 90, 10 on z -> x = 80            objective 160 - 10 = 150
  relax must_z:    x = 90                                    180          value 30
  relax cap:       A's 100 -> x = 90, z = 10                 180 - 10 = 170, value 20
  relax b_out:     cap 90 still binds                        150          value 0
  ranking: must_z (30), cap (20), b_out (0).
  pairs (top 3):   must_z+cap: x = 100 -> 200, value 50, interaction 50-30-20 = 0
                   must_z+b_out: cap binds, x = 90 -> 180, value 30, interaction 0
                   cap+b_out: budget 150, z = 10, x = 140 -> 270, value 120,
                              interaction 120-20-0 = +100 (complements)
SUBSTITUTES: A budget 0, B and C 100 each, x at most 100 units; no_pooling B, no_pooling C.
  base 0; relax B: x = 100 -> 200; relax C: 200; both: still 100 units -> 200;
  interaction 200-200-200 = -200.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io.loading import read_data, scenario_from_data
from pbo.models.scenario import RED_LINE_RULES
from pbo.optimizer.analyses.sensitivity import sensitivity
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.solving.highs import HighsSession, SolverOptions
from pbo.optimizer.solving.plan import objective_value
from pbo.optimizer.solving.plan import solve as plan_solve
from tests.conftest import SCENARIOS, make_scenario

X = {"id": "x", "max_units": 1000, "unit_cost": 1, "benefits": {"A": 3}}
Z = {"id": "z", "max_units": 1000, "unit_cost": 1}
NO_BINDING = SolverOptions(check_binding=False)


def ranked_data() -> dict[str, Any]:
    return {"name": "ranked", "start_year": 2020, "years": 1, "discount_rate": 0.0,
            "partners": [{"id": "A", "poolable_budget": 100},
                         {"id": "B", "poolable_budget": 50}],
            "interventions": [X, Z],
            "red_lines": [{"id": "must_z", "rule": "must_fund", "intervention": "z",
                           "min_units": 10},
                          {"id": "cap", "rule": "spend_cap", "amount": 90},
                          {"id": "b_out", "rule": "no_pooling", "partner": "B"}]}


def test_ranking_and_value_arithmetic():
    """RANKED in the module docstring: base 150; values must_z 30, cap 20, b_out 0."""
    r = sensitivity(scenario_from_data(ranked_data()))
    assert r.base.status == "optimal"
    assert r.base.objective == pytest.approx(150)
    assert [x.id for x in r.red_lines] == ["must_z", "cap", "b_out"]
    assert [x.objective for x in r.red_lines] == pytest.approx([180, 170, 150])
    assert [x.value for x in r.red_lines] == pytest.approx([30, 20, 0])
    assert all(x.status == "optimal" for x in r.red_lines)
    frame = r.table()
    assert list(frame["id"]) == ["must_z", "cap", "b_out"]


def test_non_negotiable_left_out_unless_asked():
    """b_out made non-negotiable: relaxed only with include_non_negotiable."""
    data = ranked_data()
    data["red_lines"][2]["negotiable"] = False
    sc = scenario_from_data(data)
    assert [x.id for x in sensitivity(sc).red_lines] == ["must_z", "cap"]
    assert [x.id for x in sensitivity(sc, include_non_negotiable=True).red_lines] == [
        "must_z", "cap", "b_out"]


def test_pairs_interaction_complements():
    """RANKED pairs: must_z+cap 50 (0), must_z+b_out 30 (0), cap+b_out 120 (+100)."""
    r = sensitivity(scenario_from_data(ranked_data()), pairs=3, marginals=False)
    got = {(p.first, p.second): (p.value, p.interaction) for p in r.pairs}
    assert set(got) == {("must_z", "cap"), ("must_z", "b_out"), ("cap", "b_out")}
    assert got["must_z", "cap"] == pytest.approx((50, 0))
    assert got["must_z", "b_out"] == pytest.approx((30, 0))
    assert got["cap", "b_out"] == pytest.approx((120, 100))
    # pairs=2: only the top two
    assert [(p.first, p.second) for p in sensitivity(
        scenario_from_data(ranked_data()), pairs=2, marginals=False).pairs] == [("must_z", "cap")]


def test_pairs_interaction_substitutes():
    """SUBSTITUTES in the module docstring: singles 200 each, pair 200, interaction -200."""
    sc = make_scenario(
        partners=[{"id": "A", "poolable_budget": 0}, {"id": "B", "poolable_budget": 100},
                  {"id": "C", "poolable_budget": 100}],
        interventions=[{**X, "max_units": 100}],
        red_lines=[{"id": "b_out", "rule": "no_pooling", "partner": "B"},
                   {"id": "c_out", "rule": "no_pooling", "partner": "C"}])
    r = sensitivity(sc, pairs=2, marginals=False)
    assert r.base.objective == pytest.approx(0)
    assert [x.value for x in r.red_lines] == pytest.approx([200, 200])
    (pair,) = r.pairs
    assert (pair.value, pair.interaction) == pytest.approx((200, -200))


def test_unblocks_when_base_infeasible():
    """A budget 100, B 100 but no_pooling B; an outcome target needs 150 units of x.
    Base infeasible (A alone buys 100). Relaxing b_out: x = 200 (both budgets) -> 400,
    status 'unblocks', value None. Relaxing the irrelevant no_z: still infeasible."""
    sc = make_scenario(
        partners=[{"id": "A", "poolable_budget": 100}, {"id": "B", "poolable_budget": 100}],
        interventions=[{**X, "outcomes": {"helped": 1}}, Z],
        targets=[{"id": "help", "measure": "outcome", "outcome": "helped", "min": 150}],
        red_lines=[{"id": "no_z", "rule": "exclude_intervention", "intervention": "z"},
                   {"id": "b_out", "rule": "no_pooling", "partner": "B"}])
    r = sensitivity(sc)
    assert r.base == type(r.base)(status="infeasible", objective=None)
    first, second = r.red_lines
    assert (first.id, first.status, first.value) == ("b_out", "unblocks", None)
    assert first.objective == pytest.approx(400)
    assert (second.id, second.status, second.objective, second.value) == (
        "no_z", "infeasible", None, None)
    assert r.marginals == ()
    json.dumps(r.to_json(), allow_nan=False)


def _without(data: dict[str, Any], red_line: str) -> dict[str, Any]:
    return {**data, "red_lines": [r for r in data["red_lines"] if r["id"] != red_line]}


@pytest.mark.parametrize("objective", ["net_fiscal_value", "public_value"])
def test_persistent_path_equals_fresh_solves_on_every_rule(objective):
    """The example uses every red-line rule; each relaxed objective from the one persistent
    model equals a from-scratch solve of the scenario with that red line deleted."""
    data = read_data(SCENARIOS / "whole_place_example.yaml")
    sc = scenario_from_data(data)
    assert {r.rule for r in sc.red_lines} == set(RED_LINE_RULES)
    r = sensitivity(sc, include_non_negotiable=True, objective=objective, marginals=False)
    assert len(r.red_lines) == len(sc.red_lines)
    assert r.base.objective == pytest.approx(plan_solve(sc, objective, NO_BINDING).objective,
                                             rel=1e-6)
    assert any(x.value > 1 for x in r.red_lines)  # some red line costs something
    for line in r.red_lines:
        fresh = plan_solve(scenario_from_data(_without(data, line.id)), objective, NO_BINDING)
        assert line.status == fresh.status == "optimal"
        assert line.objective == pytest.approx(fresh.objective, rel=1e-6, abs=1e-3)
        assert line.value == pytest.approx(fresh.objective - r.base.objective, rel=1e-5,
                                           abs=1e-3)


def _fixed_integer_objective(data: dict[str, Any], plan, objective: str | None = None) -> float:
    """Objective of `data` with every select (and integer units) fixed at `plan`'s values."""
    sc = scenario_from_data(data)
    built = build_model(sc, objective)
    chosen = {row.id: row for row in plan.interventions}
    for iv in sc.interventions:
        built.m.select[iv.id].fix(1 if chosen[iv.id].selected else 0)
        if iv.integer_units:
            built.m.units[iv.id].fix(round(chosen[iv.id].units))
    outcome = HighsSession(built, NO_BINDING).solve()
    assert outcome.status == "optimal"
    return objective_value(built)


def _bumped(data: dict[str, Any], sc, mv, step: float) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    if mv.kind == "budget":
        partner = sc.partner[mv.id]
        budget = list(partner.poolable_budget)
        budget[sc.horizon.index(int(mv.period))] += step
        for p in out["partners"]:
            if p["id"] == mv.id:
                p["poolable_budget"] = budget
    else:
        for t in out["targets"]:
            if t["id"] == mv.id:
                t["min" if mv.bound == "lower" else "max"] += step
    return out


def min_cost_data() -> dict[str, Any]:
    """MIN_COST: x (£1/unit, £3 cashable to A, only A pays), y (£1/unit, £2 to A, only B
    pays); A budget 100k, B 100k; A's cashable benefit must reach 360k.
    Cheapest: x = 100k (A's budget) -> 300k, y = 30k -> 60k; cost 130k.
    An extra £1 of A's budget: x + 1, y - 1.5: saves £0.50. An extra £1 of target: y + 0.5:
    costs £0.50."""
    return {"name": "min cost", "start_year": 2020, "years": 1, "discount_rate": 0.0,
            "objective": "min_cost",
            "partners": [{"id": "A", "poolable_budget": 100_000},
                         {"id": "B", "poolable_budget": 100_000}],
            "interventions": [{**X, "max_units": 1e6, "funders": ["A"]},
                              {"id": "y", "max_units": 1e6, "unit_cost": 1,
                               "benefits": {"A": 2}, "funders": ["B"]}],
            "targets": [{"id": "a_savings", "partner": "A", "measure": "cashable_benefit",
                         "min": 360_000}]}


def test_marginal_values_min_cost_hand_computed():
    """MIN_COST: base cost 130k; A's budget saves £0.50 per £1 (until y = 0: +20k), the
    target costs £0.50 per £1 (until B's budget runs out: +140k); B's budget (30k of 100k
    used) is worth nothing."""
    r = sensitivity(scenario_from_data(min_cost_data()))
    assert r.base.objective == pytest.approx(130_000)
    by = {(mv.kind, mv.id): mv for mv in r.marginals}
    assert by["budget", "A"].dual == pytest.approx(0.5)
    assert by["budget", "A"].range_high == pytest.approx(120_000)
    assert by["target", "a_savings"].range_high == pytest.approx(500_000)
    assert "saves £0.50" in by["budget", "A"].words
    assert by["target", "a_savings"].dual == pytest.approx(-0.5)
    assert "costs £0.50" in by["target", "a_savings"].words
    assert by["budget", "B"].dual == 0.0


@pytest.mark.parametrize(("source", "objective"), [("whole_place_example.yaml", None),
                                                   ("min_cost", "min_cost")])
def test_marginal_values_match_finite_differences(source, objective):
    """For every binding budget and target row whose range covers +£1,000: re-solving with
    the bound raised by 1,000 and the integer decisions fixed moves the objective by
    dual * 1,000 (gain when maximising; cost saved for min_cost)."""
    data = min_cost_data() if source == "min_cost" else read_data(SCENARIOS / source)
    sc = scenario_from_data(data)
    r = sensitivity(sc, objective=objective)
    plan = plan_solve(sc, objective, NO_BINDING)
    base = _fixed_integer_objective(data, plan, objective)
    assert base == pytest.approx(r.base.objective, rel=1e-7)
    step = 1000.0
    checked = 0
    for mv in r.marginals:
        if mv.kind == "red_line" or mv.dual == 0.0:
            continue
        up = mv.range_high if mv.range_high is not None else math.inf
        if mv.level + step > up:
            continue
        moved = _fixed_integer_objective(_bumped(data, sc, mv, step), plan, objective)
        gain = moved - base if objective != "min_cost" else base - moved
        assert gain == pytest.approx(mv.dual * step, rel=1e-6, abs=1e-4), mv
        checked += 1
    assert checked >= 2


def test_marginal_value_hand_computed():
    """RANKED: the spend cap binds; each extra £1 of cap buys a unit of x worth £2 net, so
    cap's dual is 2 while A's budget (90 of 100 used) and B's (blocked) are worth nothing.
    The range: the cap can rise to 100 (A's budget) and fall to 10 (z's must-fund units)."""
    r = sensitivity(scenario_from_data(ranked_data()))
    by = {(mv.kind, mv.id): mv for mv in r.marginals}
    cap = by["red_line", "cap"]
    assert (cap.dual, cap.bound, cap.level) == pytest.approx((2.0, "upper", 90.0))
    assert (cap.range_low, cap.range_high) == pytest.approx((10.0, 100.0))
    assert "is worth £2.00" in cap.words
    assert "holds from £10.00 to £100.00" in cap.words
    assert by["budget", "A"].dual == 0.0
    assert by["budget", "B"].dual == 0.0


def test_cli_sensitivity(tmp_path):
    """`pbo sensitivity` writes SPEC section 4's {base, red_lines} JSON and an HTML tornado."""
    out, plot = tmp_path / "s.json", tmp_path / "s.html"
    res = CliRunner().invoke(app, ["sensitivity", str(SCENARIOS / "whole_place_example.yaml"),
                                   "--out", str(out), "--plot", str(plot), "--all",
                                   "--pairs", "2"])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert {"base", "red_lines"} <= set(doc)
    assert set(doc["base"]) == {"status", "objective"}
    for row in doc["red_lines"]:
        assert {"id", "owner", "negotiable", "status", "objective", "value"} <= set(row)
    values = [row["value"] for row in doc["red_lines"]]
    assert values == sorted(values, reverse=True)
    assert len(doc["pairs"]) == 1
    page = plot.read_text()
    assert "<svg" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "Red lines ranked by value" in res.output


def test_cli_sensitivity_bad_input(tmp_path):
    """A bad --out suffix is a usage error (exit 2); nothing written."""
    res = CliRunner().invoke(app, ["sensitivity", str(SCENARIOS / "tutorial.yaml"),
                                   "--out", str(tmp_path / "s.csv")])
    assert res.exit_code == 2
    assert not (tmp_path / "s.csv").exists()


def test_cli_sensitivity_workbook_and_base_plan(tmp_path):
    """`--out .xlsx` writes the base plan's results workbook plus Sensitivity and Marginals
    sheets; the base plan is the plan `pbo solve` gives (same objective, same binding red
    lines, same who-pays), from the one loaded model."""
    import openpyxl

    path = SCENARIOS / "whole_place_example.yaml"
    out = tmp_path / "s.xlsx"
    res = CliRunner().invoke(app, ["sensitivity", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert {"Summary", "Funding", "RedLines", "Sensitivity", "Marginals"} <= set(wb.sheetnames)
    sheet = wb["Sensitivity"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["id", "rule"]
    assert "£" in sheet.cell(2, header.index("value") + 1).number_format

    sc = scenario_from_data(read_data(path))
    solved = plan_solve(sc)
    both = sensitivity(sc, include_non_negotiable=False, plan=True, marginals=False)
    plan = both.plan
    assert plan is not None
    assert plan.objective == pytest.approx(solved.objective, rel=1e-9)
    assert [(r.id, r.binding) for r in plan.red_lines] == [
        (r.id, r.binding) for r in solved.red_lines]
    got = {(f.partner, f.intervention, f.year): f.amount for f in plan.funding}
    want = {(f.partner, f.intervention, f.year): f.amount for f in solved.funding}
    assert got.keys() == want.keys()
    assert list(got.values()) == pytest.approx(list(want.values()), rel=1e-6, abs=1e-2)
    assert plan.meta.scenario is not None


def test_progress_called_once_per_re_solve():
    """RANKED with pairs=3: 3 singles + 3 pairs = 6 re-solves, reported as (k, 6)."""
    calls = []
    sensitivity(scenario_from_data(ranked_data()), pairs=3, marginals=False,
                progress=lambda k, n: calls.append((k, n)))
    assert calls == [(k, 6) for k in range(1, 7)]


def test_cli_sensitivity_png(tmp_path):
    """`--plot .png` draws the tornado with matplotlib; an unknown suffix is a usage error."""
    plot = tmp_path / "tornado.png"
    path = str(SCENARIOS / "whole_place_example.yaml")
    res = CliRunner().invoke(app, ["sensitivity", path, "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = CliRunner().invoke(app, ["sensitivity", path, "--plot", str(tmp_path / "t.gif")])
    assert res.exit_code == 2
    assert "expected .html, .htm or .png" in res.output


def test_cli_points_to_explain_when_no_single_red_line_unblocks(tmp_path):
    """A savings target beyond any plan under every red line: no single relaxation unblocks,
    so the command says to run `pbo explain` (and exits 4: nothing feasible)."""
    res = CliRunner().invoke(app, ["sensitivity", str(SCENARIOS / "tutorial.yaml"), "--set",
                                   "targets.council_savings.min=1e9"], env={"COLUMNS": "200"})
    assert res.exit_code == 4, res.output
    assert "No single red line, relaxed alone, makes the scenario feasible" in res.output
    assert "pbo explain" in res.output


def test_cli_sensitivity_without_a_base_plan_in_time_exits_3():
    """Review: a time limit that leaves no base plan exited 0; it is a solver failure (3)."""
    res = CliRunner().invoke(app, ["sensitivity", str(SCENARIOS / "whole_place_example.yaml"),
                                   "--time-limit", "0.0001"])
    assert res.exit_code == 3, res.output
