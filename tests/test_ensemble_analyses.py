"""Sweeps, sensitivity and coalition values on the ensemble runner (issue 14): the same
figures, in the same order, on one worker (in this process), two local worker processes and
a Dask LocalCluster; and the hand-computed answers hold on each."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import UsageError
from pbo.models.io.loading import read_data, scenario_from_data
from pbo.optimizer.analyses.sensitivity import sensitivity
from pbo.optimizer.analyses.shares import shares
from pbo.optimizer.analyses.sweep import SweepParam, sweep
from tests.conftest import SCENARIOS
from tests.test_sensitivity import ranked_data
from tests.test_shares import three_partner_game
from tests.test_whatif import fresh_objective

TUTORIAL = SCENARIOS / "tutorial.yaml"


def figures(result: Any) -> list[dict[str, Any]]:
    """Every point's plan without its timings (meta)."""
    return [r.model_dump(exclude={"meta"}) for r in result.results]


@pytest.mark.parametrize(("spec", "rebuilds"), [
    ("targets.council_savings.min=0:600000:7", 0),       # rows swapped in place
    ("interventions.hub.unit_cost=100000:300000:3", 2),  # the objective changes: rebuilt
])
def test_a_sweep_on_two_workers_gives_the_serial_points(spec, rebuilds):
    """Each point equals a from-scratch solve (as test_whatif checks serially), and the two
    local workers give the serial points' figures exactly, in order, rebuilds included."""
    data = read_data(TUTORIAL)
    param = SweepParam.parse(spec)
    one = sweep(data, [param])
    two = sweep(data, [param], workers=2)
    assert figures(two) == figures(one)
    assert two.points == one.points
    assert two.rebuilds == one.rebuilds == rebuilds
    for value, res in zip(param.values, two.results, strict=True):
        status, objective = fresh_objective(data, [(param.path, value)])
        assert res.status == status
        assert res.objective == (None if objective is None else pytest.approx(objective,
                                                                              rel=1e-7))


def test_a_sweep_on_a_dask_cluster_gives_the_serial_points():
    from distributed import LocalCluster

    data = read_data(TUTORIAL)
    params = [SweepParam.parse("targets.council_savings.min=0:200000:2"),
              SweepParam.parse("partners.police.poolable_budget=200000:400000:3")]
    one = sweep(data, params)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        dask = sweep(data, params, scheduler=cluster.scheduler_address)
    assert figures(dask) == figures(one)
    assert dask.points == one.points


def test_sensitivity_on_two_workers_gives_the_serial_ranking_and_pairs():
    """RANKED (tests/test_sensitivity.py): values must_z 30, cap 20, b_out 0; pairs
    must_z+cap 50 (interaction 0), must_z+b_out 30 (0), cap+b_out 120 (+100)."""
    sc = scenario_from_data(ranked_data())
    one = sensitivity(sc, pairs=3)
    calls: list[tuple[int, int]] = []
    two = sensitivity(sc, pairs=3, workers=2, progress=lambda k, n: calls.append((k, n)))
    strip = {"timings"}
    assert {k: v for k, v in two.to_json().items() if k not in strip} == {
        k: v for k, v in one.to_json().items() if k not in strip}
    assert [(r.id, r.value) for r in two.red_lines] == [
        ("must_z", pytest.approx(30)), ("cap", pytest.approx(20)), ("b_out", pytest.approx(0))]
    assert {(p.first, p.second): p.interaction for p in two.pairs} == {
        ("must_z", "cap"): pytest.approx(0), ("must_z", "b_out"): pytest.approx(0),
        ("cap", "b_out"): pytest.approx(100)}
    assert two.timings["runs"] == one.timings["runs"]  # the workers' solves are counted
    assert sorted(calls) == [(k, 6) for k in range(1, 7)]


def test_exact_shapley_on_two_workers_gives_the_serial_shares():
    """tests/test_shares.py's hand-computed game: Shapley a 800/6, b 200/6, c 500/6; the
    least core leaves b 25 and epsilon -25."""
    sc = three_partner_game()
    one = shares(sc)
    two = shares(sc, workers=2)
    strip = {"seconds"}
    assert {k: v for k, v in two.to_json().items() if k not in strip} == {
        k: v for k, v in one.to_json().items() if k not in strip}
    got = {p.id: p.shapley for p in two.partners}
    assert got == {"a": pytest.approx(800 / 6), "b": pytest.approx(200 / 6),
                   "c": pytest.approx(500 / 6)}
    assert two.epsilon == pytest.approx(-25)
    assert two.solves == one.solves == 7  # every non-empty coalition, once


def test_sampled_shapley_on_two_workers_gives_the_serial_estimate():
    sc = three_partner_game()
    one = shares(sc, "shapley", samples=12, seed=3)
    two = shares(sc, "shapley", samples=12, seed=3, workers=2)
    assert [(p.shapley, p.shapley_se) for p in two.partners] == [
        (p.shapley, p.shapley_se) for p in one.partners]


def test_zero_workers_is_a_usage_error():
    data = read_data(TUTORIAL)
    with pytest.raises(UsageError, match="--workers 0"):
        sweep(data, ["targets.council_savings.min=0:1:2"], workers=0)
    with pytest.raises(UsageError, match="--workers 0"):
        sensitivity(scenario_from_data(ranked_data()), workers=0)
    result = CliRunner().invoke(app, ["shares", str(TUTORIAL), "--workers", "0"])
    assert result.exit_code == 2, result.output


def test_cli_sweep_on_two_workers_prints_the_serial_table(tmp_path):
    args = ["sweep", str(TUTORIAL), "--set", "targets.council_savings.min=0:600000:4"]
    one = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "one.csv")])
    two = CliRunner().invoke(app, [*args, "--workers", "2", "--out", str(tmp_path / "two.csv")])
    assert one.exit_code == two.exit_code == 0, two.output
    assert (tmp_path / "two.csv").read_text() == (tmp_path / "one.csv").read_text()


@dataclass(frozen=True)
class DyingJob:
    """Task k's result is k squared; the first task any worker process runs kills that
    process (once: the marker file says it happened)."""

    key: str
    marker: str
    parent: int

    def setup(self) -> None:
        return None

    def run(self, state: None, k: int) -> dict[str, Any]:
        if os.getpid() != self.parent and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os._exit(1)
        return {"k": k, "square": k * k}


def test_a_killed_local_worker_process_loses_no_task_and_doubles_none(tmp_path):
    from pbo.optimizer.ensemble.runner import run_ensemble

    job = DyingJob("dying", str(tmp_path / "died"), os.getpid())
    path = tmp_path / "ck.jsonl"
    run = run_ensemble(job, 12, workers=2, chunk=1, checkpoint=path)
    assert (tmp_path / "died").exists()
    assert run.restarts == 1
    assert run.results == [{"k": k, "square": k * k} for k in range(12)]
    indices = [json.loads(line)["index"] for line in path.read_text().splitlines()[1:]]
    assert sorted(indices) == list(range(12))  # every task, exactly once
