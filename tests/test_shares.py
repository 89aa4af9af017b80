"""Cooperative fair shares: the coalition game, Shapley values, the least core, rule `core`."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.analyses.coalitions import CoalitionGame
from pbo.optimizer.analyses.shares import least_core, shapley_exact, shapley_sampled
from pbo.optimizer.solving.plan import solve
from tests.conftest import iv, partner, scenario_data


def three_partner_game(budget: float = 100, *, dummy: bool = False, **fields):
    """Partners a, b, c, each with `budget`; one year, no discounting. x_ab costs 200 a unit
    (at most 1) and saves a and b 150 each; x_ac costs 200 and saves a and c 200 each."""
    partners = [partner("a", budget), partner("b", budget), partner("c", budget)]
    if dummy:
        partners.append(partner("d", 0))
    return scenario_from_data(scenario_data(
        partners=partners, objective="net_cashable_savings",
        interventions=[iv("x_ab", unit_cost=200, max_units=1, benefits={"a": 150, "b": 150}),
                       iv("x_ac", unit_cost=200, max_units=1, benefits={"a": 200, "c": 200})],
        **fields))


def test_three_partner_game_by_hand():
    """Budgets 100 each. Alone, no partner gains: a's own saving per £ of x_ac is 200/200 = 1
    (net 0) and of x_ab 150/200 < 1; b and c likewise, so v(a) = v(b) = v(c) = 0.
    v(ab) = x_ab in full: 300 - 200 = 100. v(ac) = x_ac in full: 400 - 200 = 200.
    v(bc) = 0 (b's 150 or c's 200 per £200: nothing pays). v(abc): budget 300, x_ac in full
    (net 200) and half of x_ab (net 50) = 250.

    Shapley over the 6 orders: a: 0, 0, v(ab)-v(b)=100, v(ac)-v(c)=200, 250, 250 -> 800/6;
    b: 0, 0, 100, 0, v(abc)-v(ac)=50, 50 -> 200/6; c: 0, 0, 200, 0, 150, 150 -> 500/6.

    Least core: min e with x_a+x_b+x_c = 250, x_a+x_b >= 100-e, x_a+x_c >= 200-e,
    x_b+x_c >= -e, x_i >= -e. From x_a+x_c >= 200-e: x_b <= 50+e; with x_b >= -e, e >= -25.
    At e = -25, x_b = 25 exactly and x_c = 250-25-x_a, with x_a+x_b >= 125 -> x_a >= 100 and
    x_c >= 25 -> x_a <= 200: the least core is e = -25, x_b = 25, x_a + x_c = 225,
    x_a in [100, 200]."""
    game = CoalitionGame(three_partner_game())
    expected = {(): 0, ("a",): 0, ("b",): 0, ("c",): 0, ("a", "b"): 100, ("a", "c"): 200,
                ("b", "c"): 0, ("a", "b", "c"): 250}
    for members, v in expected.items():
        assert game.value(members) == pytest.approx(v, abs=1e-6), members
    phi = shapley_exact(game).values
    assert phi == pytest.approx({"a": 800 / 6, "b": 200 / 6, "c": 500 / 6})
    for oracle in ("enumerate", "milp"):
        core = least_core(game, oracle)
        x = core.payoffs
        assert core.epsilon == pytest.approx(-25, abs=1e-6)
        assert x["b"] == pytest.approx(25, abs=1e-6)
        assert x["a"] + x["c"] == pytest.approx(225, abs=1e-6)
        assert 100 - 1e-6 <= x["a"] <= 200 + 1e-6
        assert core.shortfall == pytest.approx(-25, abs=1e-6)


def test_sampled_shapley_is_near_exact_and_sums_to_the_whole():
    game = CoalitionGame(three_partner_game())
    exact = shapley_exact(game).values
    sampled = shapley_sampled(game, samples=300, seed=1)
    assert sum(sampled.values.values()) == pytest.approx(250)
    for p, v in exact.items():
        assert abs(sampled.values[p] - v) <= 4 * sampled.se[p] + 1e-9
        assert sampled.se[p] > 0


def test_core_rule_pays_each_partner_its_least_core_payoff():
    """Budgets 1000: the plan funds both in full (net 100 + 200 = 300). v(ab) = 100,
    v(ac) = 200, singles and v(bc) 0: e >= -50 from x_b <= 100+e (x_a+x_c >= 200-e) and
    x_b >= -e, so e = -50 and x_b = 50. With ample budgets the split meets every payoff."""
    sc = three_partner_game(1000, cost_sharing={"rule": "core"})
    result = solve(sc)
    net = {p.id: p.net_cashable_savings_npv for p in result.partners}
    assert result.objective == pytest.approx(300)
    assert net["b"] == pytest.approx(50, abs=1e-6)
    assert net["a"] + net["c"] == pytest.approx(250, abs=1e-6)
    game = CoalitionGame(sc)
    for k in (1, 2):
        for members in itertools.combinations("abc", k):
            assert sum(net[p] for p in members) >= game.value(members) - 50 - 1e-6
    assert not any("above its fair share" in w for w in result.meta.warnings)


def test_core_rule_reports_what_budgets_leave_off():
    """Budgets 100 and a total cost of 300: each partner must pay exactly 100, so the nets
    are a 275-100 = 175, b 75-100 = -25, c 200-100 = 100, whatever the payoffs. The least
    core forces x_b = 25 (b is £50 short); aiming at x_a in [125, 175] leaves a and c
    £50 between them, the least any least-core split allows (x_a + x_c = 225 against 275)."""
    result = solve(three_partner_game(100, cost_sharing={"rule": "core"}))
    net = {p.id: p.net_cashable_savings_npv for p in result.partners}
    assert net == pytest.approx({"a": 175, "b": -25, "c": 100})
    (said,) = [w for w in result.meta.warnings if "fair share" in w]
    assert "b £50 below its fair share" in said
    off = re.findall(r"([ac]) £(\d+) (above|below)", said)
    assert sum(int(v) for _, v, _ in off) == 50


@st.composite
def small_games(draw, dummy: bool = False):
    n = draw(st.integers(2, 4))
    ids = [f"p{k}" for k in range(n)]
    partners = [partner(p, draw(st.sampled_from([0, 50, 100, 200]))) for p in ids]
    interventions = []
    for k in range(draw(st.integers(1, 3))):
        named = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        whole = draw(st.booleans())
        interventions.append(iv(
            f"i{k}", unit_cost=draw(st.sampled_from([50, 100, 200])),
            fixed_cost=draw(st.sampled_from([0, 0, 30])), integer_units=whole,
            max_units=draw(st.sampled_from([1, 2, 3])),
            benefits={p: draw(st.sampled_from([20, 60, 120])) for p in named}))
    if dummy:
        partners.append(partner("nobody", 0))
        for i in interventions:
            i["funders"] = ids
    return scenario_from_data(scenario_data(partners=partners, interventions=interventions))


FAST = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(small_games(dummy=True))
def test_shapley_sums_to_the_whole_and_a_partner_bringing_nothing_gets_nothing(sc):
    game = CoalitionGame(sc)
    phi = shapley_exact(game).values
    assert sum(phi.values()) == pytest.approx(game.value(game.grand), abs=1e-6)
    assert phi["nobody"] == pytest.approx(0, abs=1e-6)


@FAST
@given(small_games())
def test_least_core_payoffs_meet_every_coalition_within_epsilon(sc):
    game = CoalitionGame(sc)
    core = least_core(game, "enumerate")
    x = core.payoffs
    assert sum(x.values()) == pytest.approx(game.value(game.grand), abs=1e-6)
    worst = max(game.value(s) - sum(x[p] for p in s)
                for k in range(1, len(x)) for s in itertools.combinations(x, k))
    assert worst <= core.epsilon + 1e-5
    assert core.shortfall == pytest.approx(worst, abs=1e-5)
    assert least_core(game, "milp").epsilon == pytest.approx(core.epsilon, abs=1e-4)


def test_cli_shares_writes_json_and_xlsx(tmp_path):
    path = tmp_path / "game.json"
    path.write_text(json.dumps(three_partner_game().model_dump(mode="json")))
    out = tmp_path / "shares.json"
    run = CliRunner().invoke(app, ["shares", str(path), "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert "least core" in run.output
    data = json.loads(out.read_text())
    assert data["grand_value"] == pytest.approx(250)
    assert data["epsilon"] == pytest.approx(-25)
    by_id = {p["id"]: p for p in data["partners"]}
    assert by_id["b"]["shapley"] == pytest.approx(200 / 6)
    assert set(by_id["a"]) == {"id", "standalone", "shapley", "shapley_se", "core", "actual"}
    xlsx = tmp_path / "shares.xlsx"
    run = CliRunner().invoke(app, ["shares", str(path), "--method", "shapley", "--samples",
                                   "50", "--out", str(xlsx)])
    assert run.exit_code == 0, run.output
    import openpyxl

    assert openpyxl.load_workbook(xlsx).sheetnames == ["Shares", "Summary"]
    assert CliRunner().invoke(app, ["shares", str(path), "--samples", "1"]).exit_code == 2


def test_one_partner_keeps_everything_under_the_core_rule():
    """One partner, budget 100; x costs 100 and saves it 150: v(N) = 50, all of it the one
    partner's (no proper coalition to satisfy, epsilon 0)."""
    sc = scenario_from_data(scenario_data(
        partners=[partner("a", 100)], objective="net_cashable_savings",
        interventions=[iv("x", unit_cost=100, max_units=1, benefits={"a": 150})],
        cost_sharing={"rule": "core"}))
    game = CoalitionGame(sc)
    core = least_core(game)
    assert core.payoffs == pytest.approx({"a": 50})
    assert core.epsilon == 0
    result = solve(sc)
    assert result.partners[0].net_cashable_savings_npv == pytest.approx(50)


