"""`import pbo` as a library: a scenario built four ways (a YAML file, a workbook, the
constructors, DataFrames) is one scenario with one plan; bad input through the constructors
and the frames is an InputError with located messages; every result has tables(), to_json()
and a JSON Schema its JSON fits; the docstring examples and the README's "As a library"
section run.
"""

from __future__ import annotations

import copy
import doctest
import importlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

import pbo
from pbo.cli import app
from pbo.models.io.export import write_scenario
from pbo.models.io.loading import read_data
from pbo.optimizer.present.result_schemas import RESULT_KINDS, result_model
from tests.conftest import ROOT
from tests.test_input_errors import BASE, changed, setter

Data = dict[str, Any]
RED_LINE_TYPES: dict[str, Any] = {
    "no_pooling": pbo.NoPooling, "funding_window": pbo.FundingWindow,
    "ring_fence": pbo.RingFence, "no_funding": pbo.NoFunding, "max_share": pbo.MaxShare,
    "no_worse_off": pbo.NoWorseOff, "exclude_intervention": pbo.ExcludeIntervention,
    "must_fund": pbo.MustFund, "spend_cap": pbo.SpendCap,
}
FAST = pbo.SolverOptions(check_binding=False)


def by_constructors(data: Data) -> pbo.Scenario:
    """The scenario built as a program would: each item from its class, then the Scenario."""
    sections = {
        "partners": [pbo.Partner(**p) for p in data.get("partners", [])],
        "interventions": [pbo.Intervention(**i) for i in data.get("interventions", [])],
        "targets": [pbo.Target(**t) for t in data.get("targets", [])],
        "red_lines": [RED_LINE_TYPES[r["rule"]](**r) for r in data.get("red_lines", [])],
    }
    if "cost_sharing" in data:
        sections["cost_sharing"] = pbo.CostSharing(**data["cost_sharing"])
    rest = {k: v for k, v in data.items() if k not in sections}
    return pbo.Scenario(**rest, **sections)


# ------------------------------------------------------------------ four ways, one plan
def test_a_scenario_built_four_ways_is_one_scenario_with_one_plan(tmp_path: Path) -> None:
    """The tutorial read from its YAML file, from a workbook of it, built with the
    constructors (Partner(...), Intervention(...), ..., Scenario(...)) and from DataFrames
    (the workbook's tables) is the same validated scenario, and each solves to the same plan."""
    path = pbo.example_path("tutorial")
    from_yaml = pbo.load_scenario(path)
    book = tmp_path / "tutorial.xlsx"
    write_scenario(book, from_yaml)
    from_workbook = pbo.load_scenario(book)
    from_code = by_constructors(read_data(path))
    frames = pbo.scenario_frames(from_yaml)
    assert set(frames) >= {"partners", "budgets", "interventions", "costs", "benefits"}
    from_frames = pbo.scenario_from_frames(**frames)
    assert from_workbook == from_yaml
    assert from_code == from_yaml
    assert from_frames == from_yaml
    plans = [pbo.solve(sc) for sc in (from_yaml, from_workbook, from_code, from_frames)]
    first = plans[0]
    assert first.status == "optimal"
    for plan in plans[1:]:
        assert plan.status == first.status
        assert plan.objective == pytest.approx(first.objective, rel=1e-9)
        for name, table in plan.tables().items():
            pd.testing.assert_frame_equal(table, first.tables()[name], rtol=1e-9)


