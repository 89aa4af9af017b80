"""Issue 13: the fairness stage (SPEC 3.4) searches the lumpy choices too (a MIP over the
optimal face), skips that MIP when an LP bound proves it needless, and says so when its time
limit is reached."""

from __future__ import annotations

import pytest

from pbo import SolverOptions, solve
from pbo.models.io.loading import load_scenario, scenario_from_data
from tests.conftest import SCENARIOS, funding_of, iv, partner, scenario_data, units_of

BOTH = ("reduced", "full")


def _nets(result) -> dict[str, float]:
    return {p.id: p.net_cashable_savings_npv for p in result.partners}


def _two(first: dict, second: dict, budget: float) -> dict:
    return scenario_data(
        partners=[partner("council", budget), partner("police", budget)],
        interventions=[first, second])


def _exclusive() -> tuple[dict, dict]:
    unfair = iv("unfair", max_units=1, unit_cost=50, excludes=["fair"],
                benefits={"council": 200})
    fair = iv("fair", max_units=1, unit_cost=50, benefits={"council": 100, "police": 100})
    return unfair, fair


@pytest.mark.parametrize("formulation", BOTH)
@pytest.mark.parametrize("fair_first", [False, True])
def test_of_two_exclusive_equally_good_interventions_the_fair_one_is_chosen(
        fair_first: bool, formulation: str) -> None:
    """`unfair` (cost 50, gives the council 200) and `fair` (cost 50, gives council and
    police 100 each) exclude each other; each partner may pool 100. Both are worth
    200 - 50 = 150: the objective is 150 either way.
    - unfair: the police gain nothing and can only pay, so its net is -(what it pays) <= 0;
      the smallest saving is at most 0 (the council paying all 50: 150 and 0).
    - fair: the council pays x, the police 50 - x; nets 100 - x and 100 - (50 - x) = 50 + x,
      equal at x = 25: 75 each.
    Max-min picks `fair` (smallest 75 > 0), the council and the police paying 25 each,
    whichever is listed first."""
    unfair, fair = _exclusive()
    data = _two(*((fair, unfair) if fair_first else (unfair, fair)), budget=100)
    result = solve(scenario_from_data(data), options=SolverOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(150.0)
    assert units_of(result) == pytest.approx({"unfair": 0.0, "fair": 1.0})
    assert {r.id for r in result.interventions if r.selected} == {"fair"}
    assert _nets(result) == pytest.approx({"council": 75.0, "police": 75.0})
    assert funding_of(result) == pytest.approx({("council", "fair", 2020): 25.0,
                                                ("police", "fair", 2020): 25.0})


@pytest.mark.parametrize("formulation", BOTH)
@pytest.mark.parametrize("fair_first", [False, True])
def test_of_two_fixed_cost_schemes_with_budget_for_one_the_fair_one_is_chosen(
        fair_first: bool, formulation: str) -> None:
    """Two schemes, each a fixed cost of 100 and no unit cost, up to 1 unit; each partner may
    pool 60, so 120 in all: budget for one scheme only. `lopsided` gives the council 300,
    `shared` gives council and police 150 each: both are worth 300 - 100 = 200 (the
    objective).
    - lopsided: the council can pay at most 60, so the police pay at least 40 and gain
      nothing: its net is at most -40 (council 300 - 60 = 240); the smallest is -40.
    - shared: the council pays x, the police 100 - x; nets 150 - x and 50 + x, equal at
      x = 50 (within both budgets): 100 each.
    Max-min picks `shared`, 50 each, whichever is listed first."""
    lopsided = iv("lopsided", max_units=1, fixed_cost=100, benefits={"council": 300})
    shared = iv("shared", max_units=1, fixed_cost=100, benefits={"council": 150, "police": 150})
    data = _two(*((shared, lopsided) if fair_first else (lopsided, shared)), budget=60)
    result = solve(scenario_from_data(data), options=SolverOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(200.0)
    assert units_of(result) == pytest.approx({"lopsided": 0.0, "shared": 1.0})
    assert {r.id for r in result.interventions if r.selected} == {"shared"}
    assert _nets(result) == pytest.approx({"council": 100.0, "police": 100.0})
    assert funding_of(result) == pytest.approx({("council", "shared", 2020): 50.0,
                                                ("police", "shared", 2020): 50.0})


def test_the_mip_is_skipped_when_the_lp_bound_proves_no_fairer_plan() -> None:
    """One scheme in whole units (lumpy), up to 3, costing 10 a unit, giving the council 20
    and the police 10 a unit; each may pool 100. Each unit is worth 30 - 10 = 20: 3 units,
    objective 60. Who pays the 30: the council c, the police 30 - c; nets 60 - c and
    30 - (30 - c) = c, equal at c = 30: 30 each (the council pays it all).
    The face's LP relaxation must also keep 3 units (20 u >= 60 less the tolerance), so its
    bound on the smallest saving is 30, what the plan already reaches: the MIP is proved
    needless and not run (one LP after run 1, the bound)."""
    data = scenario_data(
        partners=[partner("council", 100), partner("police", 100)],
        interventions=[iv("teams", max_units=3, integer_units=True, unit_cost=10,
                          benefits={"council": 20, "police": 10})])
    result = solve(scenario_from_data(data))
    assert result.objective == pytest.approx(60.0)
    assert units_of(result) == pytest.approx({"teams": 3.0})
    assert _nets(result) == pytest.approx({"council": 30.0, "police": 30.0})
    assert funding_of(result) == pytest.approx({("council", "teams", 2020): 30.0})
    assert result.meta.fairness_runs == {"lp": 1, "mip_skipped": 1}


@pytest.mark.parametrize("formulation", BOTH)
@pytest.mark.parametrize("order", [("teams", "a", "b"), ("b", "a", "teams")])
def test_a_whole_lp_optimum_on_the_face_needs_no_mip(order: tuple[str, ...],
                                                    formulation: str) -> None:
    """The council pools 100, the police nothing. `teams` (whole units, up to 3, 10 a unit,
    30 a unit to the council) nets 2 per 1 spent; `a` and `b` (divisible, 1 a unit, up to
    100) net 1 per 1 spent, `a` to the council (2 a unit), `b` to the police (2 a unit). The
    optimum: 3 teams (30), the other 70 on a + b: objective 3 * 20 + 70 = 130, whatever
    the mix of a and b. The council pays all 100: its net is 90 + 2a - 100 = 2a - 10, the
    police's 2b = 2 (70 - a). Max-min: 2a - 10 = 140 - 2a, a = 37.5, b = 32.5, 65 each.
    Stage 1 may pick any mix; the face's LP relaxation keeps the 3 teams whole (any fewer
    loses 10 a unit), so its optimum is the face's and no MIP is run."""
    ivs = {"teams": iv("teams", max_units=3, integer_units=True, unit_cost=10,
                       benefits={"council": 30}),
           "a": iv("a", max_units=100, unit_cost=1, benefits={"council": 2}),
           "b": iv("b", max_units=100, unit_cost=1, benefits={"police": 2})}
    data = scenario_data(partners=[partner("council", 100), partner("police", 0)],
                         interventions=[ivs[k] for k in order])
    result = solve(scenario_from_data(data), options=SolverOptions(formulation=formulation))
    assert result.objective == pytest.approx(130.0)
    assert units_of(result) == pytest.approx({"teams": 3.0, "a": 37.5, "b": 32.5})
    assert _nets(result) == pytest.approx({"council": 65.0, "police": 65.0})
    assert funding_of(result) == pytest.approx({("council", "teams", 2020): 30.0,
                                                ("council", "a", 2020): 37.5,
                                                ("council", "b", 2020): 32.5})
    assert "mip" not in result.meta.fairness_runs


@pytest.mark.parametrize("formulation", BOTH)
@pytest.mark.parametrize("order", [("a", "b"), ("b", "a")])
def test_the_face_mip_looks_only_for_plans_fairer_by_more_than_worth(
        order: tuple[str, ...], formulation: str) -> None:
    """`a` gives the council 20 a unit, `b` the police 20 a unit; both in whole units, up to
    2, 10 a unit. The council pools 20, the police 2: two units in all, objective
    2 * (20 - 10) = 20 for any (a, b) with a + b = 2. The council pays c, the police
    p = 20 - c <= 2 (c >= 18):
    - (2, 0): nets 40 - c and -p; best p = 0: smallest 0;
    - (1, 1): nets 20 - c and 20 - p; best p = 2, c = 18: nets 2 and 18, smallest 2;
    - (0, 2): the council's net -c <= -18.
    The face's LP relaxation is fairer still, (1.5, 0.5) with c = 20: 10 each, so the MIP
    runs. It looks only for plans fairer than run 1's by more than worth (1e-4 of 20):
    from stage 1's (2, 0) it finds (1, 1); from (1, 1) none is, and the MIP proves it
    (infeasible: `cut_off`), which is no warning. Either way (1, 1), the council paying
    18 and the police 2."""
    ivs = {"a": iv("a", max_units=2, integer_units=True, unit_cost=10,
                   benefits={"council": 20}),
           "b": iv("b", max_units=2, integer_units=True, unit_cost=10,
                   benefits={"police": 20})}
    data = scenario_data(partners=[partner("council", 20), partner("police", 2)],
                         interventions=[ivs[k] for k in order])
    result = solve(scenario_from_data(data), options=SolverOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(20.0)
    assert units_of(result) == pytest.approx({"a": 1.0, "b": 1.0})
    assert _nets(result) == pytest.approx({"council": 2.0, "police": 18.0})
    paid = {"council": 0.0, "police": 0.0}
    for (who, _i, _t), v in funding_of(result).items():
        paid[who] += v
    assert paid == pytest.approx({"council": 18.0, "police": 2.0})
    runs = result.meta.fairness_runs
    assert runs["mip"] == 1
    assert runs.get("cut_off", 0) == (1 if runs["lp"] == 2 else 0)  # no polish: proved
    assert result.meta.warnings == []

@pytest.mark.parametrize("formulation", BOTH)
def test_an_infeasible_face_mip_proves_no_lumpy_plan_fairer(formulation: str) -> None:
    """`a` gives the council 20, `b` the police 20; each one whole unit at most, costing 10.
    The council and the police each pool 5: one unit in all, objective 20 - 10 = 10 with
    either, and each partner pays 5 (the budgets are exhausted).
    - a alone: nets council 20 - 5 = 15, police -5; smallest -5;
    - b alone: the same the other way round; smallest -5.
    The face's LP relaxation (half a unit of each) gives 10 - 5 = 5 to both: its bound 5
    leaves room above -5, and its lumpy columns are not whole, so stage 2 asks for a plan
    fairer than -5 by more than worth (1e-4 of 10). There is none: that MIP is infeasible
    (`cut_off`), stage 1's plan stands, and nothing is polished: the LPs counted are the
    bound and the objective LP of the reduced-cost fixing."""
    data = scenario_data(
        partners=[partner("council", 5), partner("police", 5)],
        interventions=[iv("a", max_units=1, integer_units=True, unit_cost=10,
                          benefits={"council": 20}),
                       iv("b", max_units=1, integer_units=True, unit_cost=10,
                          benefits={"police": 20})])
    result = solve(scenario_from_data(data), options=SolverOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(10.0)
    units = units_of(result)
    assert sorted(units.values()) == pytest.approx([0.0, 1.0])
    assert sorted(_nets(result).values()) == pytest.approx([-5.0, 15.0])
    assert result.meta.fairness_runs == {"lp": 2, "mip": 1, "cut_off": 1}
    assert result.meta.warnings == []

def test_a_fairness_mip_that_reaches_its_time_limit_says_so_and_names_the_split() -> None:
    """The whole-place example has lumpy choices whose LP bound leaves room, so the fairness
    stage runs its MIP. Given 1e-9 s, the MIP stops at once: the plan (objective as in the
    unhurried solve, which the stage never changes by more than the SPEC's 1e-6) and the
    split kept are stage 1's plan with who pays re-divided (run 1's), and the
    warning says so, with that split's smallest partner saving."""
    sc = load_scenario(SCENARIOS / "whole_place_example.yaml")
    calm = solve(sc, options=SolverOptions(check_binding=False))
    hurried = solve(sc, options=SolverOptions(check_binding=False, fairness_time_limit=1e-9))
    assert hurried.status == "optimal"
    assert hurried.objective == pytest.approx(calm.objective, rel=1e-6)
    assert hurried.meta.fairness_runs.get("mip") == 1
    said = [w for w in hurried.meta.warnings if "lumpy choices" in w]
    assert len(said) == 1
    assert "reached its time limit" in said[0]
    assert "The split shown is the fairest for the plan as first chosen" in said[0]
    smallest = min(p.net_cashable_savings_npv for p in hurried.partners
                   if p.id in sc.beneficiaries)
    sign = "-" if smallest < 0 else ""
    assert f"smallest partner saving is {sign}£{abs(smallest):,.0f}" in said[0]
    assert not any("lumpy choices" in w for w in calm.meta.warnings)


def _infeasible_face_with_a_sure_scheme() -> dict:
    """The scenario of `test_an_infeasible_face_mip_proves_no_lumpy_plan_fairer` with a third
    partner, fire, pooling 5 for `c`: divisible, up to 2 units, 1 a unit, 3 a unit to fire,
    funded by fire alone (a and b by the council and the police only)."""
    return scenario_data(
        partners=[partner("council", 5), partner("police", 5), partner("fire", 5)],
        interventions=[iv("a", max_units=1, integer_units=True, unit_cost=10,
                          benefits={"council": 20}, funders=["council", "police"]),
                       iv("b", max_units=1, integer_units=True, unit_cost=10,
                          benefits={"police": 20}, funders=["council", "police"]),
                       iv("c", max_units=2, unit_cost=1, benefits={"fire": 3},
                          funders=["fire"])])


@pytest.mark.parametrize("formulation", BOTH)
def test_the_face_mip_narrows_continuous_columns_by_their_reduced_costs_too(
        formulation: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One unit of a or b (objective 10, as in the infeasible-face test), and c at its
    full 2 units (3 - 1 = 2 a unit): objective 14. Fire pays the 2 for c, so its net is
    6 - 2 = 4; council and police stay at 15 and -5 (smallest -5), and the face MIP is
    infeasible (`cut_off`).
    In the LP that maximises the objective over the face's relaxation (a = b = 1/2,
    c = 2, value fLP = 14 = f*), fire's budget is slack (2 of 5), so c's reduced cost
    is its net 3 - 1 = 2 a unit at its upper bound. No point of the face may lose more
    than fLP - f* + 2 * 1e-6 * 14 = 2.8e-5, so c lies within 2.8e-5 / 2 = 1.4e-5 of 2.
    The MIP sees c's column narrowed to [2 - 1.4e-5, 2] (it saw [0, 2] when only lumpy
    columns were narrowed); a and b, basic at 1/2 with no reduced cost, keep [0, 1]."""
    from pbo.optimizer.solving import face

    seen: dict[str, tuple[float, float]] = {}
    mip = face._mip

    def spy(session, fc, bound):
        lp = session.highs.getLp()
        for name in ("a", "b", "c"):
            col = session.col_of(session.built.m.units[name])
            seen[name] = (lp.col_lower_[col], lp.col_upper_[col])
        return mip(session, fc, bound)

    monkeypatch.setattr(face, "_mip", spy)
    data = _infeasible_face_with_a_sure_scheme()
    result = solve(scenario_from_data(data), options=SolverOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(14.0)
    units = units_of(result)
    assert units["c"] == pytest.approx(2.0)
    assert sorted([units["a"], units["b"]]) == pytest.approx([0.0, 1.0])
    nets = _nets(result)
    assert nets["fire"] == pytest.approx(4.0)
    assert sorted([nets["council"], nets["police"]]) == pytest.approx([-5.0, 15.0])
    assert result.meta.fairness_runs == {"lp": 2, "mip": 1, "cut_off": 1}
    assert seen["c"][0] == pytest.approx(2 - 1.4e-5, abs=1e-9)
    assert seen["c"][1] == pytest.approx(2.0)
    assert seen["a"] == pytest.approx((0.0, 1.0))
    assert seen["b"] == pytest.approx((0.0, 1.0))


def test_a_plan_held_is_an_lp_and_its_integrality_comes_back() -> None:
    """With the plan held, every selection and unit column is fixed, and those are the
    model's only integer columns: hold_plan makes them continuous, so the split is an LP
    (HiGHS reports no MIP nodes), and its undo makes them integer again. The split is the
    same as a MIP's: fire pays the 2 for c, the council and the police the 10 between them
    within their budgets of 5 each, 5 each."""
    import highspy

    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.solving.held import hold_plan
    from pbo.optimizer.solving.highs import HighsSession

    sc = scenario_from_data(_infeasible_face_with_a_sure_scheme())
    session = HighsSession(build_model(sc, "net_fiscal_value"))
    assert session.solve().status == "optimal"
    m = session.built.m
    integer = [session.col_of(m.units["a"]), session.col_of(m.select["c"])]

    def kinds() -> list[highspy.HighsVarType]:
        every = list(session.highs.getLp().integrality_)
        return [every[c] if c < len(every) else highspy.HighsVarType.kContinuous
                for c in integer]

    assert kinds() == [highspy.HighsVarType.kInteger] * 2
    with session.edits() as held:
        hold_plan(session, held)
        assert kinds() == [highspy.HighsVarType.kContinuous] * 2
        outcome = session.run(fresh=True)
        assert outcome.status == "optimal"
        assert outcome.objective == pytest.approx(14.0)
        assert session.highs.getInfo().mip_node_count == -1  # an LP: no branch and bound
    assert kinds() == [highspy.HighsVarType.kInteger] * 2
