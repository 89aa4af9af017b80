"""Bugs found in review, each pinned by the scenario that showed it."""

from __future__ import annotations

import pytest

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
