"""A sweep's points as an ensemble job (pbo.optimizer.ensemble.worker.Job).

Each worker keeps one model, built for the sweep's first point (whatever point its first
chunk starts at), and one HiGHS session; each point's rows are swapped into it
(pbo.optimizer.formulation.whatif) and re-solved with no warm state from the point before.
A point whose change cannot be swapped in (a cost, a benefit, rows that appear or vanish) is
built for itself, and that model is dropped after its solve. So a point's model, and its
answer, do not depend on which points the worker ran before it: the results are the same
on one worker, several, or a Dask cluster.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pbo.models.errors import Interrupted
from pbo.optimizer.ensemble.worker import job_key
from pbo.optimizer.formulation.whatif import in_place_path
from pbo.optimizer.solving.highs import SolverOptions


def swappable(paths: Sequence[str]) -> bool:
    """Whether every path names rows the what-if swaps in place (else each point rebuilds)."""
    return all(in_place_path(path) for path in paths)


@dataclass(frozen=True)
class SweepJob:
    key: str
    data: dict[str, Any]
    paths: tuple[str, ...]
    grid: tuple[tuple[float, ...], ...]
    objective: str | None
    options: dict[str, Any]

    @classmethod
    def of(cls, data: dict[str, Any], paths: Sequence[str], grid: Sequence[Sequence[float]],
           objective: str | None, options: SolverOptions) -> SweepJob:
        opts = options.as_dict()
        points = tuple(tuple(p) for p in grid)
        key = job_key({"sweep": data, "paths": list(paths), "grid": points,
                       "objective": objective, "options": opts})
        return cls(key=key, data=data, paths=tuple(paths), grid=points, objective=objective,
                   options=opts)

    def scenario(self, k: int) -> Any:
        from pbo.models.io.loading import scenario_from_data
        from pbo.models.overrides import apply_overrides

        return scenario_from_data(apply_overrides(self.data,
                                                  zip(self.paths, self.grid[k], strict=True)))

    def setup(self) -> dict[str, Any]:
        return {"base": None}

    def _load(self, state: dict[str, Any], k: int, scenario: Any) -> tuple[Any, Any, bool,
                                                                           float]:
        """Point k's model and session: the first point's model with point k's rows swapped
        in, else one built for point k. Also whether it was built for k (k > 0) and the
        build + load seconds spent."""
        from pbo.optimizer.formulation.build import build_model
        from pbo.optimizer.formulation.whatif import update_in_place
        from pbo.optimizer.solving.highs import HighsSession

        options = SolverOptions(**self.options)
        seconds = 0.0
        if swappable(self.paths):
            if state["base"] is None:
                first = build_model(self.scenario(0), self.objective, options.formulation)
                loaded = HighsSession(first, options)
                state["base"] = first, loaded
                seconds += first.build_seconds + loaded.load_seconds
            built, session = state["base"]
            if update_in_place(built, scenario, self.paths):  # also for the first point
                session.changed()  # (a fresh session would not send the swapped rows)
                session.highs.clearSolver()  # no warm state: a point's answer is its own
                return built, session, False, seconds
        built = build_model(scenario, self.objective, options.formulation)
        session = HighsSession(built, options)
        return built, session, k != 0, seconds + built.build_seconds + session.load_seconds

    def run(self, state: dict[str, Any], k: int) -> dict[str, Any]:
        from pbo.models.io.loading import scenario_sha256
        from pbo.optimizer.solving.plan import make_result, solve_built

        start = time.perf_counter()
        options = SolverOptions(**self.options)
        scenario = self.scenario(k)
        built, session, rebuilt, build_seconds = self._load(state, k, scenario)
        before = session.highs_seconds
        try:
            outcome, session, _ = solve_built(built, options, session)
        except Interrupted as stopped:
            raise Interrupted(f"the sweep's point {k + 1} of {len(self.grid)}",
                              stopped.left) from None
        changes = list(zip(self.paths, self.grid[k], strict=True))
        result = make_result(built, outcome, session, {}, options, start,
                             scenario_sha256(scenario), changes)
        result = result.model_copy(update={"meta": result.meta.model_copy(
            update={"highs_seconds": session.highs_seconds - before})})
        return {"point": dict(changes), "result": result, "rebuilt": rebuilt,
                "build_seconds": build_seconds}