def test_constructors_expand_profiles_and_solve_as_a_file_does() -> None:
    """Scenario(partners=[Partner(...)], ...) expands every profile (a number is every year,
    {year: value} is 0 elsewhere) and warns of nothing; one intervention worth 3 per unit for
    a cost of 1, at most 10 units, a budget of 5 in 2020 only and a 1-year horizon funds 5
    units: objective 5 * (3 - 1) = 10."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sc = pbo.Scenario(
            start_year=2020, years=2, discount_rate=0.0,
            partners=[pbo.Partner(id="council", poolable_budget={2020: 5})],
            interventions=[pbo.Intervention(id="hub", max_units=10,
                                            unit_cost={2020: 1}, benefits={"council": {2020: 3}})])
    assert sc.partners[0].poolable_budget == (5.0, 0.0)
    assert sc.interventions[0].unit_cost == (1.0, 0.0)
    result = pbo.solve(sc)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(10.0)
    assert {r.id: r.units for r in result.interventions} == {"hub": pytest.approx(5.0)}
    assert pbo.Scenario(**sc.model_dump()) == sc
    assert pbo.Scenario.model_validate(sc.model_dump()) == sc
    assert pbo.Scenario.model_validate_json(sc.model_dump_json()) == sc
    with pytest.raises(ValidationError, match="frozen"):  # immutable once validated
        sc.partners[0].id = "other"  # type: ignore[misc]


def test_with_changes_is_the_library_form_of_set() -> None:
    """with_changes applies paths by id as --set does (and named scenarios first), returns a
    new checked scenario and leaves the original alone; a bad change is an InputError."""
    sc = pbo.load_scenario(pbo.example_path("tutorial"))
    changed_sc = sc.with_changes({"targets.council_savings.min": 3e6,
                                  "interventions.hub.unit_cost": 150000})
    assert changed_sc.targets[0].min == 3e6
    assert changed_sc.intervention["hub"].unit_cost == (150000.0,) * 3
    assert sc.targets[0].min == 0
    assert changed_sc == pbo.load_scenario(pbo.example_path("tutorial"), overrides=[
        ("targets.council_savings.min", 3e6), ("interventions.hub.unit_cost", 150000)])
    assert changed_sc == pbo.load_scenario(pbo.example_path("tutorial"), overrides={
        "targets.council_savings.min": 3e6, "interventions.hub.unit_cost": 150000})
    with pytest.raises(pbo.InputError) as caught:
        sc.with_changes({"interventions.hubb.unit_cost": 1})
    assert caught.value.problems == [
        "interventions.hubb: no item with id 'hubb' — did you mean 'hub'?"]
    with pytest.raises(pbo.InputError) as caught:
        sc.with_changes([("interventions.hub.deadweight", 2)])
    assert caught.value.problems == ["interventions[hub].deadweight: must be <= 1, not 2"]


def test_every_analysis_takes_a_scenario() -> None:
    """sweep (once a raw dict only), compare (solving both when no results are given), audit
    (of a result object), sensitivity, explain, explain_intervention and report."""
    sc = pbo.load_scenario(pbo.example_path("tutorial"))
    swept = pbo.sweep(sc, ["partners.council.poolable_budget=5e5:1e6:2"], options=FAST)
    assert [r.status for r in swept.results] == ["optimal", "optimal"]
    assert swept.table()["partners.council.poolable_budget"].tolist() == [5e5, 1e6]
    base = pbo.solve(sc, options=FAST)
    assert swept.results[1].objective == pytest.approx(base.objective, rel=1e-9)
    comparison = pbo.compare(sc, sc.with_changes({"interventions.hub.unit_cost": 150000}))
    assert [c["path"] for c in comparison.input_changes] == ["interventions.hub.unit_cost"]
    assert pbo.audit(base).passed
    assert pbo.sensitivity(sc).base.objective == pytest.approx(base.objective, rel=1e-9)
    assert pbo.explain(sc).status == "feasible"
    assert pbo.explain_intervention(sc, "hub").intervention == "hub"


def test_report_returns_the_pack_and_writes_it_atomically(tmp_path: Path) -> None:
    """pbo.report gives the HTML `pbo report` writes (the same page, bar the timestamp), and
    with a path writes it there; a path that is no .html is a usage error."""
    path = pbo.example_path("tutorial")
    page = pbo.report(pbo.load_scenario(path))
    assert page.startswith("<!doctype html>")
    assert "Tutorial partnership" in page
    out = tmp_path / "pack.html"
    assert pbo.report(pbo.load_scenario(path), out) == out.read_text(encoding="utf-8")
    cli_out = tmp_path / "cli.html"
    assert CliRunner().invoke(app, ["report", str(path), "--out", str(cli_out)]).exit_code == 0

    def plain(html: str) -> str:
        return re.sub(r"<td>(timestamp|input file|input SHA-256)</td><td>[^<]*</td>", "", html)

    assert plain(cli_out.read_text(encoding="utf-8")) == plain(page)
    with pytest.raises(pbo.UsageError):
        pbo.report(pbo.load_scenario(path), tmp_path / "pack.pdf")


def test_the_library_leaves_the_garbage_collector_as_it_found_it() -> None:
    """pbo pauses Python's cyclic garbage collector while it validates, builds, loads and
    solves (Pyomo's PauseGC), and gives it back as it was: on after a solve and after bad
    input, still off for a program that had turned it off. The tutorial is solved both ways
    to the same plan."""
    import gc

    assert gc.isenabled()
    sc = pbo.load_scenario(pbo.example_path("tutorial"))
    on = pbo.solve(sc, options=FAST)
    assert gc.isenabled()
    with pytest.raises(pbo.InputError):
        pbo.Partner(id="police", poolable_budget=-5)
    with pytest.raises(pbo.InputError):
        sc.with_changes({"interventions.hub.deadweight": 2})
    assert gc.isenabled()
    gc.disable()
    try:
        off = pbo.solve(pbo.load_scenario(pbo.example_path("tutorial")), options=FAST)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert on.status == off.status == "optimal"
    assert off.objective == pytest.approx(on.objective, rel=1e-9)
    assert {r.id: r.units for r in off.interventions} == {
        r.id: pytest.approx(r.units) for r in on.interventions}


# ------------------------------------------------------------------ bad input, located
def frames_of(data: Data) -> dict[str, Any]:
    return pbo.scenario_frames(pbo.Scenario.model_validate(data))


def frame_set(table: str, row: int, column: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(frames: dict[str, Any]) -> None:
        frame = frames[table].astype(object)
        frame.loc[row, column] = value
        frames[table] = frame
    return change


def frame_append(table: str, row: Data) -> Callable[[dict[str, Any]], None]:
    def change(frames: dict[str, Any]) -> None:
        frames[table] = pd.concat([frames[table], pd.DataFrame([row])], ignore_index=True)
    return change


# Rows of BASE's frames: budgets (council 2020, 2021, police 2020, 2021); costs
# (troubled_families 2020, 2021, hub 2020, 2021); benefits (troubled_families: council
# 2020, 2021, police 2020, 2021; hub: council 2020, 2021).
BAD_INPUT = [
    pytest.param(
        setter("interventions", 0, "benefits", value={"council": 20, "polise": 5}),
        ["interventions[troubled_families].benefits: unknown partner 'polise' — did you mean "
         "'police'?"],
        [frame_set("benefits", 2, "partner", "polise"), frame_set("benefits", 3, "partner",
                                                                  "polise")],
        ["interventions[troubled_families].benefits: unknown partner 'polise' — did you mean "
         "'police'? (table benefits, row 2, column partner)"],
        id="unknown-partner"),
    pytest.param(
        setter("interventions", 1, "requires", value=["troubled_family"]),
        ["interventions[hub].requires: unknown intervention 'troubled_family' — did you mean "
         "'troubled_families'?"],
        [frame_set("interventions", 1, "requires", "troubled_family")],
        ["interventions[hub].requires: unknown intervention 'troubled_family' — did you mean "
         "'troubled_families'? (table interventions, row 1, column requires)"],
        id="unknown-intervention"),
    pytest.param(
        setter("red_lines", 0, "partner", value="polce"),
        ["red_lines[police_cap].partner: unknown partner 'polce' — did you mean 'police'?"],
        [frame_set("red_lines", 0, "partner", "polce")],
        ["red_lines[police_cap].partner: unknown partner 'polce' — did you mean 'police'? "
         "(table red_lines, row 0, column partner)"],
        id="unknown-partner-in-red-line"),
    pytest.param(
        setter("partners", 0, "poolable_budget", value=-5),
        ["partners[council].poolable_budget: must be >= 0, not -5"],
        [frame_set("budgets", 1, "poolable_budget", -5)],
        ["partners[council].poolable_budget: year 2021: must be >= 0, not -5 (table budgets, "
         "row 1, column poolable_budget)"],
        id="negative-budget"),
    pytest.param(
        setter("interventions", 0, "unit_cost", value=[10, -1]),
        ["interventions[troubled_families].unit_cost: entry 2: must be >= 0, not -1"],
        [frame_set("costs", 1, "unit_cost", -1)],
        ["interventions[troubled_families].unit_cost: year 2021: must be >= 0, not -1 (table "
         "costs, row 1, column unit_cost)"],
        id="negative-cost"),
    pytest.param(
        setter("interventions", 0, "deadweight", value=1.5),
        ["interventions[troubled_families].deadweight: must be <= 1, not 1.5"],
        [frame_set("interventions", 0, "deadweight", 1.5)],
        ["interventions[troubled_families].deadweight: must be <= 1, not 1.5 (table "
         "interventions, row 0, column deadweight)"],
        id="share-above-one"),
    pytest.param(
        lambda d: d["interventions"].append({"id": "hub", "max_units": 2}),
        ["interventions[hub]: duplicate id 'hub'"],
        [frame_append("interventions", {"id": "hub", "max_units": 2})],
        ["interventions[hub]: duplicate id 'hub' (table interventions, row 2)"],
        id="duplicate-id"),
    pytest.param(
        setter("interventions", 0, "min_units", value=20),
        ["interventions[troubled_families]: min_units 20 is above max_units 10"],
        [frame_set("interventions", 0, "min_units", 20)],
        ["interventions[troubled_families]: min_units 20 is above max_units 10 (table "
         "interventions, row 0)"],
        id="min-units-above-max"),
    pytest.param(
        setter("interventions", 0, "unit_cost", value=[10, 10, 10]),
        ["interventions[troubled_families].unit_cost: the profile has 3 entries but the "
         "horizon has 2 years (2020..2021)"],
        [frame_append("costs", {"intervention": "troubled_families", "year": 2030,
                                "unit_cost": 10})],
        ["interventions[troubled_families].unit_cost: year 2030 is outside the horizon "
         "2020..2021 (table costs, row 4, column unit_cost)"],
        id="outside-the-horizon"),
    pytest.param(
        setter("interventions", 0, "unit_costs", value=5),
        ["interventions[troubled_families].unit_costs: unknown field — did you mean "
         "'unit_cost'?"],
        [lambda f: f.update(costs=f["costs"].rename(columns={"unit_cost": "unit_costs"}))],
        ["table costs, column 'unit_costs': unknown column — did you mean 'unit_cost'?"],
        id="unknown-field"),
]


def problems(build: Callable[[], object]) -> list[str]:
    with pytest.raises(pbo.InputError) as caught:
        build()
    return caught.value.problems


@pytest.mark.parametrize(("change", "messages", "frame_changes", "frame_messages"), BAD_INPUT)
def test_bad_input_is_located_whichever_way_it_is_built(
        change: Callable[[Data], None], messages: list[str],
        frame_changes: list[Callable[[dict[str, Any]], None]],
        frame_messages: list[str]) -> None:
    """Each bad-input kind of the file tests, given through the constructors (each item's
    class, then Scenario), Scenario(**data), Scenario.model_validate and the frames, raises
    pbo's InputError (never pydantic's ValidationError) with the file's located messages; the
    frames' also say the table, row and column."""
    data = changed(change)
    assert problems(lambda: by_constructors(copy.deepcopy(data))) == messages
    assert problems(lambda: pbo.Scenario(**copy.deepcopy(data))) == messages
    assert problems(lambda: pbo.Scenario.model_validate(copy.deepcopy(data))) == messages
    frames = frames_of(BASE)
    for frame_change in frame_changes:
        frame_change(frames)
    assert problems(lambda: pbo.scenario_from_frames(**frames)) == frame_messages


