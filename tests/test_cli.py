"""The command line (SPEC section 5) through typer's CliRunner: commands, result files,
--set, --objective, and the exit statuses 0, 1, 2 and 4."""

from __future__ import annotations

import csv
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pbo.cli import app

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"

runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def tutorial_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`pbo solve scenarios/tutorial.yaml --out x.json`, once for the module."""
    out = tmp_path_factory.mktemp("solve") / "x.json"
    result = invoke("solve", TUTORIAL, "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("validate", "solve", "schema"):
        assert command in result.output


def test_validate_the_tutorial() -> None:
    result = invoke("validate", TUTORIAL)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # rich wraps at the terminal width
    assert text.startswith("ok:")
    assert "3 partners, 4 interventions, 2 targets, 2 red lines, 2015..2017" in text


def test_schema_describes_the_scenario_format() -> None:
    """The printed JSON Schema names every key the tutorial uses, requires what the format
    requires, and forbids unknown keys."""
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    scenario = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))

    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"start_year", "years", "partners"}
    assert set(schema["required"]) <= set(scenario)
    assert set(scenario) <= set(schema["properties"])

    defs = schema["$defs"]
    for section, model in (("partners", "Partner"), ("interventions", "Intervention"),
                           ("targets", "Target")):
        fields = defs[model]["properties"]
        assert defs[model]["additionalProperties"] is False
        for item in scenario[section]:
            assert set(item) <= set(fields), (section, set(item) - set(fields))
            assert set(defs[model].get("required", [])) <= set(item)
    assert {"id", "max_units"} <= set(defs["Intervention"]["required"])
    # one definition per red-line rule, each knowing its own fields
    by_rule = {d["properties"]["rule"]["const"]: d for d in defs.values()
               if "rule" in d.get("properties", {}) and "const" in d["properties"]["rule"]}
    assert set(by_rule) == {"no_pooling", "funding_window", "ring_fence", "no_funding",
                            "max_share", "no_worse_off", "exclude_intervention", "must_fund",
                            "spend_cap"}
    for item in scenario["red_lines"]:
        assert set(item) <= set(by_rule[item["rule"]]["properties"])
    # money is non-negative, shares lie in [0, 1]
    assert defs["Intervention"]["properties"]["deadweight"]["maximum"] == 1
    assert defs["Intervention"]["properties"]["max_units"]["minimum"] == 0


def test_solve_json_has_the_spec_keys(tutorial_json: dict[str, Any]) -> None:
    result = tutorial_json
    assert {"status", "objective_name", "objective", "mip_gap", "interventions", "funding",
            "partners", "targets", "red_lines", "meta"} <= set(result)
    assert result["status"] == "optimal"
    assert result["objective_name"] == "net_fiscal_value"
    assert isinstance(result["objective"], float)
    assert result["mip_gap"] == pytest.approx(0.0, abs=1e-6)
    assert {"id", "selected", "units"} <= set(result["interventions"][0])
    assert {r["id"] for r in result["interventions"]} == {
        "family_keyworkers", "youth_diversion", "handyperson", "hub"}
    assert {"partner", "intervention", "year", "amount"} <= set(result["funding"][0])
    assert {"id", "contribution_npv", "cashable_benefit_npv", "net_cashable_savings_npv",
            "payback_year"} <= set(result["partners"][0])
    assert {"id", "required", "achieved", "met"} <= set(result["targets"][0])
    assert {r["id"] for r in result["targets"]} == {"council_savings", "families"}
    assert all(r["met"] for r in result["targets"])
    assert {r["id"] for r in result["red_lines"]} == {"grant_first_year", "police_cap"}
    assert all(isinstance(r["binding"], bool) for r in result["red_lines"])
    meta = result["meta"]
    assert {"engine_version", "solver", "input_sha256", "solve_seconds"} <= set(meta)
    assert meta["solver"].startswith("highs ")
    assert len(meta["input_sha256"]) == 64
    assert meta["solve_seconds"] > 0


def test_solve_csv_writes_one_file_per_table(tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = invoke("solve", TUTORIAL, "--out", out, "--no-binding")
    assert result.exit_code == 0, result.output
    for table in ("interventions", "funding", "partners", "partner_years", "targets",
                  "red_lines"):
        assert (tmp_path / f"x_{table}.csv").is_file(), table
    with (tmp_path / "x_funding.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows
    assert set(rows[0]) == {"partner", "intervention", "year", "amount"}
    with (tmp_path / "x_interventions.csv").open(newline="", encoding="utf-8") as f:
        ids = {row["id"] for row in csv.DictReader(f)}
    assert ids == {"family_keyworkers", "youth_diversion", "handyperson", "hub"}


def test_result_files_are_readable_like_any_new_file(tmp_path: Path) -> None:
    """Written through a temporary file, a result still gets a new file's permissions
    (0o644 under umask 022), not the temporary file's owner-only 0o600; a file it replaces
    keeps its own."""
    old = os.umask(0o022)
    try:
        out = tmp_path / "x.json"
        assert invoke("solve", TUTORIAL, "--out", out, "--no-binding").exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
        out.chmod(0o640)
        assert invoke("solve", TUTORIAL, "--out", out, "--no-binding").exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_out_over_the_input_is_refused(tmp_path: Path) -> None:
    scenario = tmp_path / "tutorial.json"
    scenario.write_text(json.dumps(yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))),
                        encoding="utf-8")
    before = scenario.read_bytes()
    result = invoke("solve", scenario, "--out", scenario)
    assert result.exit_code == 1
    assert "refusing to overwrite the input file" in result.output
    assert "Traceback" not in result.output
    assert scenario.read_bytes() == before


def test_set_changes_the_answer(tmp_path: Path, tutorial_json: dict[str, Any]) -> None:
    """The hub is funded in the base plan; at a unit cost of 1e9 a year it is dropped."""
    base = {r["id"]: r for r in tutorial_json["interventions"]}
    assert base["hub"]["selected"] is True
    assert base["hub"]["units"] == pytest.approx(1.0)

    out = tmp_path / "dear.json"
    result = invoke("solve", TUTORIAL, "--set", "interventions.hub.unit_cost=1e9",
                    "--out", out, "--no-binding")
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    changed = {r["id"]: r for r in plan["interventions"]}
    assert changed["hub"]["selected"] is False
    assert changed["hub"]["units"] == 0.0
    assert not any(r["intervention"] == "hub" for r in plan["funding"])
    assert plan["objective"] < tutorial_json["objective"]
    assert plan["meta"]["overrides"] == [["interventions.hub.unit_cost", 1e9]]


def test_objective_min_cost(tmp_path: Path) -> None:
    """min_cost on the tutorial: the only outcome is families_turned_around, 0.6 per family
    key-worker unit, and the target is >= 60, so 100 units (above min_units 50). Their cost:
    fixed 50,000 + 3,000*100 in 2015, 1,000*100 in 2016 discounted by 1.035:
    50,000 + 300,000 + 100,000/1.035 = 446,618.36. Nothing else is funded (every other
    intervention only adds cost). The 2015 cost 350,000 fits the budgets, and the council
    need pay nothing, so its net cashable savings target (>= 0) holds."""
    out = tmp_path / "cheap.json"
    result = invoke("solve", TUTORIAL, "--objective", "min_cost", "--out", out,
                    "--no-binding")
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["objective_name"] == "min_cost"
    assert plan["objective"] == pytest.approx(50_000 + 300_000 + 100_000 / 1.035)
    units = {r["id"]: r["units"] for r in plan["interventions"]}
    assert units == pytest.approx({"family_keyworkers": 100.0, "youth_diversion": 0.0,
                                   "handyperson": 0.0, "hub": 0.0})
    paid = {}
    for row in plan["funding"]:
        paid[row["year"]] = paid.get(row["year"], 0.0) + row["amount"]
    assert paid == pytest.approx({2015: 350_000.0, 2016: 100_000.0})


def test_unknown_objective_is_a_usage_error() -> None:
    result = invoke("solve", TUTORIAL, "--objective", "max_joy")
    assert result.exit_code == 2
    assert "max_joy" in result.output


def test_infeasible_exits_4_and_still_writes_the_result(tmp_path: Path) -> None:
    """A families target of 1,000 needs 1,000/0.6 = 1,667 key-worker units, above
    max_units 300: proven infeasible."""
    scenario = tmp_path / "scenario.yaml"
    shutil.copy(TUTORIAL, scenario)
    out = tmp_path / "none.json"
    result = invoke("solve", scenario, "--set", "targets.families.min=1000", "--out", out)
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output
    plan = json.loads(out.read_text(encoding="utf-8"))
    assert plan["status"] == "infeasible"
    assert plan["objective"] is None
    assert plan["funding"] == []
    assert plan["meta"]["input_sha256"]


def test_unknown_option_is_a_usage_error() -> None:
    result = invoke("solve", TUTORIAL, "--bogus")
    assert result.exit_code == 2
    assert "--bogus" in result.output


def test_missing_argument_is_a_usage_error() -> None:
    result = invoke("solve")
    assert result.exit_code == 2


def test_convert_to_yaml_states_the_settings_and_whole_numbers(tmp_path: Path) -> None:
    """A converted scenario states its discount rate, currency, objective and cost sharing
    even at their defaults, and writes 200 rather than 200.0; it still validates the same."""
    out = tmp_path / "wp.yaml"
    source = ROOT / "scenarios" / "whole_place_example.yaml"
    assert invoke("convert", source, out).exit_code == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert {"currency", "discount_rate", "objective", "cost_sharing"} <= set(doc)
    assert ".0," not in out.read_text(encoding="utf-8")
    hub = doc["interventions"][0]
    assert all(isinstance(v, int) for v in hub["unit_cost"] if float(v).is_integer())
    from pbo.models.io.loading import load_scenario

    assert load_scenario(out) == load_scenario(source)


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--mip-gap", "1", "0.01 means 1%"), ("--mip-gap", "-0.1", "0.01 means 1%"),
    ("--time-limit", "-1", "more than 0"), ("--time-limit", "0", "more than 0")])
def test_solver_options_are_checked(option: str, value: str, said: str) -> None:
    result = invoke("solve", TUTORIAL, option, value)
    assert result.exit_code == 2
    assert said in result.output
    assert "Traceback" not in result.output


def test_the_recorded_gap_is_the_gap_highs_stopped_at() -> None:
    """With a loose --mip-gap HiGHS may stop short of the optimum and still say 'optimal';
    the result then records the gap it stopped at, which covers the value left behind."""
    from pbo import solve
    from pbo.models.io.loading import load_scenario

    scenario = load_scenario(ROOT / "scenarios" / "whole_place_example.yaml")
    exact = solve(scenario, check_binding=False)
    loose = solve(scenario, check_binding=False, mip_gap=0.5)
    assert exact.mip_gap == pytest.approx(0.0, abs=1e-6)
    assert loose.objective is not None
    assert exact.objective is not None
    left = (exact.objective - loose.objective) / abs(loose.objective)
    assert loose.mip_gap is not None
    assert loose.mip_gap >= left - 1e-9
    if left > 1e-9:
        assert loose.mip_gap > 0


def test_names_are_printed_as_written(tmp_path: Path) -> None:
    """Rich markup and emoji codes in a user's text are not interpreted: '[bold]' and ':b:'
    come out as typed (not styled, not 🅱)."""
    data = yaml.safe_load(TUTORIAL.read_text(encoding="utf-8"))
    data["interventions"][0]["name"] = "Key workers [bold]phase 2[/bold] :b:"
    scenario = tmp_path / "names.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["solve", str(scenario), "--no-binding"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Key workers [bold]phase 2[/bold] :b:" in result.output


def test_csv_figures_are_free_of_round_off(tmp_path: Path) -> None:
    """Partners whose savings exactly cover their payments net £0 (not 1.7e-10), and years
    are written as years (2019, not 2019.0), with a blank where there is none."""
    out = tmp_path / "wp.csv"
    source = ROOT / "scenarios" / "whole_place_example.yaml"
    assert invoke("solve", source, "--out", out, "--no-binding").exit_code == 0
    with (tmp_path / "wp_partners.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    nets = [float(r["net_cashable_savings_npv"]) for r in rows]
    assert 0.0 in nets
    assert not [n for n in nets if 0 < abs(n) < 1e-3]
    assert {r["payback_year"] for r in rows} <= {"", *(str(y) for y in range(2015, 2020))}
    assert "" in {r["payback_year"] for r in rows}
