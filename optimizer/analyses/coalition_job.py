"""Coalition values as an ensemble job (pbo.optimizer.ensemble.worker.Job).

Exact Shapley values, a sampled Shapley value's orders of arrival and the least core's
enumeration need many coalition values, each an independent solve of the one coalition
game: each worker builds the game (the grand model, loaded into HiGHS) once and solves its
chunk of coalitions on that session, each with no warm state from the one before
(CoalitionGame._solve), so a value does not depend on where it was solved. The least
core's row generation stays sequential: each round's coalition depends on the last.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pbo.models.scenario import Scenario
from pbo.optimizer.ensemble.worker import job_key
from pbo.optimizer.solving.highs import SolverOptions


@dataclass(frozen=True)
class CoalitionJob:
    key: str
    model_key: str
    scenario: Scenario
    options: dict[str, Any]
    coalitions: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, scenario: Scenario, options: SolverOptions,
           coalitions: Iterable[frozenset[str]]) -> CoalitionJob:
        opts = options.as_dict()
        model = job_key({"coalitions": scenario.model_dump(mode="json"), "options": opts})
        todo = tuple(tuple(sorted(c)) for c in coalitions)
        return cls(key=job_key({"model": model, "coalitions": todo}), model_key=model,
                   scenario=scenario, options=opts, coalitions=todo)

    def setup(self) -> Any:
        from pbo.optimizer.analyses.coalitions import CoalitionGame

        return CoalitionGame(self.scenario, SolverOptions(**self.options))

    def run(self, game: Any, k: int) -> dict[str, Any]:
        members = frozenset(self.coalitions[k])
        value = game._solve(members)
        return {"value": value, "unreachable": members in game.unreachable,
                "pid": os.getpid()}


def solve_coalitions(game: Any, coalitions: Iterable[frozenset[str]], workers: int = 1,
                     scheduler: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> int:
    """Solve every coalition `game` does not yet know, on the ensemble runner (in this
    process, on the game's own session, by default), and remember the values. Returns how
    many were solved in other processes (not counted in the game's session)."""
    from pbo.optimizer.ensemble.runner import run_ensemble

    seen: set[frozenset[str]] = set()
    todo = []
    for c in coalitions:
        c = frozenset(c)
        if c not in game.values and c not in seen:
            seen.add(c)
            todo.append(c)
    if not todo:
        return 0
    job = CoalitionJob.of(game.scenario, game.options, todo)
    run = run_ensemble(job, len(todo), workers=workers, scheduler=scheduler, state=game,
                       progress=progress)
    for c, row in zip(todo, run.results, strict=True):
        game.values[c] = row["value"]
        if row["unreachable"]:
            game.unreachable.add(c)
    return sum(row["pid"] != os.getpid() for row in run.results)
