"""Bugs found in review, each pinned by the scenario that showed it."""

from __future__ import annotations

import pytest

from pbo.optimizer.solving.highs import SolverOptions
from pbo.optimizer.solving.plan import solve
from tests.conftest import make_scenario


def test_fairness_stage_never_shaves_the_plan():
    """Two years, no discounting, budgets 0 except that nothing costs anything but i0.
    i1: unit cost 0, benefit 0.5 a unit to p0 (money scaled by 0.5), max 1 unit, so the
    optimum funds 1 unit: objective 2 years x 0.5 = 1.0 (i0 adds cost and no benefit).
    The fairness stage has many equally fair answers; it must keep i1 at exactly 1 unit."""
    sc = make_scenario(
        years=2,
        partners=[{"id": "p0"}, {"id": "p1"}, {"id": "p2"}],
        interventions=[
            {"id": "i0", "max_units": 5, "unit_cost": 0.5, "benefits": {"p0": 0, "p1": 0},
             "requires": ["i1"]},
            {"id": "i1", "max_units": 1, "unit_cost": 0, "benefits": {"p0": 0.5}},
        ],
    )
    result = solve(sc)
    assert result.objective == 1.0
    units = {r.id: r.units for r in result.interventions}
    assert units == {"i0": 0.0, "i1": 1.0}


def test_a_required_intervention_is_reported_selected():
    """hub (1 unit, cost 100, benefit 300) requires base (cost 10 a unit, benefit 5 a unit,
    so not worth scaling). Optimum: hub at 1 unit, base selected at 0 units:
    objective 300 - 100 = 200. The report must show base selected, as `requires` demands."""
    sc = make_scenario(
        partners=[{"id": "a", "poolable_budget": 1000}],
        interventions=[
            {"id": "base", "max_units": 10, "unit_cost": 10, "benefits": {"a": 5}},
            {"id": "hub", "max_units": 1, "unit_cost": 100, "benefits": {"a": 300},
             "requires": ["base"]},
        ],
    )
    result = solve(sc)
    assert result.objective == pytest.approx(200.0)
    chosen = {r.id: (r.selected, r.units) for r in result.interventions}
    assert chosen == {"base": (True, 0.0), "hub": (True, 1.0)}


def test_fairness_never_unselects_a_must_fund_intervention():
    """Review: x (cost 3, only social value 3: public value 0 per unit) must be funded; y
    (cost 1, gives a and b 1.5 each, max 10) is worth 2 per unit: public value 20 whatever x's
    scale. The fairness stage may re-choose x's scale (0 is fairest), but x stays selected."""
    sc = make_scenario(
        objective="public_value",
        partners=[{"id": "a", "poolable_budget": 100}, {"id": "b", "poolable_budget": 1000}],
        interventions=[{"id": "x", "max_units": 50, "unit_cost": 3, "social_value": 3},
                       {"id": "y", "max_units": 10, "unit_cost": 1,
                        "benefits": {"a": 1.5, "b": 1.5}}],
        red_lines=[{"id": "mf", "rule": "must_fund", "intervention": "x"}])
    result = solve(sc)
    assert result.objective == pytest.approx(20.0)
    x = next(r for r in result.interventions if r.id == "x")
    assert x.selected
    assert [r.binding for r in result.red_lines] == [False]


def test_who_pays_is_the_fairest_split_when_highs_returns_its_start():
    """Found by test_formulations_agree (full formulation). The plan funds i0 (9 units), i1
    (19) and i3 (14). p0 gains only from i1: 19 x (46 + 98/1.035 + 126/1.035^2) =
    19 x 258.308 = 4,907.858 (discounted), the least of the three beneficiaries (p1 and p2
    gain more than they must pay). Max-min fairness (SPEC 3.4) makes p0 pay nothing, which
    p1's carried-over budget allows: p0's net 4,907.858.

    HiGHS 1.16.0, solving the split as a MIP started from stage 1's split (p0 paying £1 of
    i1's 2022 fixed cost), reported that optimum but returned the start: p0 at 4,907.858 -
    1/1.035^2 = 4,906.925. The session now checks the returned solution against the
    reported objective (HighsSession._start_returned) and, where they differ, runs again
    without the start."""
    sc = make_scenario(
        years=3, discount_rate=0.035, objective="net_cashable_savings",
        cost_sharing={"rule": "optimise"},
        partners=[{"id": "p0", "poolable_budget": [815, 498, 92]},
                  {"id": "p1", "poolable_budget": 842, "carry_over": True},
                  {"id": "p2", "poolable_budget": [531, 0, 0], "reinvest_savings": 0.5}],
        red_lines=[{"id": "r0", "rule": "funding_window", "partner": "p2",
                    "first_year": 2020, "last_year": 2020},
                   {"id": "r2", "rule": "no_worse_off", "partner": "p0",
                    "period": "horizon"}],
        interventions=[
            {"id": "i0", "max_units": 9, "integer_units": True, "unit_cost": 21,
             "benefits": {"p1": [0, 43, 192]}},
            {"id": "i1", "max_units": 19, "fixed_cost": [1, 87, 1], "unit_cost": 0,
             "benefits": {"p0": [46, 98, 126], "p1": [57, 85, 118], "p2": [142, 160, 0]},
             "requires": ["i3"]},
            {"id": "i3", "max_units": 14, "min_units": 14, "fixed_cost": 183,
             "unit_cost": [34, 0, 0], "benefits": {"p1": [94, 153, 91]}, "cashable": 0.5,
             "optimism_bias": 0.2},
            {"id": "i3_twin", "max_units": 14, "min_units": 14, "fixed_cost": 183,
             "unit_cost": 37, "benefits": {"p1": [94, 153, 91]}, "cashable": 0.5,
             "optimism_bias": 0.2}])
    p0_gain = 19 * (46 + 98 / 1.035 + 126 / 1.035**2)
    for formulation in ("full", "reduced"):
        result = solve(sc, options=SolverOptions(check_binding=False,
                                                 formulation=formulation))
        units = {r.id: r.units for r in result.interventions}
        assert units == {"i0": 9.0, "i1": 19.0, "i3": 14.0, "i3_twin": 0.0}, formulation
        p0 = next(p for p in result.partners if p.id == "p0")
        assert p0.contribution_npv == pytest.approx(0.0, abs=1e-6), formulation
        assert p0.net_cashable_savings_npv == pytest.approx(p0_gain, abs=1e-6), formulation
