"""Issue 12 and issue 10's reinvested-savings rows: budget rows in years with no funding
term, the reduced formulation's split of payments, a fairness stage that is never silent,
cheaper binding checks, and the stage timings in meta."""

from __future__ import annotations

import io
import sys

import pytest
from rich.console import Console

from pbo import SolverOptions, solve
from pbo.models.io.loading import load_scenario, scenario_from_data
from pbo.optimizer.present.pack import decision_pack
from pbo.optimizer.present.tables import print_plan
from pbo.optimizer.solving.binding import DECIDED_BY
from tests.conftest import SCENARIOS

BOTH = ("reduced", "full")


def _dis_benefit(carry_over: bool, integer: bool) -> dict:
    return {
        "name": "dis-benefit", "start_year": 2014, "years": 2, "discount_rate": 0.0,
        "partners": [{"id": "p", "poolable_budget": 100, "reinvest_savings": 1.0,
                      "carry_over": carry_over},
                     {"id": "q", "poolable_budget": 0}],
        "interventions": [{"id": "x", "max_units": 10, "integer_units": integer,
                           "unit_cost": [10, 0], "funders": ["p"],
                           "benefits": {"p": [-50, 0], "q": [200, 0]}}],
    }


@pytest.mark.parametrize("formulation", BOTH)
def test_reinvested_dis_benefit_limits_a_year_with_no_funding(formulation: str) -> None:
    """p pays x's 10 a unit in 2014 and carries a dis-benefit of 50 a unit then; with
    reinvest_savings 1, its 2015 row (no funding term: x costs nothing in 2015) is
    0 <= 100 + 1 * (-50 u), so u <= 2 (2014's row 10u <= 100 allows 10). Each unit is worth
    -50 + 200 - 10 = 140: the optimum is 2 units, objective 280."""
    result = solve(scenario_from_data(_dis_benefit(False, False)),
                   options=SolverOptions(formulation=formulation))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(280.0)
    assert result.interventions[0].units == pytest.approx(2.0)


@pytest.mark.parametrize("formulation", BOTH)
def test_reinvested_dis_benefit_on_running_totals(formulation: str) -> None:
    """carry_over: 2014: 10u <= 100; 2015 on running totals: 10u - (-50u) <= 200, so
    u <= 200/60 = 3.33; in whole units 3 (objective 420)."""
    result = solve(scenario_from_data(_dis_benefit(True, True)),
                   options=SolverOptions(formulation=formulation))
    assert result.interventions[0].units == pytest.approx(3.0)
    assert result.objective == pytest.approx(420.0)


def test_payments_split_in_proportion_to_cost_within_a_class() -> None:
    """a (cost 30, benefits p 30, q 10) and b (cost 10, benefits p 10, q 30) may both be
    funded by p and q: one class. Both pay back (net 10 and 30: objective 40). Each partner
    gains 40 (all cashable); the class costs 40; max-min: p pays x, q pays 40 - x, the
    smallest of 40 - x and x is largest at x = 20 (within p's budget of 25). Within the
    class each partner pays the same share (20/40) of every intervention: 15 of a, 5 of b."""
    data = {
        "name": "split", "start_year": 2020, "years": 1, "discount_rate": 0.0,
        "partners": [{"id": "p", "poolable_budget": 25}, {"id": "q", "poolable_budget": 100}],
        "interventions": [
            {"id": "a", "max_units": 1, "integer_units": True, "unit_cost": 30,
             "benefits": {"p": 30, "q": 10}},
            {"id": "b", "max_units": 1, "integer_units": True, "unit_cost": 10,
             "benefits": {"p": 10, "q": 30}},
        ],
    }
    result = solve(scenario_from_data(data))
    paid = {(r.partner, r.intervention): r.amount for r in result.funding}
    assert result.objective == pytest.approx(40.0)
    assert paid == pytest.approx({("p", "a"): 15.0, ("p", "b"): 5.0, ("q", "a"): 15.0,
                                  ("q", "b"): 5.0})
    assert result.meta.formulation == "reduced"


