"""Properties of the optimiser that hold for every scenario (STYLE: hypothesis properties).

Hypothesis builds small random scenarios as plain data (2-3 partners, 2-4 interventions,
2-3 years, with random budgets, costs, benefits, targets, red lines, objectives and
cost-sharing rules), validated by `scenario_from_data`, and checks:

(a) relaxing any red line (removing it) never worsens the optimum;
(b) raising a partner's poolable budget never worsens the optimum;
(c) multiplying every money figure by k multiplies the objective by k;
(d) every plan's funding rows sum to each intervention's yearly cost, only its funders pay,
    and `reconciliation_problems` finds nothing.

"Worse" is measured in the objective's own sense (lower for the maximised objectives, higher
for min_cost); an infeasible scenario counts as the worst value (-inf when maximising, +inf
for min_cost).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pbo import SolverOptions, solve
from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.solving.results import reconciliation_problems

Data = dict[str, Any]

START = 2020
PROPERTY = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
OPTIONS = SolverOptions(check_binding=False)
FEASIBILITY = 1e-6
"""Absolute allowance for HiGHS's feasibility tolerance on tiny objectives."""
THEMES = ("families", "crime", "health")
MONEY_TARGET_MEASURES = ("net_cashable_savings", "net_fiscal_value", "cashable_benefit",
                         "gross_fiscal_benefit", "spend")


# --------------------------------------------------------------------------- strategies
def money_profile(draw: st.DrawFn, years: int, top: int, *, low: int = 0) -> Any:
    """A profile in any of its three forms: a number, a list, or {year: value}."""
    form = draw(st.sampled_from(("scalar", "list", "mapping")))
    value = st.integers(low, top)
    if form == "scalar":
        return draw(value)
    if form == "list":
        return draw(st.lists(value, min_size=years, max_size=years))
    chosen = draw(st.lists(st.integers(START, START + years - 1), min_size=1, unique=True))
    return {t: draw(value) for t in chosen}


@st.composite
def partners(draw: st.DrawFn, years: int) -> list[Data]:
    count = draw(st.integers(2, 3))
    return [{"id": f"p{k}",
             "poolable_budget": money_profile(draw, years, 2000),
             "carry_over": draw(st.booleans()),
             "reinvest_savings": draw(st.sampled_from((0.0, 0.0, 0.5, 1.0)))}
            for k in range(count)]


@st.composite
def interventions(draw: st.DrawFn, years: int, partner_ids: list[str]) -> list[Data]:
    count = draw(st.integers(2, 4))
    ids = [f"i{k}" for k in range(count)]
    out = []
    for k, i in enumerate(ids):
        max_units = draw(st.integers(1, 20))
        beneficiaries = draw(st.lists(st.sampled_from(partner_ids), unique=True, min_size=1,
                                      max_size=3))
        item: Data = {
            "id": i,
            "theme": draw(st.sampled_from(THEMES)),
            "max_units": max_units,
            "min_units": draw(st.sampled_from((0, 0, 1, max_units))),
            "integer_units": draw(st.booleans()),
            "fixed_cost": money_profile(draw, years, 200),
            "unit_cost": money_profile(draw, years, 100),
            "benefits": {p: money_profile(draw, years, 250, low=-20) for p in beneficiaries},
            "cashable": draw(st.sampled_from((1.0, 0.5, 0.0))),
            "optimism_bias": draw(st.sampled_from((0.0, 0.2))),
            "deadweight": draw(st.sampled_from((0.0, 0.3))),
            "economic_value": money_profile(draw, years, 40),
            "social_value": draw(st.sampled_from((0, 10))),
            "outcomes": {"helped": draw(st.sampled_from((0.0, 0.5, 1.0)))},
        }
        if draw(st.booleans()):
            item["funders"] = draw(st.lists(st.sampled_from(partner_ids), unique=True,
                                            min_size=1))
        others = ids[k + 1:]
        if others and draw(st.integers(0, 4)) == 0:
            item["requires"] = [draw(st.sampled_from(others))]
        elif others and draw(st.integers(0, 4)) == 0:
            item["excludes"] = [draw(st.sampled_from(others))]
        out.append(item)
    return out