def test_frames_take_records_and_say_the_index_label() -> None:
    """A table may be row mappings or columns by name; a row is named by its index label;
    a blank cell (NaN) is left out, as an empty cell of the workbook is."""
    sc = pbo.scenario_from_frames(
        partners=[{"id": "council", "name": None}],
        budgets={"partner": ["council", "council"], "year": [2020, 2021],
                 "poolable_budget": [5.0, float("nan")]},
        start_year=2020, years=2)
    assert sc.partners[0].poolable_budget == (5.0, 0.0)
    assert sc.partners[0].name == ""
    budgets = pd.DataFrame({"partner": ["council"], "year": [2020], "poolable_budget": [-1]},
                           index=["first"])
    assert problems(lambda: pbo.scenario_from_frames(
        partners=pd.DataFrame({"id": ["council"]}), budgets=budgets, start_year=2020,
        years=1)) == ["partners[council].poolable_budget: year 2020: must be >= 0, not -1 "
                      "(table budgets, row first, column poolable_budget)"]
    assert problems(lambda: pbo.scenario_from_frames(
        partners=pd.DataFrame({"id": ["council"]}), years=1)) == [
        "start_year: required field is missing"]


def test_items_built_alone_are_located_as_in_a_scenario() -> None:
    """A Partner, a red line or CostSharing built on its own says where it would sit."""
    assert problems(lambda: pbo.Partner(id="police", poolable_budget=-5)) == [
        "partners[police].poolable_budget: must be >= 0, not -5"]
    assert problems(lambda: pbo.MaxShare(id="cap", rule="max_share", partner="p",
                                         share=2)) == ["red_lines[cap].share: must be <= 1, not 2"]
    assert problems(lambda: pbo.CostSharing(rule="fair")) == [
        "cost_sharing.rule: Input should be 'optimise', 'benefit_share', 'fixed' or 'core'; got "
        "'fair'"]


