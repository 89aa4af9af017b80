"""Excel: scenario workbook round trip, template, located errors, results workbook."""

from __future__ import annotations

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import InputError
from pbo.models.io.loading import load_scenario, scenario_from_data
from pbo.models.io.workbook_layout import SHEETS
from pbo.optimizer.solving.highs import SolverOptions
from pbo.optimizer.solving.plan import solve
from tests.conftest import SCENARIOS

FAST = SolverOptions(check_binding=False)
EXAMPLES = [p for p in sorted(SCENARIOS.glob("*.yaml"))
            if "uncertainty" not in load_scenario(p).model_fields_set]
"""Every bundled example the workbook can hold (it has no sheet for `uncertainty:` yet, and
refuses such a scenario: test_risk.test_a_workbook_never_drops_the_uncertain_inputs)."""


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_yaml_xlsx_yaml_round_trip_is_lossless(path, tmp_path):
    """YAML -> xlsx -> YAML gives the same scenario, and both solve to the same objective."""
    runner = CliRunner()
    book, back = tmp_path / "s.xlsx", tmp_path / "s.yaml"
    assert runner.invoke(app, ["convert", str(path), str(book)]).exit_code == 0
    assert runner.invoke(app, ["convert", str(book), str(back)]).exit_code == 0
    original, again = load_scenario(path), load_scenario(back)
    assert again == original
    assert load_scenario(book) == original
    a, b = solve(original, options=FAST), solve(load_scenario(book), options=FAST)
    assert a.status == b.status
    assert b.objective == pytest.approx(a.objective, rel=1e-9)


