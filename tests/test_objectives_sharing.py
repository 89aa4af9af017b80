"""Objectives (SPEC 3.3), discounting, and who pays (SPEC 3.4) on tiny scenarios whose optima
are derived by hand. Every scenario starts in 2020 with discount rate 0 unless a case says
otherwise; each docstring is the case's arithmetic."""

from __future__ import annotations

import pytest

from pbo import solve
from pbo.models.io.loading import scenario_from_data
from tests.conftest import (
    Data,
    Funding,
    assert_plan,
    assert_reconciles,
    iv,
    partner,
    scenario_data,
    units_of,
)


# --------------------------------------------------------------------------- objectives
def _two_kinds(objective: str, y_optimism_bias: float = 0.0) -> Data:
    """A has 100. X costs 1, gives A 2 (cashable 0.25), helps 1; Y costs 1, gives A 1.5
    (cashable 1), economic value 0.5, social value 2, helps 0.5. Both at most 100 units.
    Target: at least 40 helped across the partnership."""
    return scenario_data(
        objective=objective, partners=[partner("A", 100)],
        interventions=[
            iv("X", unit_cost=1, benefits={"A": 2}, cashable=0.25, outcomes={"helped": 1},
               max_units=100),
            iv("Y", unit_cost=1, benefits={"A": 1.5}, cashable=1.0, economic_value=0.5,
               social_value=2, outcomes={"helped": 0.5}, optimism_bias=y_optimism_bias,
               max_units=100)],
        targets=[{"id": "reach", "measure": "outcome", "outcome": "helped", "min": 40}])


OBJECTIVE_CASES: list[tuple[str, Data, float, dict[str, float], Funding]] = [
    # Net fiscal value per £: X 2 - 1 = 1, Y 1.5 - 1 = 0.5 -> X takes the 100: objective 100.
    ("net_fiscal_value", _two_kinds("net_fiscal_value"), 100, {"X": 100, "Y": 0},
     {("A", "X", 2020): 100}),
    # Net cashable: X 0.25 * 2 - 1 = -0.5, Y 1.5 - 1 = 0.5 -> Y = 100 (helps 50 >= 40): 50.
    ("net_cashable_savings", _two_kinds("net_cashable_savings"), 50, {"X": 0, "Y": 100},
     {("A", "Y", 2020): 100}),
    # Public value: X 1 + 0 = 1, Y 0.5 + 0.5 + 2 = 3 -> Y = 100: 300.
    ("public_value", _two_kinds("public_value"), 300, {"X": 0, "Y": 100},
     {("A", "Y", 2020): 100}),
    # Economic and social value are adjusted like fiscal benefit: optimism bias 0.2 on Y gives
    # 1.2 + 0.4 + 1.6 - 1 = 2.2 per unit (X still 1) -> Y = 100: 220.
    ("public_value, adjusted", _two_kinds("public_value", 0.2), 220, {"X": 0, "Y": 100},
     {("A", "Y", 2020): 100}),
    # Least cost for 40 helped: X costs 1 per person helped, Y 2 -> X = 40: cost 40.
    ("min_cost", _two_kinds("min_cost"), 40, {"X": 40, "Y": 0}, {("A", "X", 2020): 40}),
]


@pytest.mark.parametrize(("name", "data", "objective", "units", "funding"), OBJECTIVE_CASES,
                         ids=[c[0] for c in OBJECTIVE_CASES])
def test_objective(name: str, data: Data, objective: float, units: dict[str, float],
                   funding: Funding) -> None:
    assert_plan(solve(scenario_from_data(data)), objective, units, funding)


def test_objective_can_be_chosen_at_solve_time() -> None:
    """`solve(..., objective=)` overrides the scenario's: the net_fiscal_value scenario solved
    for public_value gives that case's 300 with Y."""
    result = solve(scenario_from_data(_two_kinds("net_fiscal_value")), "public_value")
    assert_plan(result, 300, {"X": 0, "Y": 100}, {("A", "Y", 2020): 100})
    assert result.objective_name == "public_value"


# --------------------------------------------------------------------------- discounting
def _early_or_late(rate: float) -> Data:
    """2020-21; A has 100 in 2020. X costs 1 in 2020 and gives A 2.2 in 2021; Y costs 1 in
    2020 and gives A 1.2 in 2020. Both at most 100."""
    return scenario_data(years=2, discount_rate=rate, partners=[partner("A", [100, 0])],
                         interventions=[
                             iv("X", unit_cost=[1, 0], benefits={"A": [0, 2.2]}, max_units=100),
                             iv("Y", unit_cost=[1, 0], benefits={"A": [1.2, 0]}, max_units=100)])


