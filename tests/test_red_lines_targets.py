"""Red lines and targets (SPEC 3.2) on tiny scenarios whose optima are derived by hand.

Every scenario starts in 2020. Unless a case says otherwise the discount rate is 0, each
partner is a plain budget, and benefits are fully cashable. Each case states its arithmetic:
the optimum with the policy, the optimum without it, and who pays. Funding is asserted only
where it is determined (by budgets, red lines, or the max-min fairness stage of SPEC 3.4,
which makes the beneficiaries pay as little as the objective allows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

import pytest

from pbo import solve
from pbo.models.io.loading import scenario_from_data
from pbo.models.scenario import RED_LINE_RULES, Measure
from tests.conftest import (
    Data,
    Funding,
    assert_plan,
    iv,
    partner,
    scenario_data,
)


# --------------------------------------------------------------------------- red lines
@dataclass(frozen=True)
class RedLineCase:
    """One scenario with one red line (id 'rl'): the plan with it, and the optimum without."""

    data: Data
    objective: float
    units: dict[str, float]
    funding: Funding
    binding: bool
    relaxed: float
    """The hand-computed optimum with the red line removed."""

    @property
    def red_line(self) -> Data:
        return self.data["red_lines"][0]


def rl(rule: str, **fields: Any) -> list[Data]:
    return [{"id": "rl", "rule": rule, **fields}]


def _one_funder_short(red_line: list[Data], max_units: float) -> Data:
    """A and B have 100 each; X costs 1 and gives A 2 per unit (net 1)."""
    return scenario_data(partners=[partner("A", 100), partner("B", 100)],
                         interventions=[iv("X", unit_cost=1, benefits={"A": 2},
                                           max_units=max_units)],
                         red_lines=red_line)


def no_pooling_binds() -> RedLineCase:
    """Without it: u = 150 (max_units; cost 150 <= 100 + 100), objective 2*150 - 150 = 150.
    No pooling for B: only A's 100 -> u = 100, objective 100 (50 lost); A pays 100."""
    return RedLineCase(_one_funder_short(rl("no_pooling", partner="B"), 150), 100,
                       {"X": 100}, {("A", "X", 2020): 100}, True, 150)


def no_pooling_slack() -> RedLineCase:
    """max_units 80: u = 80 fits in A's 100 alone; objective 80 either way; A pays 80."""
    return RedLineCase(_one_funder_short(rl("no_pooling", partner="B"), 80), 80,
                       {"X": 80}, {("A", "X", 2020): 80}, False, 80)


def _two_years(red_line: list[Data], max_units: float) -> Data:
    """2020-21, A and B 50 a year; X costs 1 a year per unit, gives A 1.5 a year (net 1)."""
    return scenario_data(years=2, partners=[partner("A", 50), partner("B", 50)],
                         interventions=[iv("X", unit_cost=1, benefits={"A": 1.5},
                                           max_units=max_units)],
                         red_lines=red_line)


def no_pooling_from_year_binds() -> RedLineCase:
    """Without it: u <= 50 + 50 each year -> u = 100, objective 2*1.5*100 - 2*100 = 100.
    B not pooled from 2021: in 2021 only A's 50 -> u = 50, objective 50 (50 lost).
    B still pays in 2020: fairness has A (the beneficiary) pay least, so B pays 2020's 50 and
    A pays 2021's 50."""
    return RedLineCase(_two_years(rl("no_pooling", partner="B", from_year=2021), 1000), 50,
                       {"X": 50}, {("B", "X", 2020): 50, ("A", "X", 2021): 50}, True, 100)


def no_pooling_from_year_slack() -> RedLineCase:
    """max_units 50: u = 50 either way (objective 50); B pays 2020, A must pay 2021."""
    return RedLineCase(_two_years(rl("no_pooling", partner="B", from_year=2021), 50), 50,
                       {"X": 50}, {("B", "X", 2020): 50, ("A", "X", 2021): 50}, False, 50)


def funding_window_first_year_binds() -> RedLineCase:
    """B may pay only from 2021: 2020 has A's 50 alone -> u = 50, objective 50 (100 without,
    as in no_pooling_from_year_binds). B pays 2021's 50 (fairness spares A), A pays 2020's."""
    return RedLineCase(_two_years(rl("funding_window", partner="B", first_year=2021), 1000),
                       50, {"X": 50}, {("A", "X", 2020): 50, ("B", "X", 2021): 50}, True, 100)


def funding_window_last_year_binds() -> RedLineCase:
    """B may pay only up to 2020: 2021 has A's 50 alone -> u = 50, objective 50 (100 without).
    B pays 2020's 50, A pays 2021's 50."""
    return RedLineCase(_two_years(rl("funding_window", partner="B", last_year=2020), 1000),
                       50, {"X": 50}, {("B", "X", 2020): 50, ("A", "X", 2021): 50}, True, 100)