def test_fairness_stage_that_stops_early_says_so_everywhere() -> None:
    """A fairness stage given a tiny time limit for its MIP runs stops before its search over
    the lumpy choices ends: the result's meta, the terminal output and the decision pack all
    say so and name the split kept."""
    sc = load_scenario(SCENARIOS / "whole_place_example.yaml")
    result = solve(sc, options=SolverOptions(fairness_time_limit=1e-9, check_binding=False))
    assert result.status == "optimal"
    said = [w for w in result.meta.warnings if "fairness stage" in w]
    assert said
    assert "split shown is" in said[0]
    buffer = io.StringIO()
    print_plan(result, Console(file=buffer, width=200))
    assert "fairness stage" in buffer.getvalue()
    pack = decision_pack(result, sc)
    assert "fairness stage" in pack
    assert "Warnings" in pack
    assert set(result.meta.stage_seconds) >= {"build", "load", "objective", "fairness"}
    if sys.platform == "linux":  # the memory held after each stage, where the system says
        assert set(result.meta.stage_memory_mb) == set(result.meta.stage_seconds)
        assert all(mb > 10 for mb in result.meta.stage_memory_mb.values())
    # the same scenario, stage 2 unhurried: no warning
    calm = solve(sc, options=SolverOptions(check_binding=False))
    assert not any("fairness stage" in w for w in calm.meta.warnings)
    assert calm.objective == pytest.approx(result.objective, rel=1e-6)


def test_binding_checks_report_their_resolves_and_agree_with_full() -> None:
    """Every red line of the example is decided (by one of DECIDED_BY), and the binding
    flags are those of the full formulation."""
    sc = load_scenario(SCENARIOS / "whole_place_example.yaml")
    reduced = solve(sc)
    full = solve(sc, options=SolverOptions(formulation="full"))
    assert 1 <= sum(reduced.meta.resolves.values()) <= len(sc.red_lines)
    assert set(reduced.meta.resolves) == set(DECIDED_BY)
    assert [r.binding for r in reduced.red_lines] == [r.binding for r in full.red_lines]
    assert reduced.objective == pytest.approx(full.objective, rel=1e-6)
    named = set(sc.beneficiaries)
    floors = [min(p.net_cashable_savings_npv for p in r.partners if p.id in named)
              for r in (reduced, full)]
    assert floors[0] == pytest.approx(floors[1], rel=1e-6, abs=1e-3)


def _caps(integer: bool) -> dict:
    return {
        "name": "caps", "start_year": 2020, "years": 1, "discount_rate": 0.0,
        "partners": [{"id": "p", "poolable_budget": 100}],
        "interventions": [{"id": "a", "max_units": 1000, "unit_cost": 1,
                           "integer_units": integer, "benefits": {"p": 2}}],
        "red_lines": [
            {"id": "share", "rule": "max_share", "partner": "p", "share": 0.5},
            {"id": "slack_cap", "rule": "spend_cap", "amount": 500},
            {"id": "huge_cap", "rule": "spend_cap", "amount": 2000},
        ],
    }


@pytest.mark.parametrize("integer", [False, True])
def test_binding_checks_skip_what_cannot_bind(integer: bool) -> None:
    """Each unit of a costs 1 and is worth 2 (net 1); p may pool half of its 100: 50 units,
    objective 50. The cap of 2000 can never bind (a's whole scale costs 1000): implied, no
    solve. The cap of 500 is slack at the plan (spend 50): the LP relaxation with it freed
    is still 50 (p's pooled 50 is the limit), which bounds every plan: not binding, no MIP.
    Relaxing `share` gives 100 units (binding, relaxed objective 100): the LP relaxation's
    answer, 100 units, is whole, so it is a plan and the relaxed optimum, again no MIP;
    with or without whole units."""
    result = solve(scenario_from_data(_caps(integer)))
    assert result.objective == pytest.approx(50.0)
    lines = {r.id: r for r in result.red_lines}
    assert lines["share"].binding is True
    assert lines["share"].relaxed_objective == pytest.approx(100.0)
    assert lines["slack_cap"].binding is False
    assert lines["huge_cap"].binding is False
    assert result.meta.resolves == {"implied": 1, "lp_bound": 1, "lp_plan": 1,
                                    "lp_rounded": 0, "cut_off_together": 0, "cut_off": 0,
                                    "found": 0, "improved": 0}


