"""Sweeps, named scenarios and compare: the persistent path equals fresh solves."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import InputError
from pbo.models.io.loading import load_scenario, read_data, scenario_from_data
from pbo.models.overrides import apply_overrides
from pbo.optimizer.analyses.compare import compare
from pbo.optimizer.analyses.sweep import SweepParam, sweep
from pbo.optimizer.solving.highs import SolverOptions
from pbo.optimizer.solving.plan import solve
from tests.conftest import SCENARIOS

TUTORIAL = SCENARIOS / "tutorial.yaml"
FRESH = SolverOptions(check_binding=False)


def fresh_objective(data, changes):
    result = solve(scenario_from_data(apply_overrides(data, changes)), options=FRESH)
    return result.status, result.objective


def test_overrides_copy_the_changed_path_and_leave_the_input_alone():
    """A change by id inside a list, one that creates a missing mapping, and a top-level
    one: the copy has each; the input, read again, is unchanged; what no change reaches is
    shared (not copied) and equal."""
    data = read_data(TUTORIAL)
    before = read_data(TUTORIAL)
    out = apply_overrides(data, [("targets.council_savings.min", 123.0),
                                 ("partners.police.poolable_budget", {2020: 5.0}),
                                 ("cost_sharing.rule", "benefit_share"),
                                 ("name", "changed")])
    assert data == before
    target = next(t for t in out["targets"] if t["id"] == "council_savings")
    assert target["min"] == 123.0
    police = next(p for p in out["partners"] if p["id"] == "police")
    assert police["poolable_budget"] == {2020: 5.0}
    assert out["cost_sharing"]["rule"] == "benefit_share"
    assert out["name"] == "changed"
    assert out["interventions"] is data["interventions"]
    council = next(p for p in out["partners"] if p["id"] == "council")
    assert council is next(p for p in data["partners"] if p["id"] == "council")


@pytest.mark.parametrize(("spec", "rebuilds"), [
    ("targets.council_savings.min=0:600000:7", 0),            # target bound: in place
    ("partners.police.poolable_budget=100000:600000:4", 0),   # budget and its max_share cap
    ("red_lines.police_cap.share=0.1:0.9:4", 0),              # red-line parameter
    ("interventions.hub.unit_cost=100000:300000:3", 2),       # objective changes: rebuilt
])
def test_sweep_matches_fresh_solves(spec, rebuilds):
    """Every point of a sweep has the status and objective of a from-scratch solve."""
    data = read_data(TUTORIAL)
    param = SweepParam.parse(spec)
    result = sweep(data, [param])
    assert result.rebuilds == rebuilds
    assert len(result.results) == param.points
    for value, res in zip(param.values, result.results, strict=True):
        status, objective = fresh_objective(data, [(param.path, value)])
        assert res.status == status
        if objective is None:
            assert res.objective is None
        else:
            assert res.objective == pytest.approx(objective, rel=1e-7)


def test_sweep_points_after_the_first_build_nothing():
    """A swept target's rows are swapped into the model built for the first point: only
    that point's meta counts build and load seconds; the others re-solve, and say 0."""
    result = sweep(read_data(TUTORIAL),
                   [SweepParam.parse("targets.council_savings.min=0:200000:3")])
    assert result.rebuilds == 0
    first, *later = (r.meta.stage_seconds for r in result.results)
    assert first["build"] > 0
    assert first["load"] > 0
    assert all(s["build"] == 0.0 and s["load"] == 0.0 and s["objective"] > 0 for s in later)


def test_sweep_savings_target_shows_price_of_ambition_and_the_cliff():
    """Raising the council's savings target costs the partnership value until it becomes
    infeasible: the objective falls monotonically, then the status turns infeasible."""
    data = read_data(TUTORIAL)
    result = sweep(data, [SweepParam.parse("targets.council_savings.min=0:600000:7")])
    table = result.table()
    feasible = table[table.status == "optimal"]
    assert list(feasible.objective) == sorted(feasible.objective, reverse=True)
    assert table.status.iloc[-1] == "infeasible"
    assert (feasible.objective_change_per_unit.dropna() < 0).all()


