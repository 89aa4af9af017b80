"""Finished tasks as they arrive: a JSON-lines file keyed by the job's input hash.

The first line names the job (its key and task count); each later line is one finished task,
`{"index": k, "result": {...}}`, appended, flushed and fsync'd as each chunk comes back. A
resumed run reads the file back, skips what is done and appends the rest; a task written
twice (a chunk re-run after its worker died) is counted once, the first time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pbo.models.errors import UsageError


class Checkpoint:
    def __init__(self, path: Path, key: str, tasks: int, resume: bool):
        self.path = Path(path)
        self.key, self.tasks = key, tasks
        self.done: dict[int, dict[str, Any]] = {}
        if resume and self.path.exists():
            self._read()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("w", encoding="utf-8") as f:
                f.write(json.dumps({"job": key, "tasks": tasks}) + "\n")
                f.flush()
                os.fsync(f.fileno())
        self._file = self.path.open("a", encoding="utf-8")

    def _read(self) -> None:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        try:
            head = json.loads(lines[0]) if lines else {}
        except json.JSONDecodeError:
            head = {}
        if head.get("job") != self.key or head.get("tasks") != self.tasks:
            raise UsageError(f"--resume: {self.path} belongs to another run (a different "
                             "scenario, uncertainty, sample count or seed); start afresh "
                             "without --resume, or give another --checkpoint")
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short when the run was killed: that task is re-run
            k = row.get("index")
            if isinstance(k, int) and 0 <= k < self.tasks and k not in self.done:
                self.done[k] = row["result"]

    def add(self, rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
        """Record the rows not yet done; returns those newly recorded."""
        new = [(k, r) for k, r in rows if k not in self.done]
        if not new:
            return new
        for k, r in new:
            self.done[k] = r
            self._file.write(json.dumps({"index": k, "result": r}) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        return new

    def close(self) -> None:
        self._file.close()


class Memory:
    """The same bookkeeping without a file (no checkpoint asked for)."""

    def __init__(self) -> None:
        self.done: dict[int, dict[str, Any]] = {}
        self.path = None

    def add(self, rows: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
        new = [(k, r) for k, r in rows if k not in self.done]
        self.done.update(new)
        return new

    def close(self) -> None:
        pass