def test_undiscounted_the_larger_late_benefit_wins() -> None:
    """Rate 0: X nets 2.2 - 1 = 1.2, Y 0.2 -> X = 100: objective 120."""
    assert_plan(solve(scenario_from_data(_early_or_late(0.0))), 120, {"X": 100, "Y": 0},
                {("A", "X", 2020): 100})


def test_discounting_favours_the_early_benefit() -> None:
    """Rate 1 (d = 1, 0.5): X nets 0.5 * 2.2 - 1 = 0.1, Y 0.2 -> Y = 100: objective 20."""
    assert_plan(solve(scenario_from_data(_early_or_late(1.0))), 20, {"X": 0, "Y": 100},
                {("A", "Y", 2020): 100})


def test_costs_are_discounted_too() -> None:
    """Rate 1; X costs 1 in 2021 only (d = 0.5) and gives A 0.8 in 2021 (0.4): net -0.1 per
    unit discounted, so nothing; Z costs 1 in 2021 and gives 1.2 in 2021: 0.5 * (1.2 - 1)
    = 0.1 per unit, max 100: objective 10."""
    data = scenario_data(years=2, discount_rate=1.0, partners=[partner("A", [0, 100])],
                         interventions=[
                             iv("X", unit_cost=[0, 1], benefits={"A": [0, 0.8]}, max_units=100),
                             iv("Z", unit_cost=[0, 1], benefits={"A": [0, 1.2]}, max_units=100)])
    assert_plan(solve(scenario_from_data(data)), 10, {"X": 0, "Z": 100},
                {("A", "Z", 2021): 100})


# --------------------------------------------------------------------------- who pays
def _shared(a_budget: float, rule: Data | None = None, grant: float | None = None,
            benefits: dict | None = None, max_units: float = 100) -> Data:
    """A and B have a_budget and 100; X costs 1, gives A 1.5 and B 0.5 (net 1) unless
    `benefits` says otherwise. With `grant`, G (no benefits) has that much too."""
    partners = [partner("A", a_budget), partner("B", 100)]
    if grant is not None:
        partners.append(partner("G", grant))
    fields = {"cost_sharing": rule} if rule else {}
    return scenario_data(partners=partners,
                         interventions=[iv("X", unit_cost=1, max_units=max_units,
                                           benefits=benefits or {"A": 1.5, "B": 0.5})],
                         **fields)


def test_optimise_equalises_net_savings() -> None:
    """Plan: u = 100 (cost 100 <= 200), objective 100. Who pays: A saves 150 - pA, B 50 - pB,
    pA + pB = 100; max-min: 150 - pA = 50 - (100 - pA) -> pA = 100, pB = 0 (both save 50)."""
    result = solve(scenario_from_data(_shared(100)))
    assert_plan(result, 100, {"X": 100}, {("A", "X", 2020): 100})
    assert {p.id: p.net_cashable_savings_npv for p in result.partners} == \
        pytest.approx({"A": 50, "B": 50})


def test_optimise_within_budgets() -> None:
    """A has only 60: pA <= 60, so the best smallest saving is B's 50 - 40 = 10 with pA = 60
    (A saves 90)."""
    result = solve(scenario_from_data(_shared(60)))
    assert_plan(result, 100, {"X": 100}, {("A", "X", 2020): 60, ("B", "X", 2020): 40})
    assert {p.id: p.net_cashable_savings_npv for p in result.partners} == \
        pytest.approx({"A": 90, "B": 10})


def test_optimise_leaves_a_grant_out_of_the_minimum() -> None:
    """As above with a grant G of 40 that benefits from nothing. G is not among the partners
    whose least saving is maximised, so it pays all it can: pA + pB = 60 with pA <= 60 ->
    pA = 60, pB = 0 and B saves 50 (A 90). Were G in the minimum (it saves -pG), G would pay
    nothing and B 40, as without the grant."""
    result = solve(scenario_from_data(_shared(60, grant=40)))
    assert_plan(result, 100, {"X": 100}, {("A", "X", 2020): 60, ("G", "X", 2020): 40})


def test_benefit_share_splits_cost_by_benefit() -> None:
    """benefit_share, A has 100: shares 1.5 : 0.5 = 0.75 and 0.25; u = 100 costs 100, so A
    pays 75 and B 25. Objective 100."""
    result = solve(scenario_from_data(_shared(100, {"rule": "benefit_share"})))
    assert_plan(result, 100, {"X": 100}, {("A", "X", 2020): 75, ("B", "X", 2020): 25})


