"""`pbo explain` (pbo.optimizer.explain.infeasible) on tiny scenarios whose conflicts are derived by hand.

Every scenario starts in 2020 with a one-year horizon, discount rate 0, benefits fully
cashable, objective net_fiscal_value (benefit minus cost). Each case states why exactly the
listed statements conflict (relaxing any one of them alone makes the rest feasible, which
the test proves by re-solving), and the nearest plan and unblock by hand.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_properties import scenario_data
from typer.testing import CliRunner

from pbo import SolverOptions, solve
from pbo.cli import app
from pbo.models.errors import InputError
from pbo.models.io.loading import load_scenario, scenario_from_data
from pbo.optimizer.explain.infeasible import ExplainOptions, explain, explain_intervention
from pbo.optimizer.explain.why import Scalings, _scaled, _Scaling, break_even
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.numerics import EntrySpread, numeric_problems
from pbo.optimizer.solving.feasibility import matrix_entries
from pbo.optimizer.solving.highs import HighsSession
from tests.conftest import SCENARIOS

Data = dict[str, Any]
BIG = 1e9


def data(partners: list[Data], interventions: list[Data], targets: list[Data] | None = None,
         red_lines: list[Data] | None = None) -> Data:
    return {"name": "t", "start_year": 2020, "years": 1, "discount_rate": 0.0,
            "partners": partners, "interventions": interventions,
            "targets": targets or [], "red_lines": red_lines or []}


def relaxed(d: Data, kind: str, sid: str, year: int | None) -> Data:
    """The scenario data with one statement taken out (a budget made unlimited)."""
    d = copy.deepcopy(d)
    if kind == "target":
        d["targets"] = [t for t in d["targets"] if t["id"] != sid]
    elif kind in ("red_line", "must_fund"):
        d["red_lines"] = [r for r in d["red_lines"] if r["id"] != sid]
    elif kind == "budget":
        next(p for p in d["partners"] if p["id"] == sid)["poolable_budget"] = BIG
    else:  # link 'A requires B' / 'A excludes B'
        a, verb, b = sid.split(" ")
        for i, j in ((a, b), (b, a)):  # an excludes pair may be written on either side
            iv = next(x for x in d["interventions"] if x["id"] == i)
            iv[verb] = [k for k in iv.get(verb, []) if k != j]
    return d


def status(d: Data) -> str:
    return solve(scenario_from_data(d), check_binding=False).status


def conflict_keys(e) -> set[tuple[str, str, int | None]]:
    return {(c.kind, c.id, c.year) for c in e.conflicts}


def only(d: Data, e) -> Data:
    """The scenario with every statement outside the conflict set relaxed."""
    listed = conflict_keys(e)
    for t in d["targets"]:
        if ("target", t["id"], None) not in listed:
            d = relaxed(d, "target", t["id"], None)
    for r in d["red_lines"]:
        if not {("red_line", r["id"], None), ("must_fund", r["id"], None)} & listed:
            d = relaxed(d, "red_line", r["id"], None)
    for p in d["partners"]:
        if ("budget", p["id"], 2020) not in listed:
            d = relaxed(d, "budget", p["id"], 2020)
    for iv in d["interventions"]:
        for verb in ("requires", "excludes"):
            for j in iv.get(verb, []):
                if ("link", f"{iv['id']} {verb} {j}", None) not in listed:
                    d = relaxed(d, "link", f"{iv['id']} {verb} {j}", None)
    return d


def assert_irreducible(d: Data, e, *, single: bool = True) -> None:
    """The listed statements alone (all others relaxed) are infeasible, and relaxing any one
    of them makes the rest of them feasible. With `single` (a scenario with one conflict, as
    in the hand-built cases) relaxing any one of them makes the whole scenario feasible."""
    assert status(d) == "infeasible"
    alone = only(d, e)
    assert status(alone) == "infeasible"
    for c in e.conflicts:
        assert status(relaxed(alone, c.kind, c.id, c.year)) == "optimal", c.id
        if single:
            assert status(relaxed(d, c.kind, c.id, c.year)) == "optimal", c.id
    assert e.irreducible


def units_of(plan) -> dict[str, float]:
    return {r.id: r.units for r in plan.interventions}


# --------------------------------------------------------------------------- (1) no_pooling
def no_pooling(council_budget: float, max_units: float) -> Data:
    return data(
        partners=[{"id": "council", "poolable_budget": council_budget},
                  {"id": "dwp", "poolable_budget": 100}],
        interventions=[{"id": "x", "unit_cost": 1, "max_units": max_units,
                        "benefits": {"council": 1.5}}],
        targets=[{"id": "council_savings", "partner": "council",
                  "measure": "net_cashable_savings", "min": 60}],
        red_lines=[{"id": "dwp_no_pooling", "rule": "no_pooling", "partner": "dwp",
                    "owner": "DWP"}])


def test_savings_target_under_no_pooling() -> None:
    """x costs £1 a unit and saves the council £1.50 (max 100 units); council budget £1000.

    With dwp_no_pooling the council pays every £: its savings are 1.5u - u = 0.5u <= 50 < 60,
    so {council_savings, dwp_no_pooling} conflict. Without the target: feasible. Without the
    red line DWP pays (its £100 budget): council savings 150 >= 60. The council budget never
    binds, so it is not listed.
    Nearest plan: a £ of no_pooling breach (price 1000) buys £1 of savings, a £ of shortfall
    costs 1: the target falls short, best achievable 0.5*100 = £50; objective 0.5*100 = 50,
    council pays £100. Unblock: relax dwp_no_pooling alone; the objective is still 0.5*100 = 50.
    """
    d = no_pooling(council_budget=1000, max_units=100)
    e = explain(scenario_from_data(d))
    assert e.status == "infeasible"
    assert conflict_keys(e) == {("target", "council_savings", None),
                                ("red_line", "dwp_no_pooling", None)}
    assert e.conflict_method.startswith("LP IIS")
    assert_irreducible(d, e)
    [short] = e.shortfalls
    assert (short.id, short.kind) == ("council_savings", "target")
    assert (short.required, short.achievable) == pytest.approx((60.0, 50.0))
    assert "best achievable £50 while every red line holds" in short.detail
    plan = e.nearest_plan
    assert plan is not None
    assert plan.objective == pytest.approx(50.0)
    assert units_of(plan) == pytest.approx({"x": 100.0})
    assert [(f.partner, f.amount) for f in plan.funding] == [("council", pytest.approx(100.0))]
    assert [(t.id, t.achieved, t.met) for t in plan.targets] == [("council_savings", 50.0, False)]
    assert [(u.red_lines, u.objective) for u in e.unblock] == [(["dwp_no_pooling"],
                                                                pytest.approx(50.0))]


def test_savings_target_under_no_pooling_with_a_budget_that_binds() -> None:
    """As above with max 200 units and a council budget of £80: savings 0.5u with u <= 80
    gives 40 < 60. Now the budget is needed too: with it unlimited u = 200 saves 100 >= 60.
    Conflict {council_savings, dwp_no_pooling, council's 2020 budget}; best achievable £40
    (u = 80, objective 0.5*80 = 40). Unblock: dwp_no_pooling alone (DWP pays up to £100;
    council pays at most 1.5u - 60), maximising 0.5u with u <= 180 and funding u <= 180:
    objective 90.
    """
    d = no_pooling(council_budget=80, max_units=200)
    e = explain(scenario_from_data(d))
    assert conflict_keys(e) == {("target", "council_savings", None),
                                ("red_line", "dwp_no_pooling", None),
                                ("budget", "council", 2020)}
    assert_irreducible(d, e)
    assert [(s.id, s.required, s.achievable) for s in e.shortfalls] == [
        ("council_savings", 60.0, pytest.approx(40.0))]
    assert e.nearest_plan is not None
    assert e.nearest_plan.objective == pytest.approx(40.0)
    assert units_of(e.nearest_plan) == pytest.approx({"x": 80.0})
    assert [(u.red_lines, u.objective) for u in e.unblock] == [(["dwp_no_pooling"],
                                                                pytest.approx(90.0))]


def test_two_targets_short_together_each_with_its_best_alone() -> None:
    """x costs £1 and gives council and NHS £0.60 each (max 1000); only the council can pay
    (£100). Targets: council net savings >= 0, NHS net savings >= 100. Council saves
    0.6u - u = -0.4u, NHS 0.6u: total shortfall 0.4u + (100 - 0.6u) = 100 - 0.2u, least at
    u = 100: council -40 (short 40), NHS 60 (short 40); objective 1.2*100 - 100 = 20.
    Each value is a joint compromise, said as such, with each target's best on its own:
    the council's alone is met (u = 0 saves 0 >= 0); the NHS's alone reaches at most 0.6 * 100
    = 60 (the council's £100 buys 100 units)."""
    d = data(partners=[{"id": "council", "poolable_budget": 100},
                       {"id": "nhs", "poolable_budget": 0}],
             interventions=[{"id": "x", "unit_cost": 1, "max_units": 1000,
                             "benefits": {"council": 0.6, "nhs": 0.6}}],
             targets=[{"id": "council_savings", "partner": "council",
                       "measure": "net_cashable_savings", "min": 0},
                      {"id": "nhs_savings", "partner": "nhs",
                       "measure": "net_cashable_savings", "min": 100}])
    e = explain(scenario_from_data(d))
    assert [(s.id, s.required, s.achievable) for s in e.shortfalls] == [
        ("council_savings", 0.0, pytest.approx(-40.0)),
        ("nhs_savings", 100.0, pytest.approx(60.0))]
    assert e.nearest_plan is not None
    assert e.nearest_plan.objective == pytest.approx(20.0)
    council, nhs = e.shortfalls
    assert "-£40 in the nearest plan, which also falls short on nhs_savings" in council.detail
    assert council.detail.endswith("; on its own it could be met")
    assert council.best_alone == pytest.approx(0.0)
    assert "£60 in the nearest plan, which also falls short on council_savings" in nhs.detail
    assert nhs.detail.endswith("; best achievable on its own £60")
    assert nhs.best_alone == pytest.approx(60.0)


# --------------------------------------------------------------------------- (2) must_fund
def must_fund(negotiable: bool = True) -> Data:
    return data(
        partners=[{"id": "council", "poolable_budget": 60},
                  {"id": "police", "poolable_budget": 30}],
        interventions=[{"id": "y", "min_units": 10, "max_units": 20, "unit_cost": 10,
                        "benefits": {"council": 12}}],
        red_lines=[{"id": "fund_y", "rule": "must_fund", "intervention": "y",
                    "negotiable": negotiable}])


def test_must_fund_the_budgets_cannot_carry() -> None:
    """y must be funded at >= 10 units of £10: £100, but the budgets are 60 + 30 = 90.

    Conflict {fund_y, council's 2020 budget, police's 2020 budget}: with either budget
    unlimited that partner pays £100; without fund_y nothing need be bought.
    Nearest plan: only the must_fund can give: y is left out (10 units cannot fit in 90),
    objective 0. Unblock: relax fund_y alone, objective 0 (y still cannot fit).
    """
    d = must_fund()
    e = explain(scenario_from_data(d))
    assert conflict_keys(e) == {("must_fund", "fund_y", None), ("budget", "council", 2020),
                                ("budget", "police", 2020)}
    assert_irreducible(d, e)
    [short] = e.shortfalls
    assert (short.id, short.kind, short.period) == ("fund_y", "must_fund", "select")
    assert (short.required, short.achievable) == pytest.approx((1.0, 0.0))
    assert "y is not funded" in short.detail
    assert e.nearest_plan is not None
    assert e.nearest_plan.objective == pytest.approx(0.0)
    assert units_of(e.nearest_plan) == {"y": 0.0}
    assert [(u.red_lines, u.objective) for u in e.unblock] == [(["fund_y"], pytest.approx(0.0))]


def test_non_negotiable_must_fund_leaves_no_nearest_plan_and_no_unblock() -> None:
    """The same conflict with fund_y non-negotiable: nothing may give (no targets, no
    negotiable red line), so there is no nearest plan and no red line to relax."""
    e = explain(scenario_from_data(must_fund(negotiable=False)))
    assert conflict_keys(e) == {("must_fund", "fund_y", None), ("budget", "council", 2020),
                                ("budget", "police", 2020)}
    assert e.nearest_plan is None
    assert (e.unblock, e.unblock_searched) == ([], 0)
    assert any("budgets, links or non-negotiable red lines must change" in s
               for s in e.sentences)


# --------------------------------------------------------------------------- (3) links
def requires_chain() -> Data:
    iv = {"unit_cost": 1, "max_units": 10, "benefits": {"council": 2}}
    return data(
        partners=[{"id": "council", "poolable_budget": 100}],
        interventions=[{"id": "a", **iv, "requires": ["b"]}, {"id": "b", **iv, "requires": ["c"]},
                       {"id": "c", **iv}],
        red_lines=[{"id": "no_c", "rule": "exclude_intervention", "intervention": "c"},
                   {"id": "fund_a", "rule": "must_fund", "intervention": "a"}])


def test_requires_chain_into_an_excluded_intervention() -> None:
    """fund_a forces a; a requires b; b requires c; no_c forbids c. Drop any one of the four
    and the rest hold. The budget (£100 for at most 30 units of £1) is never involved.

    Nearest plan: breaking fund_a or no_c is priced the same (1000 x £100 money scale), so
    the objective decides: breaking no_c lets a, b, c all run 10 units at a net £1 each (30);
    breaking fund_a leaves a (and b, which needs c) out: 0. So no_c gives: c selected.
    Unblock: either red line alone; no_c reaches 30, fund_a reaches 0 (best first).
    """
    d = requires_chain()
    e = explain(scenario_from_data(d))
    assert conflict_keys(e) == {("must_fund", "fund_a", None), ("link", "a requires b", None),
                                ("link", "b requires c", None), ("red_line", "no_c", None)}
    assert_irreducible(d, e)
    [short] = e.shortfalls
    assert (short.id, short.kind, short.required, short.achievable) == (
        "no_c", "red_line", 0.0, pytest.approx(1.0))
    assert e.nearest_plan is not None
    assert e.nearest_plan.objective == pytest.approx(30.0)
    assert units_of(e.nearest_plan) == pytest.approx({"a": 10.0, "b": 10.0, "c": 10.0})
    assert [(u.red_lines, u.objective) for u in e.unblock] == [
        (["no_c"], pytest.approx(30.0)), (["fund_a"], pytest.approx(0.0))]


def test_conflict_that_only_integers_make() -> None:
    """w: whole units of £10 serving one person each; budget £25; target served >= 2.5.
    The LP relaxation buys 2.5 units (£25), so HiGHS's IIS has nothing to say; deletion
    filtering over the MIP finds {served, council's budget}: with £30, 3 units serve 3; without
    the target, fine. Nearest plan: 2 units (£20), served 2 (shortfall 0.5), objective
    (12 - 10) * 2 = 4.
    """
    d = data(partners=[{"id": "council", "poolable_budget": 25}],
             interventions=[{"id": "w", "unit_cost": 10, "max_units": 10, "integer_units": True,
                             "outcomes": {"served": 1}, "benefits": {"council": 12}}],
             targets=[{"id": "served", "measure": "outcome", "outcome": "served", "min": 2.5}])
    e = explain(scenario_from_data(d))
    assert conflict_keys(e) == {("target", "served", None), ("budget", "council", 2020)}
    assert e.conflict_method == "deletion filter"
    assert_irreducible(d, e)
    assert [(s.id, s.required, s.achievable) for s in e.shortfalls] == [
        ("served", 2.5, pytest.approx(2.0))]
    assert e.nearest_plan is not None
    assert e.nearest_plan.objective == pytest.approx(4.0)
    assert e.unblock == []


def test_explain_without_iis_finds_the_same_set() -> None:
    """Deletion filtering alone (no IIS narrowing) reaches the same conflict set."""
    e = explain(scenario_from_data(requires_chain()), ExplainOptions(use_iis=False))
    assert e.conflict_method == "deletion filter"
    assert conflict_keys(e) == {("must_fund", "fund_a", None), ("link", "a requires b", None),
                                ("link", "b requires c", None), ("red_line", "no_c", None)}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(council=st.integers(0, 120), dwp=st.integers(0, 120), target=st.integers(0, 150),
       pool=st.booleans(), fund=st.booleans(), min_units=st.integers(0, 100))
def test_every_conflict_set_is_irreducible(council: int, dwp: int, target: int, pool: bool,
                                           fund: bool, min_units: int) -> None:
    """Property: on random budgets, targets and red lines, whenever the scenario is infeasible
    the conflict set alone is infeasible and relaxing any one member makes the rest feasible.
    (The whole scenario may stay infeasible: it can hold a second, disjoint conflict.)"""
    d = no_pooling(council_budget=council, max_units=100)
    d["partners"][1]["poolable_budget"] = dwp
    d["targets"][0]["min"] = target
    d["interventions"].append({"id": "z", "unit_cost": 2, "min_units": min_units,
                               "max_units": 100, "benefits": {"dwp": 2.5}})
    if not pool:
        d["red_lines"] = []
    if fund:
        d["red_lines"].append({"id": "fund_z", "rule": "must_fund", "intervention": "z"})
    e = explain(scenario_from_data(d))
    if e.status == "feasible":
        assert status(d) == "optimal"
        return
    assert e.status == "infeasible"
    assert e.conflicts
    assert_irreducible(d, e, single=False)


# --------------------------------------------------------------------------- (4) why not X
def two_options(x_benefit: float = 1.2, extra: list[Data] | None = None) -> Data:
    return data(
        partners=[{"id": "council", "poolable_budget": 80}],
        interventions=[{"id": "a", "unit_cost": 1, "max_units": 100, "benefits": {"council": 1.5}},
                       {"id": "x", "unit_cost": 1, "max_units": 100,
                        "benefits": {"council": x_benefit}}],
        red_lines=extra)


def assert_break_even(x: Any, lever: str, value: float, per_unit: float) -> Any:
    """x's break-even is on `lever` at `value` (its objective per unit `per_unit`), found to
    within the default precision of 1e-4 either side; returned."""
    b = x.break_even
    assert b is not None
    assert b.lever == lever
    assert b.value == pytest.approx(value, rel=2e-4)
    assert b.per_unit == pytest.approx(per_unit, rel=2e-4)
    assert abs(b.value - b.outside) / max(b.value, b.outside) <= 1e-4
    return b


def test_why_is_x_not_funded_and_its_break_even() -> None:
    """£80 to spend at £1 a unit; a returns 1.5 (net 0.5), x returns 1.2 (net 0.2).

    Optimal: 80 units of a, objective 40, x out. x forced in at 1 unit: 0.5*79 + 0.2 = 39.7;
    forced out: 40. The council's budget binds with shadow price 0.5 (a's net return).
    Break-even: x's benefits scaled by s return 1.2s - 1, beating 0.5 once s > 1.25
    (£1.50 a unit). Just above, x takes the whole budget; just below, it stays out.
    """
    d = two_options()
    x = explain_intervention(scenario_from_data(d), "x")
    assert (x.selected, x.objective, x.units) == (False, pytest.approx(40.0), 0.0)
    assert x.forced_in_units == 1.0
    assert x.forced_in_objective == pytest.approx(39.7)
    assert x.forced_out_objective == pytest.approx(40.0)
    assert [(b.kind, b.id, b.year, b.shadow_price) for b in x.binding] == [
        ("budget", "council", 2020, pytest.approx(0.5))]
    b = assert_break_even(x, "benefit_scale", 1.25, 1.5)
    assert b.outside < b.value
    above = solve(scenario_from_data(two_options(1.2 * b.value * 1.001)))
    below = solve(scenario_from_data(two_options(1.2 * b.value * 0.999)))
    assert units_of(above) == pytest.approx({"a": 0.0, "x": 80.0})
    assert above.objective == pytest.approx((1.2 * b.value * 1.001 - 1) * 80)
    assert units_of(below) == pytest.approx({"a": 80.0, "x": 0.0})
    assert below.objective == pytest.approx(40.0)


def test_why_is_a_funded() -> None:
    """a is in at 80 units; leaving it out, x takes the £80: 0.2*80 = 16."""
    x = explain_intervention(scenario_from_data(two_options()), "a")
    assert (x.selected, x.units, x.objective) == (True, pytest.approx(80.0), pytest.approx(40.0))
    assert x.forced_out_objective == pytest.approx(16.0)
    assert x.break_even is None


def test_why_x_cannot_be_funded_at_all() -> None:
    """With x excluded by a red line, forcing it in is infeasible: no break-even, and the
    sentences name the red line that stands in the way."""
    d = two_options(extra=[{"id": "no_x", "rule": "exclude_intervention", "intervention": "x"}])
    x = explain_intervention(scenario_from_data(d), "x")
    assert (x.forced_in_status, x.forced_in_objective) == ("infeasible", None)
    assert x.forced_out_objective == pytest.approx(40.0)
    assert x.break_even is None
    assert any("red line no_x" in s for s in x.sentences)


def test_break_even_of_a_cost_when_least_cost_is_the_objective() -> None:
    """min_cost: at least 40 helped. x costs £1 and helps 1 a unit, y costs £1 and helps 0.5.
    Optimal: 40 units of x, £40; y out. y's costs scaled by c cost 2c per one helped, beating
    x's £1 once c < 0.5 (and y free at c = 0 enters). Break-even 0.5, its cost per unit then
    £0.50; just below, y takes the target alone (80 units, £40c); just above, it stays out."""
    def helped(y_cost: float) -> Data:
        return {**data(partners=[{"id": "council", "poolable_budget": 100}],
                       interventions=[
                           {"id": "x", "unit_cost": 1, "max_units": 100,
                            "outcomes": {"helped": 1}},
                           {"id": "y", "unit_cost": y_cost, "max_units": 100,
                            "outcomes": {"helped": 0.5}}],
                       targets=[{"id": "reach", "measure": "outcome", "outcome": "helped",
                                 "min": 40}]),
                "objective": "min_cost"}

    x = explain_intervention(scenario_from_data(helped(1.0)), "y")
    assert (x.selected, x.objective, x.units) == (False, pytest.approx(40.0), 0.0)
    b = assert_break_even(x, "cost_scale", 0.5, 0.5)
    assert b.value < b.outside
    below = solve(scenario_from_data(helped(0.5 * 0.999)))
    above = solve(scenario_from_data(helped(0.5 * 1.001)))
    assert units_of(below) == pytest.approx({"x": 0.0, "y": 80.0})
    assert below.objective == pytest.approx(80 * 0.5 * 0.999)
    assert units_of(above) == pytest.approx({"x": 40.0, "y": 0.0})
    assert above.objective == pytest.approx(40.0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenario_data(), pick=st.integers(0, 99), factor=st.floats(0.05, 40.0),
       lever=st.sampled_from(["benefit_scale", "cost_scale"]),
       formulation=st.sampled_from(["reduced", "full"]), shared=st.booleans())
def test_a_model_scaled_in_place_is_the_model_built_at_that_factor(
        case: Data, pick: int, factor: float, lever: str, formulation: str,
        shared: bool) -> None:
    """The law the break-even search rests on (`why._Scaling`): with one intervention's
    benefits (or costs) times f, the model set in place from the builds at 1 and k is, entry
    for entry, the model built for f, under every rule, objective and sharing rule. So it is
    when the build at k scales every intervention (`shared`: `why.Scalings`, one model for
    the searches of a whole plan), and `set(1.0)` gives back the model built at 1."""
    sc = scenario_from_data(case)
    iid = sc.interventions[pick % len(sc.interventions)].id
    options = SolverOptions(formulation=formulation, check_binding=False)
    scaling = (Scalings(sc, sc.objective, options).of(iid, lever) if shared  # type: ignore[arg-type]
               else _Scaling.of(sc, iid, lever, sc.objective, options))  # type: ignore[arg-type]
    assume(scaling is not None)
    assert scaling is not None
    try:
        fresh = HighsSession(build_model(_scaled(sc, iid, lever, factor), sc.objective,
                                         formulation), options).highs.getLp()
    except InputError:
        assume(False)
        raise
    scaling.set(factor)
    assert_same_model(scaling.session.highs.getLp(), fresh)
    scaling.set(1.0)
    assert_same_model(scaling.session.highs.getLp(), HighsSession(
        build_model(sc, sc.objective, formulation), options).highs.getLp())


def assert_same_model(got: Any, fresh: Any) -> None:
    for name in ("col_lower_", "col_upper_", "row_lower_", "row_upper_", "integrality_"):
        assert np.array_equal(getattr(got, name), getattr(fresh, name)), name
    assert np.allclose(got.col_cost_, fresh.col_cost_, rtol=1e-9, atol=1e-12)
    assert got.offset_ == pytest.approx(fresh.offset_)
    set_here, built_there = entries(got), entries(fresh)
    assert set(set_here) == set(built_there)
    assert all(set_here[k] == pytest.approx(v, rel=1e-9, abs=1e-12)
               for k, v in built_there.items())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=scenario_data(), pick=st.integers(0, 99),
       factor=st.one_of(st.floats(1e-12, 1e-3), st.floats(0.05, 64.0), st.floats(1e3, 1e16)),
       lever=st.sampled_from(["benefit_scale", "cost_scale"]))
def test_the_quick_numerics_answer_never_lets_through_what_a_build_refuses(
        case: Data, pick: int, factor: float, lever: str) -> None:
    """`EntrySpread.within` (asked at each factor of a break-even search, instead of building
    the scaled scenario) says yes only where the scaled scenario passes `numeric_problems`;
    factors of 1e-12 and 1e16 take the entries past every limit."""
    sc = scenario_from_data(case)
    iid = sc.interventions[pick % len(sc.interventions)].id
    spread = EntrySpread(ModelData.from_scenario(sc))
    try:
        problems = numeric_problems(ModelData.from_scenario(_scaled(sc, iid, lever, factor)))
    except InputError:
        assume(False)
        raise
    if spread.within(iid, lever, factor):
        assert problems == []


def test_the_quick_numerics_answer_at_the_limits() -> None:
    """One intervention's cost of 1 (and max_units 10) against another's of 1e9: the span
    is 1e9, within the 1e10 pbo accepts. Its costs times 0.5 give 5e-1 against 1e9 (2e9,
    within); times 0.05, 5e-2 (2e10: refused, by both answers); at 0.1 exactly 1e10, at the
    limit, where the quick answer leaves it to the build (which accepts it)."""
    sc = scenario_from_data(data(
        [{"id": "a", "poolable_budget": 2e9}],
        [{"id": "x", "unit_cost": 1.0, "max_units": 10, "benefits": {"a": 2.0}},
         {"id": "y", "unit_cost": 1e9, "max_units": 1, "benefits": {"a": 1e9}}]))
    spread = EntrySpread(ModelData.from_scenario(sc))

    def built_ok(f: float) -> bool:
        return not numeric_problems(ModelData.from_scenario(_scaled(sc, "x", "cost_scale", f)))

    assert (spread.within("x", "cost_scale", 0.5), built_ok(0.5)) == (True, True)
    assert (spread.within("x", "cost_scale", 0.05), built_ok(0.05)) == (False, False)
    assert (spread.within("x", "cost_scale", 0.1), built_ok(0.1)) == (False, True)
    assert spread.within("x", "benefit_scale", 0.5)  # x's benefit 2 times 0.5: 1, as its cost


def entries(lp: Any) -> dict[tuple[int, int], float]:
    """A HiGHS model's matrix as {(row, column): value}, without entries set to 0."""
    rows, cols, values = matrix_entries(lp)
    return {(r, c): v for r, c, v in zip(rows.tolist(), cols.tolist(), values.tolist(),
                                          strict=True) if v != 0.0}


def test_the_break_even_search_loads_one_model_for_the_bundled_example() -> None:
    """Each left-out intervention of the bundled example is searched on one loaded model
    (two builds, at factors 1 and 2), and finds the factor that building at every factor
    finds."""
    sc = load_scenario(SCENARIOS / "whole_place_example.yaml")
    options = SolverOptions(check_binding=False)
    left_out = [r.id for r in solve(sc).interventions if not r.selected
                and sc.funders(sc.intervention[r.id])
                and not any(getattr(x, "intervention", None) == r.id for x in sc.red_lines)]
    assert left_out
    for iid in left_out:
        assert _Scaling.of(sc, iid, "benefit_scale", sc.objective, options) is not None
    found = [break_even(sc, iid, sc.objective, options, 0.01, 64.0, 1.0) for iid in left_out]
    shared = Scalings(sc, sc.objective, options)
    together = [break_even(sc, iid, sc.objective, options, 0.01, 64.0, 1.0, shared)
                for iid in reversed(left_out)][::-1]
    with patch.object(Scalings, "of", return_value=None):
        built = [break_even(sc, iid, sc.objective, options, 0.01, 64.0, 1.0)
                 for iid in left_out]
    assert found == built
    assert together == built


def test_the_pack_reasons_search_every_left_out_intervention_on_one_model() -> None:
    """`unfunded_reasons` (the decision pack's "why left out") builds the model twice in
    all, at factor 1 and with every benefit times 2, not twice for each left-out
    intervention; the reasons are those of a model of each one's own, and progress counts
    each left-out intervention once."""
    from pbo.optimizer.analyses import unfunded
    from pbo.optimizer.explain import why

    sc = load_scenario(SCENARIOS / "whole_place_example.yaml")
    result = solve(sc)
    calls: list[tuple[int, int]] = []
    with patch.object(why, "build_model", wraps=why.build_model) as builds:
        reasons = unfunded.unfunded_reasons(result, sc, progress=lambda k, n: calls.append((k, n)))
    assert builds.call_count == 2
    left_out = [r.id for r in result.interventions if not r.selected]
    assert calls == [(k, len(left_out)) for k in range(1, len(left_out) + 1)]

    shared_of = Scalings.of

    def alone(self: Any, iid: str, lever: Any) -> Any:  # a model of each one's own
        return shared_of(Scalings(sc, self.objective, self.solver, only=iid), iid, lever)

    with patch.object(Scalings, "of", alone):
        own = unfunded.unfunded_reasons(result, sc)
    assert [r.why for r in reasons] == [r.why for r in own]
    assert any("would be funded if its benefits were" in r.why for r in reasons)


# --------------------------------------------------------------------------- (5) CLI
runner = CliRunner()


def write(tmp_path: Path, d: Data, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d), encoding="utf-8")
    return path