@st.composite
def red_lines(draw: st.DrawFn, years: int, partner_ids: list[str],
              ivs: list[Data]) -> list[Data]:
    horizon = st.integers(START, START + years - 1)
    partner = st.sampled_from(partner_ids)
    intervention = st.sampled_from([i["id"] for i in ivs])
    themes = sorted({i["theme"] for i in ivs})
    rules = {
        "no_pooling": lambda: {"partner": draw(partner), "from_year": draw(horizon)},
        "funding_window": lambda: {"partner": draw(partner), "first_year": START,
                                   "last_year": draw(horizon)},
        "ring_fence": lambda: {"partner": draw(partner),
                               "themes": draw(st.lists(st.sampled_from(themes), min_size=1,
                                                       unique=True))},
        "no_funding": lambda: {"partner": draw(partner),
                               "interventions": [draw(intervention)]},
        "max_share": lambda: {"partner": draw(partner),
                              "share": draw(st.sampled_from((0.0, 0.25, 0.5, 0.9)))},
        "no_worse_off": lambda: {"partner": draw(partner),
                                 "period": draw(st.sampled_from(("horizon", "each_year")))},
        "exclude_intervention": lambda: {"intervention": draw(intervention)},
        "must_fund": lambda: {"intervention": draw(intervention)},
        "spend_cap": lambda: {"amount": draw(st.integers(0, 3000)),
                              **({"year": draw(horizon)} if draw(st.booleans()) else {})},
    }
    chosen = draw(st.lists(st.sampled_from(sorted(rules)), min_size=1, max_size=3))
    return [{"id": f"r{k}", "rule": rule, **rules[rule]()} for k, rule in enumerate(chosen)]


@st.composite
def targets(draw: st.DrawFn, years: int, partner_ids: list[str]) -> list[Data]:
    out = []
    for k in range(draw(st.integers(0, 2))):
        if draw(st.integers(0, 3)) == 0:
            out.append({"id": f"t{k}", "measure": "outcome", "outcome": "helped",
                        "min": draw(st.integers(0, 10))})
            continue
        target: Data = {
            "id": f"t{k}",
            "measure": draw(st.sampled_from(MONEY_TARGET_MEASURES)),
            "min": draw(st.integers(-500, 300)),
            "period": draw(st.sampled_from(("horizon", "each_year",
                                            START + draw(st.integers(0, years - 1))))),
        }
        partner = draw(st.sampled_from([None, *partner_ids]))
        if partner is not None:
            target["partner"] = partner
        out.append(target)
    return out


def fixed_shares(draw: st.DrawFn, ivs: list[Data], partner_ids: list[str]) -> Data:
    splits = {1: [(1.0,)], 2: [(1.0, 0.0), (0.5, 0.5), (0.25, 0.75)],
              3: [(0.5, 0.25, 0.25), (1.0, 0.0, 0.0)]}
    shares = {}
    for iv in ivs:
        funders = iv.get("funders") or partner_ids
        split = draw(st.sampled_from(splits[len(funders)]))
        shares[iv["id"]] = dict(zip(funders, split, strict=True))
    return shares


@st.composite
def scenario_data(draw: st.DrawFn, *, with_red_lines: bool = False) -> Data:
    years = draw(st.integers(2, 3))
    ps = draw(partners(years))
    ids = [p["id"] for p in ps]
    ivs = draw(interventions(years, ids))
    rule = draw(st.sampled_from(("optimise", "optimise", "benefit_share", "fixed")))
    sharing: Data = {"rule": rule}
    if rule == "fixed":
        sharing["shares"] = fixed_shares(draw, ivs, ids)
    data: Data = {
        "name": "property",
        "start_year": START,
        "years": years,
        "discount_rate": draw(st.sampled_from((0.0, 0.035, 0.1))),
        "objective": draw(st.sampled_from(("net_fiscal_value", "net_cashable_savings",
                                           "public_value", "min_cost"))),
        "cost_sharing": sharing,
        "partners": ps,
        "interventions": ivs,
        "targets": draw(targets(years, ids)),
    }
    if with_red_lines or draw(st.booleans()):
        data["red_lines"] = draw(red_lines(years, ids, ivs))
    scenario_from_data(data)  # a strategy that builds invalid data is a bug in this file
    return data


# --------------------------------------------------------------------------- helpers
def solved(data: Data):
    result = solve(scenario_from_data(data), options=OPTIONS)
    assert result.status in ("optimal", "infeasible"), result.message
    return result


def value(data: Data) -> float:
    """The optimum in the objective's own sense, as a number to maximise: -inf when
    infeasible; min_cost is negated."""
    result = solved(data)
    if result.status == "infeasible":
        return -math.inf
    assert result.objective is not None
    return -result.objective if data["objective"] == "min_cost" else result.objective