def test_two_parameter_grid():
    data = read_data(TUTORIAL)
    params = [SweepParam.parse("targets.council_savings.min=0:200000:2"),
              SweepParam.parse("partners.police.poolable_budget=200000:400000:2")]
    result = sweep(data, params)
    assert len(result.points) == 4
    for row in result.points:
        changes = [(p.path, row[p.path]) for p in params]
        _, objective = fresh_objective(data, changes)
        assert row["objective"] == pytest.approx(objective, rel=1e-7)


@pytest.mark.parametrize("bad", ["targets.council_savings.min=0:1", "x=a:b:3", "x=0:1:0",
                                 "novalue"])
def test_bad_sweep_spec(bad):
    with pytest.raises(InputError):
        SweepParam.parse(bad)


def test_named_scenarios_apply_in_order(tmp_path):
    """`scenarios:` overrides apply like --set, in order: a later one setting a path wins."""
    text = TUTORIAL.read_text() + (
        "\nscenarios:\n"
        "  dear_hub: {interventions.hub.unit_cost: 900000}\n"
        "  rich_police: {partners.police.poolable_budget: 900000}\n"
        "  also_hub: {interventions.hub.unit_cost: 1}\n")
    path = tmp_path / "named.yaml"
    path.write_text(text)
    sc = load_scenario(path, scenarios=["dear_hub", "rich_police"])
    assert sc.intervention["hub"].unit_cost == (900000.0,) * 3
    assert sc.partner["police"].poolable_budget == (900000.0,) * 3
    assert load_scenario(path, scenarios=["dear_hub", "also_hub"]).intervention[
        "hub"].unit_cost == (1.0,) * 3
    assert load_scenario(path, scenarios=["also_hub", "dear_hub"]).intervention[
        "hub"].unit_cost == (900000.0,) * 3
    assert load_scenario(path, [("interventions.hub.unit_cost", 5)], scenarios=[
        "dear_hub"]).intervention["hub"].unit_cost == (5.0,) * 3
    with pytest.raises(InputError, match="did you mean 'dear_hub'"):
        load_scenario(path, scenarios=["dear_hb"])
    result = solve(load_scenario(path, scenarios=["dear_hub"]), options=FRESH)
    assert not next(r for r in result.interventions if r.id == "hub").selected


def test_compare_reports_input_changes_and_moves():
    a = load_scenario(TUTORIAL)
    b = load_scenario(TUTORIAL, overrides=[("partners.police.poolable_budget", 100000)])
    ra, rb = solve(a, options=FRESH), solve(b, options=FRESH)
    c = compare(a, b, ra, rb)
    assert [row["path"] for row in c.input_changes] == ["partners.police.poolable_budget"]
    assert c.objective_change == pytest.approx(rb.objective - ra.objective)
    moved = c.interventions().set_index("intervention")
    assert moved.loc["family_keyworkers", "change"] == "scaled"
    payload = c.to_json()
    assert set(payload) == {"input_changes", "objective", "status", "interventions", "partners"}


