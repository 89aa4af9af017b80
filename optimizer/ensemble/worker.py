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
        """Task `index`: a JSON-able result that depends only on the job and the index."""


_BUILT: dict[str, Any] = {}


def run_chunk(job: Job, indices: Sequence[int]) -> list[tuple[int, dict[str, Any]]]:
    """Run tasks `indices` of `job` with this process's built model (built on first use)."""
    state = _BUILT.get(job.key)
    if state is None:
        _BUILT.clear()
        state = _BUILT[job.key] = job.setup()
    return [(k, job.run(state, k)) for k in indices]


def forget() -> None:
    """Drop this process's built model (after a serial run, in the caller's process)."""
    _BUILT.clear()