def funding_window_slack() -> RedLineCase:
    """Window 2021..2021 with max_units 50: A pays 2020's 50, B 2021's 50; objective 50 as
    without the window."""
    return RedLineCase(_two_years(rl("funding_window", partner="B", first_year=2021,
                                     last_year=2021), 50),
                       50, {"X": 50}, {("A", "X", 2020): 50, ("B", "X", 2021): 50}, False, 50)


def _themes(red_line: list[Data], a: float, b: float) -> Data:
    """X (health) costs 1, gives A 2 (net 1); Y (crime) costs 1, gives A 3 (net 2); each at
    most 100 units. Without a red line, budgets a + b = 200 buy both: objective 100 + 200 = 300.
    """
    return scenario_data(
        partners=[partner("A", a), partner("B", b)],
        interventions=[iv("X", theme="health", unit_cost=1, benefits={"A": 2}, max_units=100),
                       iv("Y", theme="crime", unit_cost=1, benefits={"A": 3}, max_units=100)],
        red_lines=red_line)


def ring_fence_binds() -> RedLineCase:
    """A 50, B 150; B ring-fenced to health: B pays X (100 units), Y gets only A's 50.
    Objective 100*1 + 50*2 = 200 (300 without: 100 lost); B's other 50 idle."""
    return RedLineCase(_themes(rl("ring_fence", partner="B", themes=["health"]), 50, 150),
                       200, {"X": 100, "Y": 50}, {("B", "X", 2020): 100, ("A", "Y", 2020): 50},
                       True, 300)


def ring_fence_slack() -> RedLineCase:
    """A 100, B 100; B pays X's 100, A pays Y's 100: objective 300, as without it."""
    return RedLineCase(_themes(rl("ring_fence", partner="B", themes=["health"]), 100, 100),
                       300, {"X": 100, "Y": 100},
                       {("B", "X", 2020): 100, ("A", "Y", 2020): 100}, False, 300)


def no_funding_binds() -> RedLineCase:
    """A 50, B 150; B may not fund X: B pays Y (100 units), X gets only A's 50.
    Objective 50*1 + 100*2 = 250 (300 without: 50 lost)."""
    return RedLineCase(_themes(rl("no_funding", partner="B", interventions=["X"]), 50, 150),
                       250, {"X": 50, "Y": 100}, {("A", "X", 2020): 50, ("B", "Y", 2020): 100},
                       True, 300)


def no_funding_slack() -> RedLineCase:
    """A 150, B 50; B may not fund X: A pays X's 100 and 50 of Y, B the other 50 of Y.
    Objective 300, as without it."""
    return RedLineCase(_themes(rl("no_funding", partner="B", interventions=["X"]), 150, 50),
                       300, {"X": 100, "Y": 100},
                       {("A", "X", 2020): 100, ("A", "Y", 2020): 50, ("B", "Y", 2020): 50},
                       False, 300)


def max_share_binds() -> RedLineCase:
    """B may pool at most 0.5 * 100 = 50: u = 100 + 50 = 150, objective 150 (200 without)."""
    return RedLineCase(_one_funder_short(rl("max_share", partner="B", share=0.5), 1000), 150,
                       {"X": 150}, {("A", "X", 2020): 100, ("B", "X", 2020): 50}, True, 200)


def max_share_slack() -> RedLineCase:
    """max_units 150: u = 150, objective 150 either way. Fairness spares A, so B pays its most
    (0.5 * 100 = 50) and A the other 100."""
    return RedLineCase(_one_funder_short(rl("max_share", partner="B", share=0.5), 150), 150,
                       {"X": 150}, {("A", "X", 2020): 100, ("B", "X", 2020): 50}, False, 150)


def _late_savings(red_line: list[Data], a_benefit: list[float], b_benefit: list[float]
                  ) -> Data:
    """2020-21; A and B have 100 in 2020 only; X costs 1 per unit in 2020 and returns benefits
    a_benefit to A, b_benefit to B (summing to 2: net 1 per unit). Without a red line u = 200
    (both budgets), objective 200, A and B pay 100 each."""
    return scenario_data(years=2, partners=[partner("A", [100, 0]), partner("B", [100, 0])],
                         interventions=[iv("X", unit_cost=[1, 0], max_units=1000,
                                           benefits={"A": a_benefit, "B": b_benefit})],
                         red_lines=red_line)


def no_worse_off_horizon_binds() -> RedLineCase:
    """B gets 0.25 per unit in 2021. B no worse off over the horizon: pay_B <= 0.25 u, so
    u <= 100 + 0.25 u -> u = 400/3 = 133.33, objective 133.33 (200 without); B pays 33.33."""
    u = 400 / 3
    return RedLineCase(_late_savings(rl("no_worse_off", partner="B"), [0, 1.75], [0, 0.25]),
                       u, {"X": u}, {("A", "X", 2020): 100, ("B", "X", 2020): u - 100}, True,
                       200)