# ------------------------------------------------------------------ results for programs
def test_every_result_has_tables_json_and_a_schema_its_json_fits() -> None:
    """plan, sensitivity, sweep, compare, explain, explain-intervention and audit: tables()
    are DataFrames, to_json() fits the result's model (unknown keys are refused), and
    `pbo schema --result KIND` prints that model's JSON Schema."""
    sc = pbo.load_scenario(pbo.example_path("tutorial"))
    plan = pbo.solve(sc, options=FAST)
    results: dict[str, Any] = {
        "plan": plan,
        "sensitivity": pbo.sensitivity(sc, pairs=2),
        "sweep": pbo.sweep(sc, ["interventions.hub.unit_cost=1e5:2e5:2"], options=FAST),
        "compare": pbo.compare(sc, sc.with_changes({"interventions.hub.unit_cost": 150000})),
        "explain": pbo.explain(sc.with_changes({"targets.council_savings.min": 1e8})),
        "explain-intervention": pbo.explain_intervention(sc, "handyperson"),
        "audit": pbo.audit(plan),
    }
    assert set(results) == set(RESULT_KINDS)
    runner = CliRunner()
    for kind, result in results.items():
        tables = result.tables()
        assert tables, kind
        assert all(isinstance(t, pd.DataFrame) for t in tables.values()), kind
        payload = result.to_json()
        result_model(kind).model_validate(payload)
        with pytest.raises(ValidationError, match="xtra"):
            result_model(kind).model_validate({**payload, "unexpected": 1})
        printed = runner.invoke(app, ["schema", "--result", kind])
        assert printed.exit_code == 0, printed.output
        assert '"properties"' in printed.output
    explained = results["explain"].tables()
    assert list(explained["shortfalls"]["id"]) == ["council_savings"]
    assert runner.invoke(app, ["schema", "--result", "plans"]).exit_code == 2