def test_benefit_share_can_cost_value() -> None:
    """benefit_share with A's budget 15: A must pay 0.75 u <= 15 -> u = 20, objective 20
    (A 15, B 5). Under optimise the same scenario reaches u = 100 (objective 100) with
    pA = 15 and B paying the other 85."""
    data = _shared(15, {"rule": "benefit_share"})
    assert_plan(solve(scenario_from_data(data)), 20, {"X": 20},
                {("A", "X", 2020): 15, ("B", "X", 2020): 5})
    assert_plan(solve(scenario_from_data(_shared(15))), 100, {"X": 100},
                {("A", "X", 2020): 15, ("B", "X", 2020): 85})


def test_benefit_share_equal_where_no_funder_benefits() -> None:
    """X may be funded by A (30) and B (100) only, and benefits C (2 per unit, cost 1): no
    funder benefits, so equal shares: 0.5 u <= 30 -> u = 60, objective 60, A and B pay 30."""
    data = scenario_data(cost_sharing={"rule": "benefit_share"},
                         partners=[partner("A", 30), partner("B", 100), partner("C", 0)],
                         interventions=[iv("X", unit_cost=1, benefits={"C": 2},
                                           funders=["A", "B"], max_units=100)])
    assert_plan(solve(scenario_from_data(data)), 60, {"X": 60},
                {("A", "X", 2020): 30, ("B", "X", 2020): 30})


def test_benefit_share_uses_discounted_benefit() -> None:
    """Rate 1 over 2020-21; X costs 1 in 2020 and gives A 1 in 2020, B 2 in 2021: discounted
    1 and 0.5 * 2 = 1, so equal shares (undiscounted they would be 1/3 and 2/3). u = 50 (max):
    A and B pay 25 each; objective (1 + 1 - 1) * 50 = 50."""
    data = scenario_data(years=2, discount_rate=1.0, cost_sharing={"rule": "benefit_share"},
                         partners=[partner("A", [100, 0]), partner("B", [100, 0])],
                         interventions=[iv("X", unit_cost=[1, 0], max_units=50,
                                           benefits={"A": [1, 0], "B": [0, 2]})])
    assert_plan(solve(scenario_from_data(data)), 50, {"X": 50},
                {("A", "X", 2020): 25, ("B", "X", 2020): 25})


def test_fixed_shares() -> None:
    """fixed {X: A 0.2, B 0.8}; A has 100, B 40; X costs 1, gives A 2: B's 0.8 u <= 40 ->
    u = 50, objective 50; A pays 10, B 40."""
    data = scenario_data(cost_sharing={"rule": "fixed", "shares": {"X": {"A": 0.2, "B": 0.8}}},
                         partners=[partner("A", 100), partner("B", 40)],
                         interventions=[iv("X", unit_cost=1, benefits={"A": 2},
                                           max_units=1000)])
    assert_plan(solve(scenario_from_data(data)), 50, {"X": 50},
                {("A", "X", 2020): 10, ("B", "X", 2020): 40})


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
def test_optimise_picks_the_fairest_of_equally_good_plans(order: tuple[str, str]) -> None:
    """A (gives council 20 a unit) and B (gives police 20) each cost 10 a unit, at most 10
    units each; a spend cap of 100 allows 10 units in all, so every split A + B = 10 is optimal
    (objective 10 * 10 = 100). Council nets 20A - pc, police 20B - pp, pc + pp = 100: the two
    sum to 100, so the fairest plan has both at 50 (e.g. A = B = 5, each paying its own 50).
    Funding A alone would leave police at 0 at best; that must not depend on which
    intervention is listed first."""
    ivs = {"A": iv("A", unit_cost=10, benefits={"council": 20}, max_units=10),
           "B": iv("B", unit_cost=10, benefits={"police": 20}, max_units=10)}
    data = scenario_data(partners=[partner("council", 1e6), partner("police", 1e6)],
                         interventions=[ivs[k] for k in order],
                         red_lines=[{"id": "cap", "rule": "spend_cap", "amount": 100}])
    result = solve(scenario_from_data(data), check_binding=False)
    assert result.objective == pytest.approx(100)
    units = units_of(result)
    assert units["A"] + units["B"] == pytest.approx(10)
    assert {p.id: p.net_cashable_savings_npv for p in result.partners} == \
        pytest.approx({"council": 50, "police": 50})
    assert all(r.selected == (r.units > 0) for r in result.interventions)
    assert_reconciles(result)