def no_worse_off_horizon_discounted_binds() -> RedLineCase:
    """Discount rate 1 (d = 1, 0.5); A gets 3.5 and B 0.5 per unit in 2021: net value
    0.5 * 4 - 1 = 1 per unit, so u = 200, objective 200 without the red line. B's 2021 saving
    counts 0.5 * 0.5 = 0.25 per unit, so pay_B <= 0.25 u -> u = 400/3, objective 133.33, B pays
    33.33 (undiscounted, 0.5 * 200 = 100 would have covered B's 100)."""
    data = {**_late_savings(rl("no_worse_off", partner="B"), [0, 3.5], [0, 0.5]),
            "discount_rate": 1.0}
    u = 400 / 3
    return RedLineCase(data, u, {"X": u}, {("A", "X", 2020): 100, ("B", "X", 2020): u - 100},
                       True, 200)


def no_worse_off_horizon_slack() -> RedLineCase:
    """B gets 0.5 per unit in 2021: at u = 200 B pays 100 <= 0.5 * 200 = 100. Objective 200."""
    return RedLineCase(_late_savings(rl("no_worse_off", partner="B"), [0, 1.5], [0, 0.5]),
                       200, {"X": 200}, {("A", "X", 2020): 100, ("B", "X", 2020): 100}, False,
                       200)


def no_worse_off_each_year_binds() -> RedLineCase:
    """Same data as no_worse_off_horizon_slack, but each year: in 2020 B saves nothing, so it
    pays nothing -> u = 100 (A's budget), objective 100 (200 without)."""
    return RedLineCase(_late_savings(rl("no_worse_off", partner="B", period="each_year"),
                                     [0, 1.5], [0, 0.5]),
                       100, {"X": 100}, {("A", "X", 2020): 100}, True, 200)


def no_worse_off_each_year_slack() -> RedLineCase:
    """Savings in the year of cost (A 1.5, B 0.5 in 2020): at u = 200 B pays 100 and saves
    0.5 * 200 = 100 in 2020 (0 >= 0 in 2021). Objective 200."""
    return RedLineCase(_late_savings(rl("no_worse_off", partner="B", period="each_year"),
                                     [1.5, 0], [0.5, 0]),
                       200, {"X": 200}, {("A", "X", 2020): 100, ("B", "X", 2020): 100}, False,
                       200)


def exclude_intervention_binds() -> RedLineCase:
    """A has 100. X costs 1, gives 3 (net 2), at most 60; Y costs 1, gives 2 (net 1).
    Without: X 60, Y 40 -> 120 + 40 = 160. Excluding X: Y = 100 -> 100."""
    return RedLineCase(scenario_data(
        partners=[partner("A", 100)],
        interventions=[iv("X", unit_cost=1, benefits={"A": 3}, max_units=60),
                       iv("Y", unit_cost=1, benefits={"A": 2}, max_units=100)],
        red_lines=rl("exclude_intervention", intervention="X")),
        100, {"X": 0, "Y": 100}, {("A", "Y", 2020): 100}, True, 160)


def exclude_intervention_slack() -> RedLineCase:
    """Y costs 2 and gives 1 (net -1): never chosen anyway. X = 60, objective 120."""
    return RedLineCase(scenario_data(
        partners=[partner("A", 100)],
        interventions=[iv("X", unit_cost=1, benefits={"A": 3}, max_units=60),
                       iv("Y", unit_cost=2, benefits={"A": 1}, max_units=100)],
        red_lines=rl("exclude_intervention", intervention="Y")),
        120, {"X": 60, "Y": 0}, {("A", "X", 2020): 60}, False, 120)


def _must(red_line: list[Data]) -> Data:
    """A has 100. X costs 1, gives 3 (net 2), at most 100. Y: fixed cost 10, unit cost 1,
    gives 1.5 (net 0.5), 20..100 units. Without a red line: X = 100, objective 200 (Y's
    0.5/unit cannot repay its fixed cost out of X's 2/unit)."""
    return scenario_data(
        partners=[partner("A", 100)],
        interventions=[iv("X", unit_cost=1, benefits={"A": 3}, max_units=100),
                       iv("Y", fixed_cost=10, unit_cost=1, benefits={"A": 1.5}, min_units=20,
                          max_units=100)],
        red_lines=red_line)


def must_fund_binds() -> RedLineCase:
    """Must fund Y at its own min_units 20: Y costs 10 + 20 = 30 and returns 30 (net 0);
    X = 70 -> objective 140 (60 lost)."""
    return RedLineCase(_must(rl("must_fund", intervention="Y")), 140, {"X": 70, "Y": 20},
                       {("A", "X", 2020): 70, ("A", "Y", 2020): 30}, True, 200)


def must_fund_min_units_binds() -> RedLineCase:
    """Must fund Y with at least 40 units: Y costs 10 + 40 = 50 and returns 60 (net 10);
    X = 50 -> objective 100 + 10 = 110 (90 lost)."""
    return RedLineCase(_must(rl("must_fund", intervention="Y", min_units=40)), 110,
                       {"X": 50, "Y": 40}, {("A", "X", 2020): 50, ("A", "Y", 2020): 50}, True,
                       200)


def must_fund_slack() -> RedLineCase:
    """Must fund X: chosen anyway, X = 100, objective 200."""
    return RedLineCase(_must(rl("must_fund", intervention="X")), 200, {"X": 100, "Y": 0},
                       {("A", "X", 2020): 100}, False, 200)