def test_every_public_name_resolves() -> None:
    """Each name in pbo.__all__ loads from its one home; an unknown name is an
    AttributeError."""
    for name in pbo.__all__:
        assert getattr(pbo, name) is not None, name
    assert sorted(dir(pbo)) == sorted(pbo.__all__)
    with pytest.raises(AttributeError):
        _ = pbo.no_such_name


# ------------------------------------------------------------------ docs that run
LIBRARY_MODULES = ["pbo", "pbo.models.scenario", "pbo.models.io.frames",
                   "pbo.models.io.examples", "pbo.optimizer.analyses.sweep",
                   "pbo.optimizer.analyses.compare", "pbo.optimizer.present.publish",
                   "pbo.optimizer.present.result_schemas"]


@pytest.mark.parametrize("name", LIBRARY_MODULES)
def test_the_library_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    outcome = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert outcome.attempted > 0
    assert outcome.failed == 0


def test_the_readme_library_section_is_a_doctest() -> None:
    """README.md's "As a library" section runs as written (a doctest)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## As a library", 1)[1].split("\n## ", 1)[0]
    test = doctest.DocTestParser().get_doctest(section, {}, "README: As a library",
                                               "README.md", 0)
    assert len(test.examples) >= 5
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_json_results_read_a_row_a_line() -> None:
    """The JSON layout of every written result: a table (a list of rows) is a row a line,
    even when it and what holds it are short; a flat row or list, and a short value that
    nests little (an intervention of the scenario echoed in meta), stay on one line; the
    text is the same data."""
    from pbo.models.io.export import json_text

    payload = {
        "points": [{"x": 1, "objective": 2.0}, {"x": 2, "objective": 3.0}],
        "totals": [1.5, 2.5],
        "meta": {"scenario": {"interventions": [
            {"id": "hub", "unit_cost": [1.0, 2.0], "benefits": {"council": [0.0, 3.0]}}]}},
        "empty": [],
    }
    text = json_text(payload)
    assert json.loads(text) == payload
    assert text.splitlines() == [
        "{",
        '  "points": [',
        '    {"x": 1, "objective": 2.0},',
        '    {"x": 2, "objective": 3.0}',
        "  ],",
        '  "totals": [1.5, 2.5],',
        '  "meta": {',
        '    "scenario": {',
        '      "interventions": [',
        '        {"id": "hub", "unit_cost": [1.0, 2.0], "benefits": {"council": [0.0, 3.0]}}',
        "      ]",
        "    }",
        "  },",
        '  "empty": []',
        "}",
    ]
    small = {"points": payload["points"]}  # a short file holding only a table (pbo shares)
    assert json_text(small).count("\n") == 6  # {, "points": [, two rows, ], }
