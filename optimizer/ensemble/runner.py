"""Run every task of a job, in chunks, on local worker processes or a Dask cluster.

Locally (the default) one worker per core: this process and a ProcessPoolExecutor of the
others; on a cluster, a dask.distributed Client (`scheduler="tcp://HOST:8786"`, or the
PBO_SCHEDULER environment variable). Both run the same function, `worker.run_chunk`, over
chunks of tasks; only the client differs. With one worker, chunks run in this process.

Results are checkpointed as they arrive (pbo.optimizer.ensemble.checkpoint); a resumed run
skips what is done. A chunk whose worker died is run again (the local pool is restarted;
Dask re-schedules it by itself), and every task is kept once. Ctrl-C stops the run, keeps
what has finished and raises Interrupted, which says how to resume.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pbo.models.errors import Interrupted as SolveInterrupted
from pbo.models.errors import PboError, SolverError, UsageError
from pbo.optimizer.ensemble.checkpoint import Checkpoint, Memory
from pbo.optimizer.ensemble.worker import Job, adopt, forget, install, run_chunk, run_installed

SCHEDULER_ENV = "PBO_SCHEDULER"
RESTARTS = 3
"""How many times a local pool whose worker died is restarted before the run gives up."""

Progress = Callable[[int, int], None]


class Interrupted(PboError):
    """The run was stopped (Ctrl-C); what finished is in the checkpoint."""

    def __init__(self, done: int, total: int, checkpoint: Path | None):
        self.done, self.total, self.checkpoint = done, total, checkpoint
        where = (f"kept in {checkpoint}; run the same command again with --resume to "
                 "continue" if checkpoint else "not kept (no checkpoint file)")
        super().__init__(f"stopped after {done} of {total} tasks: {where}")


@dataclass
class EnsembleRun:
    """Every task's result, in task order, and how the run went."""

    results: list[dict[str, Any]]
    backend: str
    workers: int
    chunks: int
    resumed: int = 0
    """Tasks found already done in the checkpoint."""
    restarts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


PRELOAD = ("pbo.optimizer.ensemble.worker", "pbo.optimizer.formulation.build",
           "pbo.optimizer.solving.plan", "pbo.optimizer.analyses.risk",
           "pbo.optimizer.analyses.risk_inplace", "pbo.optimizer.analyses.sweep_job",
           "pbo.optimizer.analyses.sensitivity_job", "pbo.optimizer.analyses.coalition_job")
"""Imported once by the process local workers are forked from, so none imports them itself."""


def start_workers(workers: int | None = None) -> None:
    """Start, in the background, the process local worker processes are forked from (it
    imports PRELOAD once, while this process goes on: a caller with other work first, such
    as risk's point solve, calls this before it). Nothing for one worker or on Dask."""
    import multiprocessing
    from multiprocessing import forkserver

    n = workers or os.cpu_count() or 1
    if n <= 1 or os.environ.get(SCHEDULER_ENV):
        return
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
    forkserver.ensure_running()


def check_workers(workers: int | None) -> None:
    """UsageError unless `workers` is None (the default) or at least 1."""
    if workers is not None and workers < 1:
        raise UsageError(f"--workers {workers}: at least 1")


def chunked(indices: Sequence[int], size: int) -> list[list[int]]:
    return [list(indices[k:k + size]) for k in range(0, len(indices), size)]


def chunk_size(tasks: int, workers: int) -> int:
    """About four chunks per worker (a slow chunk does not hold the rest up), at most 64."""
    return max(1, min(64, math.ceil(tasks / max(1, 4 * workers))))


def run_ensemble(job: Job, tasks: int, *, workers: int | None = None,
                 scheduler: str | None = None, checkpoint: Path | None = None,
                 resume: bool = False, chunk: int | None = None,
                 progress: Progress | None = None, state: Any = None) -> EnsembleRun:
    """Run tasks 0..tasks-1 of `job` and return their results in order.

    `state`: what `job.setup()` would build, already built by the caller; a serial run uses
    it instead of building its own (worker processes always build their own)."""
    check_workers(workers)
    scheduler = scheduler or os.environ.get(SCHEDULER_ENV) or None
    store: Checkpoint | Memory = (Checkpoint(checkpoint, job.key, tasks, resume)
                                  if checkpoint else Memory())
    resumed = len(store.done)
    todo = [k for k in range(tasks) if k not in store.done]
    try:
        if scheduler:
            run = _on_dask(job, todo, scheduler, chunk, store, tasks, progress)
        else:
            n = max(1, workers or os.cpu_count() or 1)
            run = _local(job, todo, n, chunk, store, tasks, progress, state)
    except KeyboardInterrupt as exc:
        if store.path is None and isinstance(exc, SolveInterrupted):
            raise  # nothing kept: the solve's own words say what was stopped
        raise Interrupted(len(store.done), tasks, store.path) from None
    finally:
        store.close()
    missing = [k for k in range(tasks) if k not in store.done]
    if missing:
        raise SolverError(f"{len(missing)} of {tasks} tasks did not finish")
    run.results = [store.done[k] for k in range(tasks)]
    run.resumed = resumed
    return run


def _report(store: Checkpoint | Memory, rows: list[tuple[int, dict[str, Any]]], tasks: int,
            progress: Progress | None) -> None:
    store.add(rows)
    if progress:
        progress(len(store.done), tasks)