def test_template_has_every_sheet_notes_and_drop_downs(tmp_path):
    out = tmp_path / "template.xlsx"
    res = CliRunner().invoke(app, ["template", str(out)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [s.name for s in SHEETS]
    red = wb["RedLines"]
    assert red["B1"].value == "rule"
    assert red["B1"].comment is not None
    formulas = [dv.formula1 for dv in red.data_validations.dataValidation]
    assert any("no_pooling" in f for f in formulas)
    assert any("Partners!" in f for f in formulas)
    assert red.freeze_panes == "A2"
    again = CliRunner().invoke(app, ["template", str(out)])
    assert again.exit_code == 1  # never overwrites


def test_workbook_errors_are_located_by_sheet_row_and_column(tmp_path):
    book = tmp_path / "bad.xlsx"
    assert CliRunner().invoke(app, ["convert", str(SCENARIOS / "tutorial.yaml"),
                                    str(book)]).exit_code == 0
    wb = openpyxl.load_workbook(book)
    wb["Costs"]["D3"] = -5          # family_keyworkers unit_cost in 2016
    wb["Costs"]["C4"] = "=1+1"      # a formula Excel never calculated
    wb["Benefits"]["B2"] = "polise"
    wb.save(book)
    with pytest.raises(InputError) as info:
        load_scenario(book)
    problems = info.value.problems
    assert len(problems) == 3
    assert any("sheet Costs, row 4, column fixed_cost: holds a formula" in p for p in problems)
    assert any("year 2016: must be >= 0" in p and "(sheet Costs, row 3, column unit_cost)" in p
               for p in problems)
    assert any("unknown partner 'polise' — did you mean 'police'?" in p and "sheet Benefits" in p
               for p in problems)
    res = CliRunner().invoke(app, ["validate", str(book)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output


def _example_workbook(tmp_path, cells: dict[str, dict[str, object]]):
    """The realistic example as a workbook, with some cells changed: {sheet: {cell: value}}."""
    book = tmp_path / "wp.xlsx"
    assert CliRunner().invoke(app, ["convert", str(SCENARIOS / "whole_place_example.yaml"),
                                    str(book)]).exit_code == 0
    wb = openpyxl.load_workbook(book)
    for sheet, changes in cells.items():
        for cell, value in changes.items():
            wb[sheet][cell] = value
    wb.save(book)
    return book


def test_a_bad_reference_is_located_at_its_own_row(tmp_path):
    """An unknown partner in a later row of an intervention's benefits names that row."""
    book = _example_workbook(tmp_path, {"Benefits": {"B10": "counsil"}})
    with pytest.raises(InputError) as info:
        load_scenario(book)
    [problem] = info.value.problems
    assert "unknown partner 'counsil'" in problem
    assert problem.endswith("(sheet Benefits, row 10, column partner)")


def test_every_bad_cell_of_a_profile_is_reported_at_once(tmp_path):
    """Two bad years of one partner's budget: both reported, each at its own cell."""
    book = _example_workbook(tmp_path, {"Budgets": {"C3": "lots", "C5": -100}})
    with pytest.raises(InputError) as info:
        load_scenario(book)
    problems = info.value.problems
    assert len(problems) == 2
    assert any("year 2016: must be a number, not 'lots'" in p
               and p.endswith("(sheet Budgets, row 3, column poolable_budget)") for p in problems)
    assert any("year 2018: must be >= 0, not -100" in p
               and p.endswith("(sheet Budgets, row 5, column poolable_budget)") for p in problems)


def _floats(node):
    """Every float in nested YAML data."""
    if isinstance(node, float):
        return [node]
    items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    return [f for item in items for f in _floats(item)]


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_whole_numbers_come_back_from_a_workbook_as_whole_numbers(tmp_path, suffix):
    book, back = _example_workbook(tmp_path, {}), tmp_path / f"back{suffix}"
    assert CliRunner().invoke(app, ["convert", str(book), str(back)]).exit_code == 0
    data = yaml.safe_load(back.read_text())
    first = data["interventions"][0]
    assert first["min_units"] == 200
    assert isinstance(first["min_units"], int)
    assert data["partners"][0]["poolable_budget"][0] == 6000000
    assert not [f for f in _floats(data) if f.is_integer()]
    assert data["discount_rate"] == 0.035  # real fractions stay floats
    assert load_scenario(back) == load_scenario(SCENARIOS / "whole_place_example.yaml")


def test_results_workbook_sheets_formats_and_no_formula_injection(tmp_path):
    """An intervention named like a formula comes back from the results workbook as text."""
    data = {
        "name": "=HYPERLINK(\"http://x\",\"y\")", "start_year": 2020, "years": 1,
        "partners": [{"id": "a", "poolable_budget": 100}],
        "interventions": [{"id": "x", "name": '=HYPERLINK("http://x","y")', "max_units": 10,
                           "unit_cost": 10, "benefits": {"a": 30}}],
    }
    sc = scenario_from_data(data)
    from pbo.models.io.results_workbook import write_results_workbook

    result = solve(sc, options=FAST)
    out = tmp_path / "results.xlsx"
    write_results_workbook(out, result)
    wb = openpyxl.load_workbook(out)
    for sheet in ("Summary", "Interventions", "Funding", "FundingPivot", "Partners",
                  "PartnerYears", "Targets", "RedLines", "Manifest"):
        assert sheet in wb.sheetnames
    cell = wb["Interventions"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","y")'
    assert cell.data_type == "s"
    funding = wb["Funding"]
    assert funding["D1"].value == "amount"
    assert funding["D2"].value == pytest.approx(100.0)
    assert "£" in funding["D2"].number_format
    assert funding.freeze_panes == "A2"


def test_csv_output_escapes_formula_text(tmp_path):
    from pbo.models.io.export import safe_text, write_csv_tables

    assert safe_text("=1+1") == "'=1+1"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("plain") == "plain"
    import pandas as pd

    written = write_csv_tables(tmp_path / "r.csv", {"t": pd.DataFrame({"name": ["=cmd|x"],
                                                                       "v": [-1.5]})})
    text = written[0].read_text()
    assert "'=cmd|x" in text
    assert "-1.5" in text


def test_the_empty_template_says_what_to_fill_in(tmp_path):
    """Validating the untouched template names only what has no default, in plain words and
    located: the start year and horizon (their Scenario rows), and at least one partner."""
    path = tmp_path / "t.xlsx"
    assert CliRunner().invoke(app, ["template", str(path)]).exit_code == 0
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith("start_year: required field is missing (sheet Scenario, row ")
    assert problems[1].startswith("years: required field is missing (sheet Scenario, row ")
    assert problems[2] == "partners: needs at least one entry"
    assert not [p for p in problems if "Input should" in p]


def test_a_year_given_twice_is_reported_with_both_rows(tmp_path):
    """Budgets row 3 made a second 2015 row for the council (row 2 has the first): the
    reader does not pick one silently."""
    book = _example_workbook(tmp_path, {"Budgets": {"B3": 2015}})
    with pytest.raises(InputError) as info:
        load_scenario(book)
    assert ("partners[council].poolable_budget: year 2015 is given twice (sheet Budgets, "
            "row 2, column poolable_budget, and sheet Budgets, row 3, column "
            "poolable_budget); keep one") in info.value.problems


def test_awkward_values_survive_a_workbook(tmp_path):
    """Review cases: a theme with a comma, text that reads as a bool or number ('true',
    '0012', 'null'), a formula-like description, named scenarios with a list value, quoted
    text, and one that changes nothing: YAML -> xlsx -> back is the same scenario."""
    source = tmp_path / "awkward.yaml"
    source.write_text(
        "start_year: 2020\nyears: 3\npartners: [{id: a, poolable_budget: 10}]\n"
        "interventions:\n  - {id: i, max_units: 1, unit_cost: 1, theme: \"health, care\", "
        "benefits: {a: 2}, name: \"true\", unit: \"0012\"}\n"
        "red_lines:\n  - {id: r, rule: ring_fence, partner: a, themes: [\"health, care\"], "
        "description: \"=1+1\", owner: \"null\"}\n"
        "scenarios:\n  s1: {interventions.i.name: \"yes\", interventions.i.unit: \"2020\", "
        "red_lines.r.themes: [\"health, care\"], partners.a.poolable_budget: [1, 2, 3]}\n"
        "  s2: {}\n", encoding="utf-8")
    book = tmp_path / "awkward.xlsx"
    assert CliRunner().invoke(app, ["convert", str(source), str(book)]).exit_code == 0
    assert load_scenario(book) == load_scenario(source)
    assert load_scenario(book, scenarios=["s1", "s2"]) == load_scenario(source,
                                                                      scenarios=["s1", "s2"])