def must_fund_min_units_slack() -> RedLineCase:
    """Must fund X with at least 50 units: X = 100 anyway, objective 200."""
    return RedLineCase(_must(rl("must_fund", intervention="X", min_units=50)), 200,
                       {"X": 100, "Y": 0}, {("A", "X", 2020): 100}, False, 200)


def _caps(red_line: list[Data], y_max: float = 100) -> Data:
    """2020-21, A has 100 a year. X costs 1 in 2020 and gives 2 in 2020 (net 1), at most 100;
    Y costs 1 in 2021 and gives 2 in 2021 (net 1), at most y_max."""
    return scenario_data(
        years=2, partners=[partner("A", 100)],
        interventions=[iv("X", unit_cost=[1, 0], benefits={"A": [2, 0]}, max_units=100),
                       iv("Y", unit_cost=[0, 1], benefits={"A": [0, 2]}, max_units=y_max)],
        red_lines=red_line)


def spend_cap_binds() -> RedLineCase:
    """Total cost at most 60 every year: X = 60, Y = 60, objective 120 (200 without)."""
    return RedLineCase(_caps(rl("spend_cap", amount=60)), 120, {"X": 60, "Y": 60},
                       {("A", "X", 2020): 60, ("A", "Y", 2021): 60}, True, 200)


def spend_cap_year_binds() -> RedLineCase:
    """Total cost at most 60 in 2021 only: X = 100, Y = 60, objective 160 (200 without)."""
    return RedLineCase(_caps(rl("spend_cap", amount=60, year=2021)), 160, {"X": 100, "Y": 60},
                       {("A", "X", 2020): 100, ("A", "Y", 2021): 60}, True, 200)


def spend_cap_slack() -> RedLineCase:
    """Cap 150 every year: spend is 100 a year anyway; objective 200."""
    return RedLineCase(_caps(rl("spend_cap", amount=150)), 200, {"X": 100, "Y": 100},
                       {("A", "X", 2020): 100, ("A", "Y", 2021): 100}, False, 200)


def spend_cap_year_slack() -> RedLineCase:
    """Cap 60 in 2021 only, Y at most 50: 2021 spend is 50; 2020's 100 is not capped (a cap
    every year would bind). Objective 100 + 50 = 150."""
    return RedLineCase(_caps(rl("spend_cap", amount=60, year=2021), y_max=50), 150,
                       {"X": 100, "Y": 50}, {("A", "X", 2020): 100, ("A", "Y", 2021): 50},
                       False, 150)


RED_LINE_CASES: dict[str, list[Callable[[], RedLineCase]]] = {
    "no_pooling": [no_pooling_binds, no_pooling_slack, no_pooling_from_year_binds,
                   no_pooling_from_year_slack],
    "funding_window": [funding_window_first_year_binds, funding_window_last_year_binds,
                       funding_window_slack],
    "ring_fence": [ring_fence_binds, ring_fence_slack],
    "no_funding": [no_funding_binds, no_funding_slack],
    "max_share": [max_share_binds, max_share_slack],
    "no_worse_off": [no_worse_off_horizon_binds, no_worse_off_horizon_discounted_binds,
                     no_worse_off_horizon_slack,
                     no_worse_off_each_year_binds, no_worse_off_each_year_slack],
    "exclude_intervention": [exclude_intervention_binds, exclude_intervention_slack],
    "must_fund": [must_fund_binds, must_fund_min_units_binds, must_fund_slack,
                  must_fund_min_units_slack],
    "spend_cap": [spend_cap_binds, spend_cap_year_binds, spend_cap_slack,
                  spend_cap_year_slack],
}
ALL_RED_LINE_CASES = [build for builds in RED_LINE_CASES.values() for build in builds]


@pytest.mark.parametrize("build", ALL_RED_LINE_CASES, ids=lambda b: b.__name__)
def test_red_line(build: Callable[[], RedLineCase]) -> None:
    """The plan with the red line, its binding flag, and the optimum without it (both from
    the result's relaxed_objective and from a solve with the red line deleted)."""
    case = build()
    assert case.red_line["rule"] in build.__name__
    result = solve(scenario_from_data(case.data))
    assert_plan(result, case.objective, case.units, case.funding)
    [row] = result.red_lines
    assert row.id == "rl"
    assert row.binding is case.binding
    assert row.relaxed_objective == pytest.approx(case.relaxed)
    free = solve(scenario_from_data({**case.data, "red_lines": []}))
    assert free.status == "optimal"
    assert free.objective == pytest.approx(case.relaxed)
    if case.binding:
        assert case.relaxed > case.objective + 1e-3
    else:
        assert case.relaxed == pytest.approx(case.objective)