def guided(indices: Sequence[int], workers: int) -> list[list[int]]:
    """Chunks that shrink as the run goes on: each about a quarter of the work left per
    worker (at most 64 tasks), so chunks are few but the last ones are small and no worker
    waits long for another at the end."""
    out, k = [], 0
    while k < len(indices):
        size = max(1, min(64, math.ceil((len(indices) - k) / (4 * workers))))
        out.append(list(indices[k:k + size]))
        k += size
    return out


def _local(job: Job, todo: list[int], workers: int, chunk: int | None,
           store: Checkpoint | Memory, tasks: int, progress: Progress | None,
           state: Any = None) -> EnsembleRun:
    chunks = chunked(todo, chunk) if chunk else guided(todo, workers)
    if progress:
        progress(len(store.done), tasks)
    if workers == 1 or len(chunks) <= 1:
        if state is not None:
            adopt(job, state)
        try:
            for c in chunks:
                _report(store, run_chunk(job, c), tasks, progress)
        finally:
            forget()
        return EnsembleRun(results=[], backend="serial", workers=1, chunks=len(chunks))
    restarts = 0
    pending = chunks
    while pending:
        pending = _pool_pass(job, pending, workers, store, tasks, progress, state)
        if pending:
            restarts += 1
            if restarts > RESTARTS:
                raise SolverError(f"worker processes kept dying ({restarts} restarts)")
    return EnsembleRun(results=[], backend="local", workers=workers, chunks=len(chunks),
                       restarts=restarts)


def _pool_pass(job: Job, chunks: list[list[int]], workers: int, store: Checkpoint | Memory,
               tasks: int, progress: Progress | None, state: Any = None) -> list[list[int]]:
    """Run chunks on `workers` - 1 fresh processes and in this process, the other worker
    (its modules loaded, so it starts at once, while the processes start up); the chunks
    left unfinished if a worker process died.

    The job goes to each process once, when it starts (worker.install); a chunk is only
    its task numbers. Each process has a chunk running and one waiting, so it never waits
    for this process to hand it the next.
    """
    import multiprocessing

    procs = workers - 1
    start_workers(workers)
    context = multiprocessing.get_context("forkserver")
    pool = ProcessPoolExecutor(max_workers=procs, mp_context=context, initializer=install,
                               initargs=(job,))
    queue = deque(chunks)
    flying: dict[Future, list[int]] = {}
    left: list[list[int]] = []

    def collect(block: bool) -> None:
        done, _ = wait(set(flying), timeout=None if block else 0,
                       return_when=FIRST_COMPLETED)
        for fut in done:
            c = flying.pop(fut)
            try:
                rows = fut.result()
            except BrokenProcessPool:
                left.append(c)
                continue
            _report(store, rows, tasks, progress)

    if state is not None:
        adopt(job, state)
    try:
        _start(pool, queue, 2 * procs, flying, left, lambda: _report(
            store, run_chunk(job, queue.popleft()), tasks, progress))
        while queue or flying:
            while queue and not left and len(flying) < 2 * procs:
                c = queue.popleft()
                try:
                    flying[pool.submit(run_installed, c)] = c
                except BrokenProcessPool:  # a process died since the last collect
                    left.append(c)
            if left:  # a process died: the pool is gone; the rest waits for the next pass
                left += queue
                queue.clear()
            if queue:
                _report(store, run_chunk(job, queue.popleft()), tasks, progress)
            if flying:
                collect(block=not queue)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        forget()
    pool.shutdown(wait=True)
    return left


def _start(pool: ProcessPoolExecutor, queue: deque[list[int]], first: int,
           flying: dict[Future, list[int]], left: list[list[int]],
           run_one: Callable[[], None]) -> None:
    """Hand the pool its first chunks from a thread (starting a process waits until the
    process it is forked from is ready) and run chunks here until that is done."""
    import threading

    handed = [queue.popleft() for _ in range(min(first, len(queue)))]
    submitted: dict[Future, list[int]] = {}

    def submit() -> None:
        for k, c in enumerate(handed):
            try:
                submitted[pool.submit(run_installed, c)] = c
            except Exception:  # a process died already, or Ctrl-C shut the pool: the rest waits
                left.extend(handed[k:])
                return

    starter = threading.Thread(target=submit, daemon=True)
    starter.start()
    while starter.is_alive() and queue:
        run_one()
    starter.join()
    flying.update(submitted)


def _on_dask(job: Job, todo: list[int], scheduler: str, chunk: int | None,
             store: Checkpoint | Memory, tasks: int, progress: Progress | None) -> EnsembleRun:
    from distributed import Client, as_completed

    client = Client(scheduler, set_as_default=False)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = chunk or chunk_size(len(todo), workers)
        chunks = chunked(todo, size)
        if progress:
            progress(len(store.done), tasks)
        shared = client.scatter(job, broadcast=True, hash=False)
        futures = [client.submit(run_chunk, shared, c, pure=False, retries=RESTARTS)
                   for c in chunks]
        try:
            with client.as_current():
                for fut in as_completed(futures):
                    _report(store, fut.result(), tasks, progress)
        except BaseException:
            client.cancel(futures)
            raise
        return EnsembleRun(results=[], backend="dask", workers=workers, chunks=len(chunks),
                           extra={"scheduler": scheduler})
    finally:
        client.close()
