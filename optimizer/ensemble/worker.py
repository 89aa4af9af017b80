"""What runs in a worker process: build the job's model once, then run chunks of tasks.

A model does not travel between processes; the job (the scenario and what each task
changes) does, and each worker keeps what `job.setup()` built for the job it last ran. That
per-process cache is the one piece of state here, and it lives only in worker processes (and
in the caller's process for a serial run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class Job(Protocol):
    """Many independent tasks of one model. Must pickle (it is sent to each worker)."""

    @property
    def key(self) -> str:
        """Hash of everything the results depend on: checkpoints and worker caches use it."""

    def setup(self) -> Any:
        """Build what every task re-uses (the model, a HiGHS session): once per worker."""

    def run(self, state: Any, index: int) -> dict[str, Any]:
        """Task `index`: a result that depends only on the job and the index (JSON-able when
        the run is checkpointed; else anything that pickles)."""


_BUILT: dict[str, Any] = {}


def model_key(job: Job) -> str:
    """What a worker's built state is kept under: `job.model_key` when the job has one (jobs
    of one model with other tasks, e.g. sensitivity's singles then pairs), else its key."""
    return str(getattr(job, "model_key", None) or job.key)


def run_chunk(job: Job, indices: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
    """Run tasks `indices` of `job` with this process's built model (built on first use)."""
    key = model_key(job)
    state = _BUILT.get(key)
    if state is None:
        _BUILT.clear()
        state = _BUILT[key] = job.setup()
    return [(k, job.run(state, k)) for k in indices]


_JOB: list[Job] = []


def install(job: Job) -> None:
    """A local worker process's initializer: the job, sent once, for `run_installed`."""
    _JOB[:] = [job]


def run_installed(indices: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
    """Run tasks `indices` of the job this process was started with (`install`)."""
    return run_chunk(_JOB[0], indices)


def adopt(job: Job, state: Any) -> None:
    """Use `state` (what the caller already built, as `job.setup()` would) for a serial run
    in this process, so the model is not built twice."""
    _BUILT.clear()
    _BUILT[model_key(job)] = state


def job_key(payload: Any) -> str:
    """A job's key: the hash of everything its results depend on."""
    import hashlib
    import json

    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def forget() -> None:
    """Drop this process's built model (after a serial run, in the caller's process)."""
    _BUILT.clear()