def test_cli_explains_an_infeasible_scenario(tmp_path: Path) -> None:
    """Explaining an infeasible scenario succeeds (exit 0: the explanation is the product),
    and --out writes the JSON shape of the issue."""
    path = write(tmp_path, no_pooling(council_budget=1000, max_units=100))
    out = tmp_path / "why.json"
    result = runner.invoke(app, ["explain", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "cannot all hold together" in result.output
    assert "dwp_no_pooling" in result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["status"] == "infeasible"
    assert {(c["kind"], c["id"]) for c in doc["conflicts"]} == {
        ("target", "council_savings"), ("red_line", "dwp_no_pooling")}
    assert doc["nearest_plan"]["objective"] == pytest.approx(50.0)
    assert doc["shortfalls"][0]["achievable"] == pytest.approx(50.0)
    assert doc["unblock"] == [{"red_lines": ["dwp_no_pooling"], "objective": 50.0,
                               "status": "optimal"}]


def test_cli_on_a_feasible_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, two_options())
    result = runner.invoke(app, ["explain", str(path)])
    assert result.exit_code == 0, result.output
    assert "is feasible" in result.output
    result = runner.invoke(app, ["explain", str(path), "--intervention", "x"])
    assert result.exit_code == 0, result.output
    assert "enters the plan once its benefits are 1.25" in " ".join(result.output.split())


def test_cli_intervention_errors(tmp_path: Path) -> None:
    """An unknown intervention is bad input (exit 1); asking about one in an infeasible
    scenario is answered with exit 4 (proven infeasible: there is no plan to ask about)."""
    feasible = write(tmp_path, two_options(), "ok.yaml")
    result = runner.invoke(app, ["explain", str(feasible), "--intervention", "xx"])
    assert result.exit_code == 1
    assert "did you mean 'x'" in result.output
    infeasible = write(tmp_path, must_fund(), "bad.yaml")
    result = runner.invoke(app, ["explain", str(infeasible), "--intervention", "y"])
    assert result.exit_code == 4
