"""The core model (SPEC 3.1-3.2) on tiny scenarios whose optima are derived by hand: unit
limits, integer units, costs met with fixed and yearly costs, budgets (yearly, carry_over,
reinvested savings), requires and excludes, and the benefit adjustments.

Every scenario starts in 2020 with discount rate 0 and objective net_fiscal_value unless a
case says otherwise; benefits are fully cashable unless `cashable` is given. Each case's
docstring is its arithmetic. Where a case has one partner, who pays is determined by the
plan; with two, the max-min fairness stage of SPEC 3.4 decides it (worked in the docstring).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pbo import solve
from pbo.models.io.loading import load_scenario, read_data, scenario_from_data
from tests.conftest import (
    SCENARIOS,
    Data,
    Funding,
    assert_plan,
    assert_reconciles,
    iv,
    partner,
    scenario_data,
)


@dataclass(frozen=True)
class Case:
    data: Data
    objective: float
    units: dict[str, float]
    funding: Funding


def one_partner(budget, *interventions: Data, years: int = 1, **partner_fields) -> Data:
    return scenario_data(years=years, partners=[partner("A", budget, **partner_fields)],
                         interventions=list(interventions))


# --------------------------------------------------------------------------- unit limits
def max_units_caps_a_good_intervention() -> Case:
    """A has 1000; X costs 1, gives A 3 (net 2), max 40: u = 40, objective 2 * 40 = 80."""
    return Case(one_partner(1000, iv("X", unit_cost=1, benefits={"A": 3}, max_units=40)),
                80, {"X": 40}, {("A", "X", 2020): 40})


def min_units_keeps_out_what_the_budget_cannot_reach() -> Case:
    """A has 30. X (cost 1, gives 2: net 1) needs at least 50 units = 50 > 30, so X is out
    although it is the better buy; Y (cost 1, gives 1.5: net 0.5) takes the 30:
    objective 0.5 * 30 = 15."""
    return Case(one_partner(30, iv("X", unit_cost=1, benefits={"A": 2}, min_units=50,
                                   max_units=100),
                            iv("Y", unit_cost=1, benefits={"A": 1.5}, max_units=100)),
                15, {"X": 0, "Y": 30}, {("A", "Y", 2020): 30})


def _whole_and_part(integer: bool) -> Data:
    return one_partner(10, iv("X", unit_cost=3, benefits={"A": 5}, max_units=100,
                              integer_units=integer),
                       iv("Y", unit_cost=1, benefits={"A": 1.2}, max_units=100))


def integer_units_are_whole() -> Case:
    """A has 10; X costs 3 per whole unit, gives 5 (net 2); Y costs 1, gives 1.2 (net 0.2).
    X = 3 (cost 9) leaves 1 for Y: 3 * 2 + 1 * 0.2 = 6.2; X = 2 leaves 4: 4 + 0.8 = 4.8.
    Optimum X 3, Y 1, objective 6.2."""
    return Case(_whole_and_part(True), 6.2, {"X": 3, "Y": 1},
                {("A", "X", 2020): 9, ("A", "Y", 2020): 1})


def fractional_units_without_integer_units() -> Case:
    """The same without integer_units: X = 10/3 takes all of A's 10 (X earns 2/3 per £,
    Y 0.2): objective 20/3."""
    return Case(_whole_and_part(False), 20 / 3, {"X": 10 / 3, "Y": 0}, {("A", "X", 2020): 10})


# --------------------------------------------------------------------------- cost is met
def _fixed_cost(fixed: float) -> Data:
    return one_partner([100, 0], iv("X", fixed_cost={2020: fixed}, unit_cost=[1, 0],
                                    benefits={"A": [0, 1.5]}, max_units=200), years=2)


def fixed_cost_worth_paying() -> Case:
    """2020-21. A has 100 in 2020. X has a 2020 fixed cost of 30 and costs 1 per unit in 2020,
    giving A 1.5 per unit in 2021 (net 0.5). 30 + u <= 100 -> u = 70:
    objective 0.5 * 70 - 30 = 5 > 0, so X is selected and A pays 100 in 2020."""
    return Case(_fixed_cost(30), 5, {"X": 70}, {("A", "X", 2020): 100})


def fixed_cost_not_worth_paying() -> Case:
    """Fixed cost 40: u <= 60 -> 0.5 * 60 - 40 = -10 < 0, so nothing is selected: 0."""
    return Case(_fixed_cost(40), 0, {"X": 0}, {})


def each_years_cost_within_that_years_budget() -> Case:
    """A has 100 in 2020 but 20 in 2021; X costs 1 per unit each year and gives A 1 then 2
    (net 3 - 2 = 1 per unit). 2021 limits u to 20: objective 20; A pays 20 each year."""
    return Case(one_partner([100, 20], iv("X", unit_cost=[1, 1], benefits={"A": [1, 2]},
                                          max_units=1000), years=2),
                20, {"X": 20}, {("A", "X", 2020): 20, ("A", "X", 2021): 20})


# --------------------------------------------------------------------------- budgets
def _late_cost(carry_over: bool) -> Data:
    return one_partner([100, 0], iv("X", unit_cost=[0, 1], benefits={"A": [0, 2]},
                                    max_units=1000), years=2, carry_over=carry_over)


def no_carry_over_loses_unspent_money() -> Case:
    """A has 100 in 2020 and nothing in 2021; X costs 1 per unit in 2021 only (gives 2).
    Without carry_over 2021's budget is 0: nothing is funded, objective 0."""
    return Case(_late_cost(False), 0, {"X": 0}, {})