def assert_not_worse(relaxed: float, base: float) -> None:
    """relaxed >= base, allowing 1e-5 relative (the MIP gap is 1e-6)."""
    if base == -math.inf:
        return
    assert relaxed > -math.inf, "the relaxed scenario became infeasible"
    assert relaxed >= base - 1e-5 * max(1.0, abs(base))


def scale_money(data: Data, k: float) -> Data:
    """A copy with every money figure multiplied by k (units, shares, years, outcomes and
    outcome targets unchanged)."""
    def times(profile: Any) -> Any:
        if isinstance(profile, dict):
            return {t: k * v for t, v in profile.items()}
        if isinstance(profile, list):
            return [k * v for v in profile]
        return k * profile

    out = copy.deepcopy(data)
    for p in out["partners"]:
        p["poolable_budget"] = times(p["poolable_budget"])
    for iv in out["interventions"]:
        for field in ("fixed_cost", "unit_cost", "economic_value", "social_value"):
            iv[field] = times(iv[field])
        iv["benefits"] = {p: times(b) for p, b in iv["benefits"].items()}
    for target in out["targets"]:
        if target["measure"] != "outcome":
            target["min"] = k * target["min"]
    for rule in out.get("red_lines", []):
        if rule["rule"] == "spend_cap":
            rule["amount"] = k * rule["amount"]
    return out


# --------------------------------------------------------------------------- properties
@PROPERTY
@given(data=scenario_data(with_red_lines=True))
def test_relaxing_a_red_line_never_worsens_the_optimum(data: Data) -> None:
    base = value(data)
    for k in range(len(data["red_lines"])):
        relaxed = copy.deepcopy(data)
        del relaxed["red_lines"][k]
        assert_not_worse(value(relaxed), base)


@PROPERTY
@given(data=scenario_data(), partner=st.integers(0, 2), extra=st.sampled_from((1, 100, 5000)))
def test_more_budget_never_worsens_the_optimum(data: Data, partner: int, extra: int) -> None:
    base = value(data)
    richer = copy.deepcopy(data)
    p = richer["partners"][partner % len(richer["partners"])]
    budget = p["poolable_budget"]
    if isinstance(budget, dict):
        p["poolable_budget"] = {t: budget.get(t, 0) + extra
                                for t in range(START, START + data["years"])}
    elif isinstance(budget, list):
        p["poolable_budget"] = [b + extra for b in budget]
    else:
        p["poolable_budget"] = budget + extra
    assert_not_worse(value(richer), base)


@PROPERTY
@given(data=scenario_data())
def test_scaling_money_scales_the_objective(data: Data) -> None:
    """Relative tolerance 1e-6 (the MIP gap), and an absolute (1 + k) * 1e-6 for HiGHS's
    feasibility tolerance on a tiny objective (the fairness stage holds the plan exactly)."""
    base = solved(data)
    for k in (2, 10, 0.5):
        scaled = solved(scale_money(data, k))
        assert scaled.status == base.status, k
        if base.status == "optimal":
            assert base.objective is not None
            assert scaled.objective == pytest.approx(k * base.objective, rel=1e-6,
                                                     abs=(1 + k) * FEASIBILITY), k


@PROPERTY
@given(data=scenario_data())
def test_funding_always_meets_cost_and_reconciles(data: Data) -> None:
    sc = scenario_from_data(data)
    result = solve(sc, options=OPTIONS)
    assert result.status in ("optimal", "infeasible"), result.message
    if result.status == "infeasible":
        assert result.funding == []
        return
    plan = {r.id: r for r in result.interventions}
    paid: dict[tuple[str, int], float] = {}
    for row in result.funding:
        assert row.amount > 0
        assert row.partner in sc.funders(sc.intervention[row.intervention])
        key = (row.intervention, row.year)
        paid[key] = paid.get(key, 0.0) + row.amount
    for iv in sc.interventions:
        chosen = plan[iv.id]
        if not chosen.selected:
            assert chosen.units == 0.0
        for k, t in enumerate(sc.horizon):
            cost = iv.fixed_cost[k] * chosen.selected + iv.unit_cost[k] * chosen.units
            assert paid.get((iv.id, t), 0.0) == pytest.approx(cost, rel=1e-6, abs=1e-5), (
                iv.id, t)
    assert reconciliation_problems(result, ModelData.from_scenario(sc)) == []