def test_every_red_line_rule_has_binding_and_slack_cases() -> None:
    """Registry: each rule of RED_LINE_RULES has a case that binds and one that is slack,
    and the optional fields of SPEC 3.2 are each exercised with and without."""
    assert set(RED_LINE_CASES) == set(RED_LINE_RULES)
    for rule, builds in RED_LINE_CASES.items():
        cases = [b() for b in builds]
        assert all(c.red_line["rule"] == rule for c in cases), rule
        assert {c.binding for c in cases} == {True, False}, rule
    binding_lines = [c.red_line for b in ALL_RED_LINE_CASES if (c := b()).binding]
    variants = {(r["rule"], key) for r in binding_lines
                for key in ("from_year", "first_year", "last_year", "min_units", "year")
                if key in r}
    variants |= {(r["rule"], r.get("period", "horizon")) for r in binding_lines
                 if r["rule"] == "no_worse_off"}
    assert variants >= {("no_pooling", "from_year"), ("funding_window", "first_year"),
                        ("funding_window", "last_year"), ("must_fund", "min_units"),
                        ("spend_cap", "year"), ("no_worse_off", "horizon"),
                        ("no_worse_off", "each_year")}
    plain = {r["rule"] for r in binding_lines
             if not {"from_year", "min_units", "year"} & set(r)}
    assert {"no_pooling", "must_fund", "spend_cap"} <= plain


def test_binding_is_judged_one_red_line_at_a_time() -> None:
    """Two red lines that each shut B out (as in no_pooling_binds): together they cost 50
    (objective 100 instead of 150), but relaxing either alone leaves B shut out by the other,
    so neither is binding on its own and each relaxed objective is 100."""
    data = _one_funder_short(rl("no_pooling", partner="B")
                             + [{"id": "rl2", "rule": "no_funding", "partner": "B",
                                 "interventions": ["X"]}], 150)
    result = solve(scenario_from_data(data))
    assert_plan(result, 100, {"X": 100}, {("A", "X", 2020): 100})
    assert [(r.id, r.binding) for r in result.red_lines] == [("rl", False), ("rl2", False)]
    assert [r.relaxed_objective for r in result.red_lines] == pytest.approx([100, 100])
    free = solve(scenario_from_data({**data, "red_lines": []}))
    assert free.objective == pytest.approx(150)


@pytest.mark.parametrize(("least", "units", "binding"), [(40, 40, True), (10, 20, False)])
def test_binding_under_min_cost(least: float, units: float, binding: bool) -> None:
    """Objective min_cost on target_data (cost 1.5 per unit, discounted) with the partnership's
    discounted cashable benefit >= 70 (3.5 per unit): u = 20, cost 30 without red lines.
    must_fund X with min_units 40: u = 40, cost 60 -- binding, relaxing it saves 30.
    must_fund X with min_units 10: the target already needs 20; cost 30 -- slack."""
    data = target_data([t("cashable_benefit", min=70)], MIN_COST)
    data["red_lines"] = rl("must_fund", intervention="X", min_units=least)
    result = solve(scenario_from_data(data))
    assert_plan(result, 1.5 * units, {"X": units},
                {("A", "X", 2020): units, ("A", "X", 2021): units})
    [row] = result.red_lines
    assert row.binding is binding
    assert row.relaxed_objective == pytest.approx(30)


CONTRADICTIONS = {
    # Y must be funded and may not be: select[Y] >= 1 and select[Y] <= 0.
    "must_fund_and_exclude": rl("must_fund", intervention="Y")
    + [{"id": "rl2", "rule": "exclude_intervention", "intervention": "Y"}],
    # Y's fixed cost 500 > A's 100 + B's 100, the only money there is.
    "must_fund_beyond_budgets": rl("must_fund", intervention="Y"),
    # Y's fixed cost 500 > the cap of 5 on total spend.
    "must_fund_over_spend_cap": rl("must_fund", intervention="Y")
    + [{"id": "rl2", "rule": "spend_cap", "amount": 5}],
}


@pytest.mark.parametrize("name", sorted(CONTRADICTIONS))
def test_contradictory_red_lines_are_infeasible(name: str) -> None:
    """A and B have 100 each; X is a good buy (cost 1, benefit 2), Y has a fixed cost of 500.
    Without the red lines the plan is X = 100 + 100 = 200 units, objective 200; with
    statements that cannot all hold there is no plan at all."""
    data = scenario_data(partners=[partner("A", 100), partner("B", 100)],
                         interventions=[iv("X", unit_cost=1, benefits={"A": 2}, max_units=1000),
                                        iv("Y", fixed_cost=500, benefits={"A": 1000},
                                           max_units=1)],
                         red_lines=CONTRADICTIONS[name])
    free = solve(scenario_from_data({**data, "red_lines": []}))
    assert_plan(free, 200, {"X": 200, "Y": 0}, {("A", "X", 2020): 100, ("B", "X", 2020): 100})
    result = solve(scenario_from_data(data))
    assert result.status == "infeasible"
    assert result.objective is None
    assert result.interventions == []
    assert result.funding == []
    assert [r.binding for r in result.red_lines] == [None] * len(CONTRADICTIONS[name])