def carry_over_spends_it_later() -> Case:
    """With carry_over the running total holds: 2021's spend u <= 100 + 0 -> u = 100,
    objective 2 * 100 - 100 = 100, A pays 100 in 2021."""
    return Case(_late_cost(True), 100, {"X": 100}, {("A", "X", 2021): 100})


def _reinvest(share: float, cashable: float = 1.0) -> Data:
    return one_partner([20, 4], iv("X", unit_cost=[1, 1], benefits={"A": [2, 1]},
                                   cashable=cashable, max_units=1000),
                       years=2, reinvest_savings=share)


def without_reinvestment() -> Case:
    """A has 20 then 4; X costs 1 a year, gives 2 then 1 (net 1 per unit). 2021 limits u to 4:
    objective 4."""
    return Case(_reinvest(0.0), 4, {"X": 4}, {("A", "X", 2020): 4, ("A", "X", 2021): 4})


def reinvested_savings_raise_next_years_budget() -> Case:
    """reinvest_savings 0.25: 2021's budget is 4 + 0.25 * (2020 cashable saving 2u):
    u <= 4 + 0.5 u -> u = 8 (2020: 8 <= 20). Objective (3 - 2) * 8 = 8; A pays 8 a year."""
    return Case(_reinvest(0.25), 8, {"X": 8}, {("A", "X", 2020): 8, ("A", "X", 2021): 8})


def only_cashable_savings_are_reinvested() -> Case:
    """As above with cashable 0.5: 2020's cashable saving is 1 * u, so u <= 4 + 0.25 u ->
    u = 16/3. Objective (fiscal, all of it) (3 - 2) * 16/3 = 16/3."""
    u = 16 / 3
    return Case(_reinvest(0.25, cashable=0.5), u, {"X": u},
                {("A", "X", 2020): u, ("A", "X", 2021): u})


def nothing_is_reinvested_in_the_first_year() -> Case:
    """reinvest_savings 0.5; A has 10 then 100; X costs 1 in 2020 and gives A 4 in 2021.
    2020's budget stays 10 (no earlier year's savings; the 2021 saving has no later year to
    go to): u = 10, objective 4 * 10 - 10 = 30."""
    return Case(one_partner([10, 100], iv("X", unit_cost=[1, 0], benefits={"A": [0, 4]},
                                          max_units=1000), years=2, reinvest_savings=0.5),
                30, {"X": 10}, {("A", "X", 2020): 10})