def test_cli_sweep_and_compare(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sweep.json"
    plot = tmp_path / "sweep.html"
    res = runner.invoke(app, ["sweep", str(TUTORIAL), "--set",
                              "targets.council_savings.min=0:600000:4", "--out", str(out),
                              "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    assert out.exists()
    assert "<svg" in plot.read_text()
    assert "http" not in plot.read_text().replace("http://www.w3.org/2000/svg", "")
    res = runner.invoke(app, ["compare", str(TUTORIAL), str(TUTORIAL)])
    assert res.exit_code == 0, res.output
    assert "The inputs are the same" in res.output
    res = runner.invoke(app, ["compare", str(TUTORIAL)])
    assert res.exit_code == 2


def test_cli_sweep_png_marks_infeasible_points(tmp_path):
    """`--plot .png` writes a real PNG (magic bytes, sensible size) even when some points
    have no plan (a savings target past what any plan reaches)."""
    plot = tmp_path / "sweep.png"
    res = CliRunner().invoke(app, ["sweep", str(TUTORIAL), "--set",
                                   "targets.council_savings.min=0:1e9:3", "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    data = plot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 5_000
    assert "infeasible" in res.output


def test_cli_sweep_csv_is_the_named_file(tmp_path):
    """`--out sweep.csv` writes sweep.csv itself (one table), nothing beside it."""
    out = tmp_path / "sweep.csv"
    res = CliRunner().invoke(app, ["sweep", str(TUTORIAL), "--set",
                                   "targets.council_savings.min=0:600000:4", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep.csv"]
    assert out.read_text(encoding="utf-8").count("\n") == 5  # header + 4 points


@pytest.mark.parametrize("args", [
    ["solve", str(TUTORIAL), "--out", "plan.txt"],
    ["sweep", str(TUTORIAL), "--set", "targets.council_savings.min=0:1:2", "--out", "s.xlsx"],
    ["compare", str(TUTORIAL), str(TUTORIAL), "--out", "c.csv"],
    ["sensitivity", str(TUTORIAL), "--out", "s.csv"],
    ["explain", str(TUTORIAL), "--out", "e.yaml"],
    ["report", str(TUTORIAL), "--out", "pack.pdf"],
], ids=lambda a: a[0])
def test_an_unwritable_out_suffix_is_refused_before_solving(tmp_path, args):
    """Exit 2 (usage) with the formats the command writes, before anything is solved."""
    args = [str(tmp_path / a) if a.split(".")[-1] in ("txt", "xlsx", "csv", "yaml", "pdf")
            else a for a in args]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    assert ": expected ." in res.output
    assert "optimal" not in res.output
    assert "£" not in res.output
    assert list(tmp_path.iterdir()) == []


def test_cli_sweep_with_no_plan_anywhere_exits_4(tmp_path):
    """Review: every point infeasible printed a traceback; now the table, then exit 4."""
    res = CliRunner().invoke(app, ["sweep", str(TUTORIAL), "--set",
                                   "targets.council_savings.min=1e9:2e9:2"])
    assert res.exit_code == 4, res.output
    assert "infeasible" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_cli_sweep_of_one_path_twice_is_a_usage_error():
    res = CliRunner().invoke(app, ["sweep", str(TUTORIAL), "--set",
                                   "partners.police.poolable_budget=0:10:2", "--set",
                                   "partners.police.poolable_budget=5:6:2"])
    assert res.exit_code == 2, res.output
    assert "a sweep varies two different inputs" in res.output


def test_cli_convert_to_an_unknown_format_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(app, ["convert", str(TUTORIAL), str(tmp_path / "x.txt")])
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.parametrize(("path", "value"), [
    ("targets.council_savings.min", 1.0),
    ("partners.police.poolable_budget", 123456.0),
    ("red_lines.police_cap.share", 0.25),
])
def test_a_changed_bound_budget_or_red_line_parameter_changes_no_derived_map(path, value):
    """update_in_place gives a sweep point the base model's data with the new scenario
    (ModelData.with_scenario) instead of deriving every map again: right only because none
    of the maps is derived from a field the what-if swaps in place. Checked on the
    whole-place example (eligibility classes split by its red lines) for each kind of
    field: every map of a fresh from_scenario equals the shared one, and the canonical
    scenario is the new one's."""
    import dataclasses

    from pbo.optimizer.formulation.data import ModelData
    from pbo.optimizer.formulation.whatif import in_place_path

    assert in_place_path(path)
    data = read_data(SCENARIOS / "whole_place_example.yaml")
    base = ModelData.from_scenario(scenario_from_data(data))
    changed = scenario_from_data(apply_overrides(data, [(path, value)]))
    fresh, shared = ModelData.from_scenario(changed), base.with_scenario(changed)
    assert fresh.classes  # the reduced formulation's classes are among the maps compared
    for f in dataclasses.fields(ModelData):
        if f.name not in ("scenario", "canon"):
            assert getattr(shared, f.name) == getattr(fresh, f.name), f.name
    assert shared.scenario is changed
    assert shared.canon == fresh.canon
    assert shared.canon != base.canon


def test_a_sweep_point_whose_budget_highs_would_read_as_no_limit_is_refused():
    """A budget swapped in place goes through the same magnitude check as a fresh build:
    `pbo solve --set partners.police.poolable_budget=1e21` is refused (HiGHS reads 1e20 and
    above as no limit), so a sweep reaching 1e21 is refused too, naming the value, rather
    than solving its last point with no budget at all."""
    data = read_data(TUTORIAL)
    with pytest.raises(InputError) as caught:
        sweep(data, ["partners.police.poolable_budget=1e5:1e21:2"])
    assert any("partners[police].poolable_budget 1e+21" in p for p in caught.value.problems)
