"""The ensemble runner: serial, local processes and Dask give the same results; a killed
worker's tasks are re-run and counted once; an interrupted run resumes to the same result."""

from __future__ import annotations

import json
import os
import signal

import pytest
import yaml

from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.analyses.risk import risk
from pbo.optimizer.ensemble.runner import Interrupted
from tests.conftest import SCENARIOS

N = 8


def _scenario():
    data = yaml.safe_load((SCENARIOS / "tutorial.yaml").read_text())
    data["uncertainty"] = {"inputs": [
        {"path": "interventions.*.unit_cost", "distribution": "triangular", "low": 0.8,
         "mode": 1.0, "high": 1.5, "group": "costs"},
        {"path": "interventions.family_keyworkers.benefits", "distribution": "lognormal",
         "median": 1.0, "sigma": 0.3}]}
    return scenario_from_data(data)


@pytest.fixture(scope="module")
def serial():
    return risk(_scenario(), N, seed=11, workers=1).samples


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as c:
        yield c


def test_two_local_workers_give_the_serial_results(serial):
    r = risk(_scenario(), N, seed=11, workers=2)
    assert r.manifest["backend"] == "local"
    assert r.manifest["workers"] == 2
    assert r.samples == serial


def test_a_dask_cluster_gives_the_serial_results(serial, cluster):
    r = risk(_scenario(), N, seed=11, scheduler=cluster.scheduler_address)
    assert r.manifest["backend"] == "dask"
    assert r.samples == serial


def test_a_killed_dask_worker_loses_no_sample_and_doubles_none(serial, cluster, tmp_path):
    from distributed import Client

    with Client(cluster.scheduler_address) as client:
        pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(done: int, total: int) -> None:
        if done >= 1 and not killed:
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    path = tmp_path / "ck.jsonl"
    from pbo.optimizer.ensemble import runner

    job_samples = N  # one sample a chunk on 2 workers: the kill lands mid-run
    r = risk(_scenario(), job_samples, seed=11, scheduler=cluster.scheduler_address,
             checkpoint=path, progress=kill_one)
    assert killed
    lines = path.read_text().splitlines()[1:]
    indices = [json.loads(line)["index"] for line in lines]
    assert sorted(indices) == list(range(job_samples))  # every sample, exactly once
    assert len(r.samples) == job_samples
    for k, (a, b) in enumerate(zip(r.samples, serial, strict=True)):
        assert a == b, (k, {key: (a[key], b[key]) for key in a if a[key] != b[key]})
    assert runner.SCHEDULER_ENV == "PBO_SCHEDULER"


def test_an_interrupted_run_resumes_to_the_uninterrupted_result(serial, tmp_path):
    path = tmp_path / "ck.jsonl"

    def stop(done: int, total: int) -> None:
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(Interrupted) as err:
        risk(_scenario(), N, seed=11, workers=1, checkpoint=path, progress=stop)
    assert "--resume" in str(err.value)
    kept = err.value.done
    assert 2 <= kept < N
    r = risk(_scenario(), N, seed=11, workers=1, checkpoint=path, resume=True)
    assert r.manifest["resumed"] == kept
    assert r.samples == serial
    lines = path.read_text().splitlines()[1:]
    assert sorted(json.loads(line)["index"] for line in lines) == list(range(N))


def test_resume_refuses_another_runs_checkpoint(tmp_path):
    from pbo.models.errors import UsageError

    path = tmp_path / "ck.jsonl"
    risk(_scenario(), 2, seed=1, workers=1, checkpoint=path, reoptimise=False)
    with pytest.raises(UsageError, match="another run"):
        risk(_scenario(), 2, seed=2, workers=1, checkpoint=path, resume=True,
             reoptimise=False)


def test_a_sample_swapped_into_the_workers_model_solves_as_if_built_for_it(serial):
    """Each sample on a fresh worker state (its own model loaded into HiGHS) gives what the
    serial run gave with every later sample's numbers swapped into the first model."""
    from pbo.optimizer.analyses.risk import make_job
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve

    sc = _scenario()
    options = SolverOptions(check_binding=False)
    job, *_ = make_job(sc, solve(sc, None, options), N, 11, "lhs", True, options)
    for k in (N - 1, N - 2):
        assert job.run(job.setup(), k) == serial[k]


def test_a_sample_of_another_shape_is_not_swapped_in():
    """A zero cost drawn non-zero adds payment variables (in the full formulation, one per
    partner, intervention and year): that sample needs its own model."""
    from pbo.optimizer.analyses.risk_inplace import Loaded
    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.solving.highs import HighsSession

    sc = _scenario()
    built = build_model(sc, formulation="full")
    loaded = Loaded.of(built, HighsSession(built))
    data = sc.model_dump(by_alias=True)
    data.pop("uncertainty")
    same = [dict(i) for i in data["interventions"]]
    same[0]["unit_cost"] = [2 * c for c in same[0]["unit_cost"]]
    assert loaded.load(build_model(scenario_from_data({**data, "interventions": same}),
                                   formulation="full"))
    other = [dict(i) for i in data["interventions"]]
    other[2]["unit_cost"] = [500, 500, 500]  # handyperson cost only 2015 at the point
    assert not loaded.load(build_model(scenario_from_data({**data, "interventions": other}),
                                       formulation="full"))