def reinvestment_with_carry_over_counts_each_saving_once() -> Case:
    """2020-22, carry_over, reinvest 0.25. A has 20, 4, 0; X costs 1 a year and gives 2, 2, 0
    (net 1 per unit). Running totals: 2020 u <= 20; 2021 2u <= 24 + 0.25 * 2u -> u <= 16;
    2022 3u <= 24 + 0.25 * (2u + 2u) -> u <= 12. Optimum u = 12, objective 12; A pays 12 a
    year. (Counting 2020's saving again in 2022 would allow 3u <= 24 + 1.5u -> u = 16.)"""
    return Case(one_partner([20, 4, 0], iv("X", unit_cost=1, benefits={"A": [2, 2, 0]},
                                           max_units=1000),
                            years=3, carry_over=True, reinvest_savings=0.25),
                12, {"X": 12}, {("A", "X", 2020): 12, ("A", "X", 2021): 12,
                                ("A", "X", 2022): 12})


# --------------------------------------------------------------------------- links
def requires_brings_its_prerequisite() -> Case:
    """A has 100. X (cost 1, gives 3: net 2, max 50) requires Y (cost 1, gives 0.5: net -0.5,
    at least 60 units). With Y at its least, 60, X gets the other 40:
    2 * 40 - 0.5 * 60 = 50 > 0 (no plan: 0). Without the link X = 50 alone would give 100."""
    return Case(one_partner(100, iv("X", unit_cost=1, benefits={"A": 3}, max_units=50,
                                    requires=["Y"]),
                            iv("Y", unit_cost=1, benefits={"A": 0.5}, min_units=60,
                               max_units=100)),
                50, {"X": 40, "Y": 60}, {("A", "X", 2020): 40, ("A", "Y", 2020): 60})


def excludes_keeps_the_better_of_two() -> Case:
    """A has 100. X (cost 1, gives 3, max 60) excludes Y (cost 1, gives 2.5, max 100).
    X alone: 60 * 2 = 120; Y alone: 100 * 1.5 = 150 -> Y. (Both: 60 * 2 + 40 * 1.5 = 180.)"""
    return Case(one_partner(100, iv("X", unit_cost=1, benefits={"A": 3}, max_units=60,
                                    excludes=["Y"]),
                            iv("Y", unit_cost=1, benefits={"A": 2.5}, max_units=100)),
                150, {"X": 0, "Y": 100}, {("A", "Y", 2020): 100})


# --------------------------------------------------------------------------- benefits
def benefit_adjustments_multiply() -> Case:
    """X gives A 10 per unit before adjustment: 10 * (1 - 0.25 optimism bias) * (1 - 0.2
    deadweight) * 0.5 attribution = 3; costs 1; max 10. Objective (3 - 1) * 10 = 20."""
    return Case(one_partner(100, iv("X", unit_cost=1, benefits={"A": 10}, optimism_bias=0.25,
                                    deadweight=0.2, attribution=0.5, max_units=10)),
                20, {"X": 10}, {("A", "X", 2020): 10})


def cashable_share_by_partner() -> Case:
    """Objective net_cashable_savings. X costs 1, gives A 2 (cashable 0.75) and B 2 (cashable
    0.5): 1.5 + 1 - 1 = 1.5 per unit, max 10: objective 15. Who pays (max-min fairness):
    A saves 15 - pA, B 10 - pB, pA + pB = 10 -> equal at pA = 7.5, pB = 2.5 (both 7.5)."""
    data = scenario_data(objective="net_cashable_savings",
                         partners=[partner("A", 100), partner("B", 100)],
                         interventions=[iv("X", unit_cost=1, benefits={"A": 2, "B": 2},
                                           cashable={"A": 0.75, "B": 0.5}, max_units=10)])
    return Case(data, 15, {"X": 10}, {("A", "X", 2020): 7.5, ("B", "X", 2020): 2.5})


CASES: list[Callable[[], Case]] = [
    max_units_caps_a_good_intervention,
    min_units_keeps_out_what_the_budget_cannot_reach,
    integer_units_are_whole,
    fractional_units_without_integer_units,
    fixed_cost_worth_paying,
    fixed_cost_not_worth_paying,
    each_years_cost_within_that_years_budget,
    no_carry_over_loses_unspent_money,
    carry_over_spends_it_later,
    without_reinvestment,
    reinvested_savings_raise_next_years_budget,
    only_cashable_savings_are_reinvested,
    nothing_is_reinvested_in_the_first_year,
    reinvestment_with_carry_over_counts_each_saving_once,
    requires_brings_its_prerequisite,
    excludes_keeps_the_better_of_two,
    benefit_adjustments_multiply,
    cashable_share_by_partner,
]