# --------------------------------------------------------------------------- targets
def target_data(targets: list[Data] | None = None, objective: str = "net_fiscal_value"
                ) -> Data:
    """2020-21 at discount rate 1 (d = 1, 0.5). Only A funds X (budget 1000, never binding);
    X costs 1 per unit each year, at most 100 units. Benefits per unit: A [2, 4] of which half
    cashable, B [1, 1] all cashable; 0.5 'jobs' per unit.

    Per-unit yearly values (2020, 2021), horizon discounted (v20 + 0.5 v21) and plain:

        measure               A: years  disc plain | B: years   | all: years  disc plain
        cashable_benefit      1, 2      2    3     | 1, 1       | 2, 3        3.5  5
        gross_fiscal_benefit  2, 4      4    6     | 1, 1       | 3, 5        5.5  8
        spend                 1, 1      1.5  2     | 0, 0       | 1, 1        1.5  2
        net_cashable_savings  0, 1      0.5  1     | 1, 1 (1.5) | 1, 2        2    3
        net_fiscal_value      1, 3      2.5  4     | 1, 1       | 2, 4        4    6

    Objective net_fiscal_value = 4 per unit -> u = 100, objective 400 with no target.
    Objective min_cost = 1.5 per unit -> u = 0, objective 0 with no target.
    """
    return scenario_data(
        years=2, discount_rate=1.0, objective=objective,
        partners=[partner("A", 1000), partner("B", 0)],
        interventions=[iv("X", unit_cost=1, max_units=100, funders=["A"],
                          benefits={"A": [2, 4], "B": 1}, cashable={"A": 0.5, "B": 1.0},
                          outcomes={"jobs": 0.5})],
        targets=targets)


NFV, MIN_COST = "net_fiscal_value", "min_cost"


@dataclass(frozen=True)
class TargetCase:
    why: str
    """The arithmetic, from the per-unit table of target_data."""
    target: Data
    objective_name: str
    units: float
    objective: float
    achieved: float
    year: int | None = None
    """For each_year targets: the year whose value is reported (the one at the bound)."""
    check_year: bool = field(default=True)


def t(measure: str, partner: str | None = None, **fields: Any) -> Data:
    out = {"id": "goal", "measure": measure, **fields}
    if partner is not None:
        out["partner"] = partner
    return out