def test_binding_check_solves_the_mip_when_the_lp_is_fractional() -> None:
    """Whole units of a cost 3 and are worth 5 (net 2 each); p pools 10, one year. Spend caps
    of 7 and 8: at most 7 spent, 2 units (cost 6), objective 4.
    - cap7 relaxed alone (cap 8 and the budget remain): the LP relaxation buys 8/3 units,
      objective 16/3 > 4, fractional, so not a plan; the MIP buys 2 units, objective 4: not
      binding (`cut_off`).
    - With the budget at 10 and cap 8 gone too... each is judged alone, so make cap8 the
      looser one that still binds nothing: relaxing cap8 leaves cap7, LP 7/3 units (14/3 >
      4, fractional), MIP 2 units: `cut_off`.
    - huge (a cap of 9 in a second year that costs nothing) has no rows... not used.
    So both caps are left to the MIP. Freed together first (the budget of 10 alone: 3 units,
    cost 9, objective 6 > 4), they would gain, so each is then decided alone by its MIP and
    neither binds: relaxing one leaves the other.
    (Rounding the LP's 8/3 or 7/3 units does not help: 3 units cost 9, over the remaining
    cap; 2 units give 4, no better.)
    With cap 8 replaced by the budget alone (p pools 10, cap 7 only): relaxing cap7 gives
    LP 10/3 units (fractional, bound 20/3). Rounded to 3 units (cost 9 within the 10 pooled;
    4 units, rounded up, cost 12 and fail) the plan gives 6 > 4: binding without a MIP
    (`lp_rounded`), the range 6 to 20/3. Proved (--exact-red-lines), the MIP's 3 units: 6
    (`improved`)."""
    both = _whole_caps([7, 8])
    result = solve(scenario_from_data(both))
    assert result.objective == pytest.approx(4.0)
    assert [(r.id, r.binding) for r in result.red_lines] == [("cap7", False), ("cap8", False)]
    assert [r.relaxed_objective for r in result.red_lines] == pytest.approx([4.0, 4.0])
    assert result.meta.resolves == {"implied": 0, "lp_bound": 0, "lp_plan": 0,
                                    "lp_rounded": 0, "cut_off_together": 0, "cut_off": 2,
                                    "found": 0, "improved": 0}
    # by default the check may stop at the first plan better than 4 (a range up to the
    # bound); --exact-red-lines proves the relaxed optimum, 6
    one = solve(scenario_from_data(_whole_caps([7])))
    assert one.objective == pytest.approx(4.0)
    [row] = one.red_lines
    assert (row.id, row.binding) == ("cap7", True)
    assert row.relaxed_objective == pytest.approx(6.0)
    assert row.relaxed_bound == pytest.approx(20 / 3)
    assert one.meta.resolves["lp_rounded"] == 1
    exact = solve(scenario_from_data(_whole_caps([7])),
                  options=SolverOptions(exact_red_lines=True))
    assert exact.red_lines[0].relaxed_objective == pytest.approx(6.0)
    assert exact.red_lines[0].relaxed_bound == pytest.approx(6.0)
    assert exact.meta.resolves == {"implied": 0, "lp_bound": 0, "lp_plan": 0,
                                   "lp_rounded": 0, "cut_off_together": 0, "cut_off": 0,
                                   "found": 0, "improved": 1}