@pytest.mark.parametrize("build", CASES, ids=lambda f: f.__name__)
def test_core_model(build: Callable[[], Case]) -> None:
    case = build()
    result = solve(scenario_from_data(case.data))
    assert_plan(result, case.objective, case.units, case.funding)


def test_adjusted_benefit_is_reported_per_intervention_and_partner() -> None:
    """benefit_adjustments_multiply: benefit NPV 3 * 10 = 30, cost NPV 10, both to A."""
    result = solve(scenario_from_data(benefit_adjustments_multiply().data))
    (x,) = result.interventions
    assert (x.benefit_npv, x.cost_npv, x.cashable_benefit_npv) == pytest.approx((30, 10, 30))
    (a,) = result.partners
    assert (a.gross_benefit_npv, a.contribution_npv, a.net_cashable_savings_npv) == \
        pytest.approx((30, 10, 20))


def test_cashable_benefit_by_partner_is_reported() -> None:
    """cashable_share_by_partner: A cashes 0.75 * 2 * 10 = 15, B 0.5 * 2 * 10 = 10; gross 20
    each; both net 7.5 after paying 7.5 and 2.5."""
    result = solve(scenario_from_data(cashable_share_by_partner().data))
    got = {p.id: (p.gross_benefit_npv, p.cashable_benefit_npv, p.net_cashable_savings_npv)
           for p in result.partners}
    assert got == {"A": pytest.approx((20, 15, 7.5)), "B": pytest.approx((20, 10, 7.5))}


def test_the_same_scenario_gives_the_same_plan() -> None:
    """Deterministic: two solves of the realistic example agree on every figure (only the
    manifest's timings and timestamp differ)."""
    scenario = load_scenario(SCENARIOS / "whole_place_example.yaml")
    first, second = (solve(scenario, check_binding=False).model_dump(exclude={"meta"})
                     for _ in range(2))
    assert first == second


def _bundled() -> list[tuple[str, tuple[str, ...]]]:
    """Every bundled example, plain and under each of its named scenarios."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        out.append((path.name, ()))
        out.extend((path.name, (name,)) for name in read_data(path).get("scenarios") or {})
    return out


@pytest.mark.parametrize(("file", "names"), _bundled(),
                         ids=lambda v: v if isinstance(v, str) else ",".join(v) or "base")
def test_every_bundled_example_reconciles(file: str, names: tuple[str, ...]) -> None:
    """Solved as shipped and under each named scenario, the figures add up: funding rows sum
    to each intervention's yearly cost, partner totals to partnership totals, NPVs to the
    yearly figures."""
    result = solve(load_scenario(SCENARIOS / file, scenarios=names), check_binding=False)
    assert result.status in ("optimal", "infeasible")
    if result.status == "optimal":
        assert result.funding
        assert_reconciles(result)


def test_measures_evaluate_gives_pyomos_own_value_bit_for_bit() -> None:
    """The result and its reconciliation read the objective and each target's measure with
    measures.evaluate instead of pyo.value: on the whole-place example, every variable at a
    seeded value, the objective, every target row and every constraint body come out as
    the same float; with a variable unset it says None, as pyo.value(exception=False)."""
    import random

    import pyomo.core as pyo

    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.formulation.measures import evaluate, objective_value
    from tests.conftest import SCENARIOS

    built = build_model(load_scenario(SCENARIOS / "whole_place_example.yaml"))
    m, rng = built.m, random.Random(7)
    variables = list(m.component_data_objects(pyo.Var))
    for var in variables:
        var.set_value(rng.uniform(0, 10), skip_validation=True)
    bodies = [c.body for c in m.component_data_objects(pyo.Constraint)]
    assert len(bodies) > 50
    assert objective_value(built) == float(pyo.value(m.objective))
    for body in bodies:
        assert evaluate(body) == pyo.value(body)
    import numpy as np

    for constant in (2.5, 3, np.float64(1.5), True):
        assert evaluate(constant) == pyo.value(constant)
    used = next(iter(m.objective.expr.args[0].args)).args[1]
    used.set_value(None, skip_validation=True)
    assert evaluate(m.objective.expr) is None
    assert pyo.value(m.objective.expr, exception=False) is None