TARGET_CASES = [
    # max targets bind under net_fiscal_value: u = max / rate, objective 4u (400 without).
    TargetCase("A cashable, horizon disc: 2u <= 100 -> u 50, obj 200",
               t("cashable_benefit", "A", max=100), NFV, 50, 200, 100),
    TargetCase("all cashable, horizon plain: 5u <= 250 -> u 50, obj 200",
               t("cashable_benefit", max=250, discounted=False), NFV, 50, 200, 250),
    TargetCase("A gross each year: 2u, 4u <= 200 -> 2021 binds, u 50, obj 200",
               t("gross_fiscal_benefit", "A", max=200, period="each_year"), NFV, 50, 200, 200,
               2021),
    TargetCase("all gross in 2020: 3u <= 150 -> u 50, obj 200",
               t("gross_fiscal_benefit", max=150, period=2020), NFV, 50, 200, 150),
    TargetCase("A spend, horizon disc: 1.5u <= 75 -> u 50, obj 200",
               t("spend", "A", max=75), NFV, 50, 200, 75),
    TargetCase("all spend (total cost) in 2021: u <= 60 -> u 60, obj 240",
               t("spend", max=60, period=2021), NFV, 60, 240, 60),
    TargetCase("A net cashable, horizon plain: 0u + 1u <= 40 -> u 40, obj 160",
               t("net_cashable_savings", "A", max=40, discounted=False), NFV, 40, 160, 40),
    TargetCase("B net cashable, horizon disc: 1.5u <= 90 -> u 60, obj 240",
               t("net_cashable_savings", "B", max=90), NFV, 60, 240, 90),
    TargetCase("all net cashable each year: u, 2u <= 100 -> 2021 binds, u 50, obj 200",
               t("net_cashable_savings", max=100, period="each_year"), NFV, 50, 200, 100,
               2021),
    TargetCase("A net fiscal in 2021: 3u <= 150 -> u 50, obj 200",
               t("net_fiscal_value", "A", max=150, period=2021), NFV, 50, 200, 150),
    TargetCase("all net fiscal, horizon disc (the objective itself): 4u <= 200 -> u 50",
               t("net_fiscal_value", max=200), NFV, 50, 200, 200),
    TargetCase("jobs: 0.5u <= 30 -> u 60, obj 240",
               t("outcome", outcome="jobs", max=30), NFV, 60, 240, 30),
    # min targets bind under min_cost: u = min / rate, cost 1.5u (0 without).
    TargetCase("A cashable each year: u, 2u >= 60 -> 2020 binds, u 60, cost 90",
               t("cashable_benefit", "A", min=60, period="each_year"), MIN_COST, 60, 90, 60,
               2020),
    TargetCase("all cashable, horizon disc: 3.5u >= 70 -> u 20, cost 30",
               t("cashable_benefit", min=70), MIN_COST, 20, 30, 70),
    TargetCase("A gross, horizon plain: 6u >= 120 -> u 20, cost 30",
               t("gross_fiscal_benefit", "A", min=120, discounted=False), MIN_COST, 20, 30,
               120),
    TargetCase("all gross in 2021: 5u >= 100 -> u 20, cost 30",
               t("gross_fiscal_benefit", min=100, period=2021), MIN_COST, 20, 30, 100),
    TargetCase("A spend in 2020: u >= 50 -> u 50, cost 75",
               t("spend", "A", min=50, period=2020), MIN_COST, 50, 75, 50),
    TargetCase("all spend, horizon disc: 1.5u >= 45 -> u 30, cost 45",
               t("spend", min=45), MIN_COST, 30, 45, 45),
    TargetCase("A net cashable in 2021: 2u - u >= 30 -> u 30, cost 45",
               t("net_cashable_savings", "A", min=30, period=2021), MIN_COST, 30, 45, 30),
    TargetCase("B net cashable each year: u, u >= 40 -> u 40, cost 60 (years tie)",
               t("net_cashable_savings", "B", min=40, period="each_year"), MIN_COST, 40, 60,
               40, check_year=False),
    TargetCase("all net cashable, horizon plain: 3u >= 90 -> u 30, cost 45",
               t("net_cashable_savings", min=90, discounted=False), MIN_COST, 30, 45, 90),
    TargetCase("A net fiscal, horizon disc: 2.5u >= 50 -> u 20, cost 30",
               t("net_fiscal_value", "A", min=50), MIN_COST, 20, 30, 50),
    TargetCase("all net fiscal each year: 2u, 4u >= 80 -> 2020 binds, u 40, cost 60",
               t("net_fiscal_value", min=80, period="each_year"), MIN_COST, 40, 60, 80, 2020),
    TargetCase("jobs: 0.5u >= 25 -> u 50, cost 75",
               t("outcome", outcome="jobs", min=25), MIN_COST, 50, 75, 25),
    # min and max together.
    TargetCase("all gross, horizon plain, 100 <= 8u <= 320: max binds, u 40, obj 160",
               t("gross_fiscal_benefit", min=100, max=320, discounted=False), NFV, 40, 160,
               320),
    TargetCase("A cashable each year, 60 <= u, 2u <= 1000: min binds in 2020, u 60, cost 90",
               t("cashable_benefit", "A", min=60, max=1000, period="each_year"), MIN_COST,
               60, 90, 60, 2020),
    # slack targets: met at the unconstrained optimum, which they leave unchanged.
    TargetCase("all net fiscal, horizon disc, 100 <= 4u <= 500: u 100, obj 400 (slack)",
               t("net_fiscal_value", min=100, max=500), NFV, 100, 400, 400),
    TargetCase("A cashable, horizon disc, 2u >= 150: u 100, achieved 200 (slack)",
               t("cashable_benefit", "A", min=150), NFV, 100, 400, 200),
    TargetCase("all net cashable, horizon disc, 2u <= 500: u 100, achieved 200 (slack)",
               t("net_cashable_savings", max=500), NFV, 100, 400, 200),
    TargetCase("A spend, horizon disc, 1.5u <= 1000 under min_cost: u 0 (slack)",
               t("spend", "A", max=1000), MIN_COST, 0, 0, 0),
]


def test_target_free_optima() -> None:
    """The optima every target case is compared with (see target_data): net_fiscal_value
    u = 100, objective 4*100 = 400, A pays 100 a year; min_cost u = 0, objective 0."""
    result = solve(scenario_from_data(target_data()))
    assert_plan(result, 400, {"X": 100}, {("A", "X", 2020): 100, ("A", "X", 2021): 100})
    result = solve(scenario_from_data(target_data(objective=MIN_COST)))
    assert_plan(result, 0, {"X": 0}, {})


@pytest.mark.parametrize("case", TARGET_CASES, ids=lambda c: c.why.split(":")[0])
def test_target(case: TargetCase) -> None:
    """Per-unit rates in target_data's docstring; each case's arithmetic in its `why`.
    The plan (units, A's funding of u a year), the objective and the target row."""
    result = solve(scenario_from_data(target_data([case.target], case.objective_name)))
    funding = ({("A", "X", 2020): case.units, ("A", "X", 2021): case.units}
               if case.units else {})
    assert_plan(result, case.objective, {"X": case.units}, funding)
    [row] = result.targets
    target = case.target
    assert row.id == "goal"
    assert row.partner == target.get("partner")
    assert row.measure == target["measure"]
    assert row.required == pytest.approx(target["min"] if "min" in target else target["max"])
    assert row.min == target.get("min")
    assert row.max == target.get("max")
    assert row.achieved == pytest.approx(case.achieved)
    assert row.met is True
    if target.get("period") == "each_year":
        if case.check_year:
            assert row.year == case.year
    else:
        assert row.year is None


