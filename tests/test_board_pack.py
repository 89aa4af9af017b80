"""The pack for a board (left-out interventions and why, what-ifs in the title, targets met
within a stated tolerance) and the results workbook's number formats."""

from __future__ import annotations

import re

import openpyxl
import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io.loading import scenario_from_data
from pbo.models.io.results_workbook import write_results_workbook
from pbo.optimizer.analyses.unfunded import unfunded_reasons
from pbo.optimizer.present.pack import decision_pack
from pbo.optimizer.present.pack_partners import target_met
from pbo.optimizer.solving.plan import solve
from tests.conftest import SCENARIOS, iv, partner, scenario_data


def two_schemes():
    """Budget 100. a costs 100 a unit (at most 1) and saves 150: £1.50 per £; b costs 100
    and saves 120: £1.20 per £; c saves 500 but a red line rules it out. a is funded and
    uses the budget; b enters once it beats a, at benefits 150/120 = 1.25 times today's."""
    return scenario_from_data(scenario_data(
        partners=[partner("p", 100)],
        interventions=[iv("a", unit_cost=100, max_units=1, benefits={"p": 150}),
                       iv("b", unit_cost=100, max_units=1, benefits={"p": 120}),
                       iv("c", unit_cost=100, max_units=1, benefits={"p": 500})],
        red_lines=[{"id": "no_c", "rule": "exclude_intervention", "intervention": "c",
                    "description": "C may not be pooled", "owner": "DH"}]))


def test_left_out_interventions_say_why():
    sc = two_schemes()
    reasons = {u.id: u.why for u in unfunded_reasons(solve(sc), sc)}
    assert set(reasons) == {"b", "c"}
    assert re.fullmatch(r"would be funded if its benefits were 2[56]% higher", reasons["b"])
    assert reasons["c"] == "ruled out by a red line: C may not be pooled (DH)"


def test_pack_title_names_the_what_ifs_and_red_lines_by_description(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(two_schemes().model_dump_json())
    out = tmp_path / "pack.html"
    run = CliRunner().invoke(app, ["report", str(path), "--out", str(out), "--set",
                                   "partners.p.poolable_budget=150"])
    assert run.exit_code == 0, run.output
    page = out.read_text(encoding="utf-8")
    assert "<h1>t (what-if: partners.p.poolable_budget = 150" in page
    assert "What is not funded, and why" in page
    assert "C may not be pooled (DH)" in page
    assert "Fight for C may not be pooled (DH) first" in page
    assert "@media print" in page


def test_a_target_is_met_within_the_stated_tolerance():
    class T:
        measure, min, max, required = "net_cashable_savings", 0.0, None, 0.0
        achieved = -1.0

    assert target_met(T) is True
    T.achieved = -1.5
    assert target_met(T) is False


def test_workbook_formats(tmp_path):
    sc = scenario_from_data(scenario_data(
        partners=[partner("p", 1000)],
        interventions=[iv("a", unit_cost=100, max_units=2.5, benefits={"p": 150},
                          outcomes={"families": 1})],
        targets=[{"id": "fam", "measure": "outcome", "outcome": "families", "min": 1}]))
    result = solve(sc)
    out = tmp_path / "r.xlsx"
    write_results_workbook(out, result)
    wb = openpyxl.load_workbook(out)
    gap = next(r for r in wb["Summary"].iter_rows(min_row=2) if r[0].value == "MIP gap")
    assert gap[1].number_format == "0.00%"
    objective = next(r for r in wb["Summary"].iter_rows(min_row=2)
                     if r[0].value == "objective value (NPV)")
    assert "£" in objective[1].number_format
    targets = wb["Targets"]
    head = [c.value for c in targets[1]]
    assert targets.cell(2, head.index("achieved") + 1).number_format == "#,##0"
    ivs = wb["Interventions"]
    head = [c.value for c in ivs[1]]
    units = ivs.cell(2, head.index("units") + 1)
    assert units.value == pytest.approx(2.5)
    assert units.number_format == "#,##0.00"


def test_pack_of_the_bundled_example_has_every_partner_section():
    from pbo.models.io.loading import load_scenario

    sc = load_scenario(SCENARIOS / "tutorial.yaml")
    page = decision_pack(solve(sc), sc)
    assert "Each partner's case" in page
    assert "Who pays for whose savings" in page