def test_red_lines_left_to_the_mip_are_cut_off_together_by_one_mip() -> None:
    """The caps of 7 and 8 again (whole units cost 3, worth 5, net 2 each), but p pools only
    7: 2 units (cost 6), objective 4, and the budget, not a cap, is the limit.
    - Either cap freed alone: the LP buys 7/3 units, bound 14/3 > 4, fractional, so neither
      lp_bound nor lp_plan; rounded, 2 units give 4 (no better) and 3 units cost 9, over
      the budget. Both are left to the MIP.
    - One MIP with both freed: the budget still allows 2 units, objective 4, no plan beats
      it by more than the tolerance. Freeing one frees less, so neither binds:
      `cut_off_together` for both, one MIP, where each alone took one MIP before.
    Relaxing either gains nothing: relaxed objective 4 and bound 4 for each."""
    result = solve(scenario_from_data(_whole_caps([7, 8], budget=7)))
    assert result.objective == pytest.approx(4.0)
    assert [(iv.id, iv.units) for iv in result.interventions] == [("a", 2.0)]
    assert [(r.id, r.binding) for r in result.red_lines] == [("cap7", False), ("cap8", False)]
    assert [r.relaxed_objective for r in result.red_lines] == pytest.approx([4.0, 4.0])
    assert [r.relaxed_bound for r in result.red_lines] == pytest.approx([4.0, 4.0])
    assert result.meta.resolves == {"implied": 0, "lp_bound": 0, "lp_plan": 0,
                                    "lp_rounded": 0, "cut_off_together": 2, "cut_off": 0,
                                    "found": 0, "improved": 0}


def test_binding_check_solves_the_mip_when_rounding_the_lp_finds_nothing_better() -> None:
    """One year, p pools 10; whole schemes (at most one each): a costs 6 and is worth 12
    (net 6), b costs 5 and is worth 9 (net 4), c costs 4 and is worth 6.8 (net 2.8). The
    red line caps spend at 7: the best plan is a alone, objective 6.
    Relaxing the cap (the budget of 10 remains): the LP takes a, then b by ratio, 4/5 of it
    (net 6 + 3.2 = 9.2, the bound). Rounding b up (a and b cost 11) breaks the budget;
    rounding it down leaves a alone, 6, no better. So the MIP decides: a and c cost 10 and
    give 8.8 (a and b: 11, over; b and c: 6.8), so the cap binds, the relaxed optimum 8.8
    (or, stopped at a first better plan, a figure from 6 to 8.8 with the bound 9.2)."""
    result = solve(scenario_from_data({
        "name": "lumps", "start_year": 2020, "years": 1, "discount_rate": 0.0,
        "partners": [{"id": "p", "poolable_budget": 10}],
        "interventions": [
            {"id": k, "max_units": 1, "unit_cost": cost, "integer_units": True,
             "benefits": {"p": worth}}
            for k, cost, worth in (("a", 6, 12), ("b", 5, 9), ("c", 4, 6.8))],
        "red_lines": [{"id": "cap", "rule": "spend_cap", "amount": 7}],
    }))
    assert result.objective == pytest.approx(6.0)
    assert [iv.id for iv in result.interventions if iv.selected] == ["a"]
    [row] = result.red_lines
    assert row.binding is True
    assert 6.0 < row.relaxed_objective <= 8.8 + 1e-9
    assert row.relaxed_bound == pytest.approx(9.2) or row.relaxed_bound == pytest.approx(8.8)
    assert result.meta.resolves["lp_rounded"] == 0
    assert result.meta.resolves["found"] + result.meta.resolves["improved"] == 1


def _whole_caps(caps: list[float], budget: float = 10) -> dict:
    return {
        "name": "whole caps", "start_year": 2020, "years": 1, "discount_rate": 0.0,
        "partners": [{"id": "p", "poolable_budget": budget}],
        "interventions": [{"id": "a", "max_units": 100, "unit_cost": 3,
                           "integer_units": True, "benefits": {"p": 5}}],
        "red_lines": [{"id": f"cap{c:g}", "rule": "spend_cap", "amount": c} for c in caps],
    }


def test_cli_formulation_full_is_recorded(tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from pbo.cli import app

    out = tmp_path / "full.json"
    res = CliRunner().invoke(app, ["solve", str(SCENARIOS / "tutorial.yaml"),
                                   "--formulation", "full", "--no-binding", "--out", str(out)])
    assert res.exit_code == 0, res.output
    meta = json.loads(out.read_text())["meta"]
    assert meta["formulation"] == "full"
    assert meta["solver_options"]["formulation"] == "full"
    bad = CliRunner().invoke(app, ["solve", str(SCENARIOS / "tutorial.yaml"),
                                   "--formulation", "naive"])
    assert bad.exit_code == 2