UNREACHABLE = [
    # all cashable, horizon disc: at most 3.5 * 100 = 350 < 400.
    (t("cashable_benefit", min=400), NFV),
    # A's net cashable savings in 2020 are 1u - u = 0 whatever the plan.
    (t("net_cashable_savings", "A", min=1, period=2020), NFV),
    # spend is never negative.
    (t("spend", max=-1), MIN_COST),
    # jobs at most 0.5 * 100 = 50.
    (t("outcome", outcome="jobs", min=60), MIN_COST),
    # B funds nothing: its spend is 0 whatever the plan.
    (t("spend", "B", min=1, period=2021), MIN_COST),
    # each year: B's net cashable savings at most 100 a year.
    (t("net_cashable_savings", "B", min=101, period="each_year"), NFV),
]


@pytest.mark.parametrize(("target", "objective"), UNREACHABLE)
def test_unreachable_target_is_infeasible(target: Data, objective: str) -> None:
    """Targets beyond what target_data can reach (arithmetic by each case): no plan, the row
    keeps its required value and has no achieved value."""
    result = solve(scenario_from_data(target_data([target], objective)))
    assert result.status == "infeasible"
    assert result.objective is None
    assert result.interventions == []
    [row] = result.targets
    assert row.required == pytest.approx(target.get("min", target.get("max")))
    assert row.achieved is None
    assert row.met is None


def test_partner_savings_target_trades_value_for_cashable_savings() -> None:
    """One year, A has 100. X costs 1 and gives A 3, none of it cashable (net fiscal 2);
    Y costs 1 and gives A 1.5, all cashable (net fiscal 0.5).
    Without a target: X = 100, objective 200, A's net cashable savings -100.
    A's net cashable savings >= -30: 1.5y - x - y >= -30, i.e. x <= 0.5y + 30; with
    x + y = 100: y = 140/3 = 46.67, x = 160/3 = 53.33; objective 2x + 0.5y = 130 (70 lost)."""
    data = scenario_data(
        partners=[partner("A", 100)],
        interventions=[iv("X", unit_cost=1, benefits={"A": 3}, cashable=0, max_units=1000),
                       iv("Y", unit_cost=1, benefits={"A": 1.5}, max_units=1000)],
        targets=[t("net_cashable_savings", "A", min=-30)])
    free = solve(scenario_from_data({**data, "targets": []}))
    assert_plan(free, 200, {"X": 100, "Y": 0}, {("A", "X", 2020): 100})
    result = solve(scenario_from_data(data))
    x, y = 160 / 3, 140 / 3
    assert_plan(result, 130, {"X": x, "Y": y}, {("A", "X", 2020): x, ("A", "Y", 2020): y})
    [row] = result.targets
    assert (row.required, row.met) == (-30, True)
    assert row.achieved == pytest.approx(-30)


def test_partnership_spend_is_total_cost_across_payers() -> None:
    """One year; A has 30, B 100; X costs 1 and gives A 3 (net 2), at most 100 units.
    Without targets: X = 100, objective 200; fairness spares A (the only beneficiary), so
    B pays all 100. Partnership spend <= 80 and A's spend >= 20: X = 80, objective 160;
    A pays its least, 20, and B the other 60: partnership spend is 20 + 60 = 80, the total
    cost, not any one partner's payment."""
    data = scenario_data(
        partners=[partner("A", 30), partner("B", 100)],
        interventions=[iv("X", unit_cost=1, benefits={"A": 3}, max_units=100)],
        targets=[{**t("spend", max=80), "id": "all_spend"},
                 {**t("spend", "A", min=20), "id": "a_spend"}])
    free = solve(scenario_from_data({**data, "targets": []}))
    assert_plan(free, 200, {"X": 100}, {("B", "X", 2020): 100})
    result = solve(scenario_from_data(data))
    assert_plan(result, 160, {"X": 80}, {("A", "X", 2020): 20, ("B", "X", 2020): 60})
    rows = {r.id: r for r in result.targets}
    assert (rows["all_spend"].required, rows["all_spend"].met) == (80, True)
    assert rows["all_spend"].achieved == pytest.approx(80)
    assert (rows["a_spend"].required, rows["a_spend"].met) == (20, True)
    assert rows["a_spend"].achieved == pytest.approx(20)


def test_every_measure_period_and_bound_is_exercised() -> None:
    """Registry: each Measure literal has target cases, for a partner and for the partnership
    (outcomes have no partner), every period kind, and min, max and both."""
    measures = set(get_args(Measure))
    assert {c.target["measure"] for c in TARGET_CASES} == measures
    for measure in measures - {"outcome"}:
        owners = {c.target.get("partner") is None for c in TARGET_CASES
                  if c.target["measure"] == measure}
        assert owners == {True, False}, measure
    periods = set()
    for c in TARGET_CASES:
        period = c.target.get("period", "horizon")
        if period == "horizon":
            periods.add("discounted" if c.target.get("discounted", True) else "plain")
        else:
            periods.add("each_year" if period == "each_year" else "year")
    assert periods == {"discounted", "plain", "each_year", "year"}
    bounds = {("min" in c.target, "max" in c.target) for c in TARGET_CASES}
    assert bounds == {(True, False), (False, True), (True, True)}
    assert {c.objective_name for c in TARGET_CASES} == {NFV, MIN_COST}