def test_cli_shares_of_an_infeasible_partnership_exits_4(tmp_path):
    path = tmp_path / "game.json"
    data = three_partner_game().model_dump(mode="json")
    data["targets"] = [{"id": "far", "measure": "net_cashable_savings", "min": 1e9}]
    path.write_text(json.dumps(data))
    run = CliRunner().invoke(app, ["shares", str(path)])
    assert run.exit_code == 4, run.output
    assert "no shares to compute" in run.output


@FAST
@given(small_games())
def test_core_rule_split_meets_every_coalition_unless_it_says_otherwise(sc):
    """Under `core`, when no gap is reported, the partners net v(N) between them and each
    smaller group at least v(S) - epsilon (checked by enumerating every group)."""
    data = sc.model_dump(mode="json")
    data["cost_sharing"] = {"rule": "core"}
    result = solve(scenario_from_data(data))
    game = CoalitionGame(sc)
    eps = least_core(game, "enumerate").epsilon
    if any("fair share" in w for w in result.meta.warnings):
        return
    net = {p.id: p.net_cashable_savings_npv for p in result.partners}
    assert sum(net.values()) == pytest.approx(game.value(game.grand), abs=1e-4)
    for k in range(1, len(net)):
        for members in itertools.combinations(net, k):
            assert sum(net[p] for p in members) >= game.value(members) - eps - 1e-4
