"""The reduced formulation (funding per eligibility class) against the full one (funding per
intervention, SPEC 3.1 as written), on generated scenarios covering every rule, objective
and sharing rule (the strategy of test_properties, with look-alike interventions added so
that classes have several members).

For each scenario:
- both formulations give the same status and the same objective (within the MIP gap);
- the reduced plan, with its per-intervention payments as reported, satisfies every row of
  the full model (each red line, budget, target and cost met, per intervention);
- where both choose the same plan, the same partner figures: every partner's contribution
  and net savings under benefit_share and fixed (they follow from the plan), and the same
  smallest beneficiary's net savings under optimise (the max-min value; how partners above
  the minimum are split among equally fair answers is a tie either may break).

The suite runs a sample; `python benchmarks/exactness.py` runs hundreds.
"""

from __future__ import annotations

import copy
from typing import Any

import pyomo.environ as pyo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyomo.repn import generate_standard_repn
from test_properties import scenario_data

from pbo import SolverOptions, solve
from pbo.models.io.loading import scenario_from_data
from pbo.models.results import PlanResult
from pbo.optimizer.formulation.build import build_model

Data = dict[str, Any]
GAP = 1e-6


@st.composite
def classed_scenarios(draw: st.DrawFn) -> Data:
    """A generated scenario plus copies of some interventions (other costs and benefits, the
    same funders and theme), so that eligibility classes have several members."""
    data = draw(scenario_data(with_red_lines=draw(st.booleans())))
    ivs = data["interventions"]
    for k in draw(st.lists(st.integers(0, len(ivs) - 1), max_size=3)):
        twin = copy.deepcopy(ivs[k])
        twin["id"] = f"{twin['id']}_twin{len(ivs)}"
        twin.pop("requires", None)
        twin.pop("excludes", None)
        twin["unit_cost"] = draw(st.integers(1, 100))
        twin["max_units"] = max(twin["min_units"], draw(st.integers(1, 20)))
        ivs.append(twin)
        sharing = data["cost_sharing"]
        if sharing["rule"] == "fixed":
            sharing["shares"][twin["id"]] = dict(sharing["shares"][ivs[k]["id"]])
    scenario_from_data(data)
    return data


def violations(result: PlanResult, data: Data) -> list[str]:
    """Rows of the full model that the result's plan and payments break."""
    built = build_model(scenario_from_data(data), formulation="full")
    m = built.m
    plan = {r.id: r for r in result.interventions}
    for i in m.select:
        m.select[i].set_value(1.0 if plan[i].selected else 0.0)
        m.units[i].set_value(plan[i].units)
    for v in m.fund.values():
        v.set_value(0.0)
    for row in result.funding:
        if (row.partner, row.intervention, row.year) not in m.fund:
            return [f"{row.partner} pays {row.intervention} in {row.year}, not allowed"]
        m.fund[row.partner, row.intervention, row.year].set_value(row.amount)
    m.zero.set_value(0.0)
    out = []
    for con in m.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(con.body)
        repn = generate_standard_repn(con.body)
        terms = sum(abs(c * pyo.value(v)) for c, v in zip(repn.linear_coefs, repn.linear_vars,
                                                         strict=True))
        # HiGHS meets a row to its feasibility tolerance (1e-7, on its scaled model): £200
        # paid as £200.00001 (5e-8 of it) is met, so the row's own size counts too
        scale = 1e-5 * max(1.0, abs(body)) + 1e-6 * terms
        lower, upper = pyo.value(con.lower), pyo.value(con.upper)
        if (lower is not None and body < lower - scale) or (
                upper is not None and body > upper + scale):
            out.append(f"{con.name}: {body} outside [{lower}, {upper}]")
    return out


def compare(data: Data) -> dict[str, Any]:
    """Solve with both formulations; raise AssertionError where they disagree. Returns what
    was compared (for the benchmark's tally)."""
    sc = scenario_from_data(data)
    options = {f: SolverOptions(check_binding=False, formulation=f) for f in ("full", "reduced")}
    full, reduced = (solve(sc, options=options[f]) for f in ("full", "reduced"))
    assert full.status == reduced.status, (full.status, reduced.status)
    if full.objective is None or reduced.objective is None:
        return {"status": full.status, "same_plan": None}
    assert abs(full.objective - reduced.objective) <= 2 * GAP * max(1.0, abs(full.objective)) \
        + 1e-6, (full.objective, reduced.objective)
    assert violations(reduced, data) == []
    same_plan = all(abs(a.units - b.units) <= 1e-6 and a.selected == b.selected
                    for a, b in zip(full.interventions, reduced.interventions, strict=True))
    if same_plan:
        tol = 1e-5 * max(1.0, abs(full.objective))
        if data["cost_sharing"]["rule"] == "optimise":
            named = set(sc.beneficiaries)

            def floor(r: PlanResult) -> float:
                return min((p.net_cashable_savings_npv for p in r.partners if p.id in named),
                           default=0.0)

            assert abs(floor(full) - floor(reduced)) <= tol, (floor(full), floor(reduced))
        else:
            for a, b in zip(full.partners, reduced.partners, strict=True):
                assert abs(a.contribution_npv - b.contribution_npv) <= tol, a.id
                assert abs(a.net_cashable_savings_npv - b.net_cashable_savings_npv) <= tol
    return {"status": full.status, "same_plan": same_plan}


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=classed_scenarios())
def test_reduced_and_full_formulations_agree(data: Data) -> None:
    compare(data)


def test_classes_group_look_alikes_and_split_by_red_lines() -> None:
    """Three interventions with the same funders: a and b share a class; c is split off by
    the no_funding red line that names it (so relaxing it only frees rows)."""
    data = {
        "name": "classes", "start_year": 2020, "years": 1,
        "partners": [{"id": "p", "poolable_budget": 100}, {"id": "q", "poolable_budget": 100}],
        "interventions": [{"id": x, "max_units": 1, "unit_cost": 1, "benefits": {"p": 2}}
                          for x in ("a", "b", "c")],
        "red_lines": [{"id": "r", "rule": "no_funding", "partner": "q",
                       "interventions": ["c"]}],
    }
    d = build_model(scenario_from_data(data)).data
    assert d.class_of["a"] == d.class_of["b"] != d.class_of["c"]
    assert len(d.class_fund_index) == 4  # 2 partners x 2 classes x 1 year
