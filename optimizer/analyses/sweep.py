"""Parametric what-if: solve a scenario over a range (or a grid) of one or two inputs.

The model is built once (per worker); each point changes only the rows its inputs touch and
re-solves the loaded HiGHS model (pbo.optimizer.formulation.whatif). A change that reaches the
objective or the variables (a cost, a benefit) rebuilds the model for that point. The points
run on the ensemble runner (pbo.optimizer.analyses.sweep_job).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pbo.models.errors import UsageError
from pbo.models.overrides import parse_value
from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.solving.highs import SolverOptions

MAX_POINTS = 10_000
"""Most solves in one sweep, a range or the whole grid of two (checked before any is made)."""


def check_size(params: Sequence[SweepParam]) -> None:
    """UsageError when the grid of `params` has more than MAX_POINTS points."""
    total = math.prod(p.points for p in params)
    if total > MAX_POINTS:
        sizes = " x ".join(f"{p.points:,}" for p in params)
        raise UsageError(f"--set: a grid of {sizes} = {total:,} points; a sweep solves at "
                         f"most {MAX_POINTS:,}")


@dataclass(frozen=True)
class SweepParam:
    path: str
    start: float
    stop: float
    points: int

    @classmethod
    def parse(cls, text: str) -> SweepParam:
        """PATH=START:STOP:N, e.g. targets.council_savings.min=0:2e7:21."""
        path, sep, spec = text.partition("=")
        bits = spec.split(":")
        if not sep or len(bits) != 3:
            raise UsageError(f"--set {text!r}: a sweep is PATH=START:STOP:N, "
                             "e.g. targets.council_savings.min=0:2e7:21")
        start, stop, n = (parse_value(b) for b in bits)
        if any(b.strip().lower().lstrip("+-.") in ("inf", "infinity", "nan") for b in bits):
            raise UsageError(f"--set {text!r}: START, STOP and N must be finite numbers "
                             "(not inf or nan)")
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool)
                      for v in (start, stop, n))
        if numbers and not all(math.isfinite(v) for v in (start, stop, n)):
            raise UsageError(f"--set {text!r}: START, STOP and N must be finite numbers "
                             "(not inf or nan)")
        if numbers and not math.isfinite(stop - start):
            raise UsageError(f"--set {text!r}: STOP - START is beyond the largest number "
                             "(about 1.8e308); sweep a narrower range")
        if not numbers or n < 1 or int(n) != n:
            raise UsageError(f"--set {text!r}: START and STOP must be numbers and N a whole "
                             "number of points, at least 1")
        if n > MAX_POINTS:
            raise UsageError(f"--set {text!r}: {int(n):,} points; a sweep solves at most "
                             f"{MAX_POINTS:,} (over the whole grid)")
        return cls(path.strip(), float(start), float(stop), int(n))

    @property
    def values(self) -> list[float]:
        if self.points == 1:
            return [self.start]
        step = (self.stop - self.start) / (self.points - 1)
        return [self.start + k * step for k in range(self.points)]


@dataclass
class SweepResult:
    params: list[SweepParam]
    points: list[dict[str, Any]] = field(default_factory=list)
    results: list[PlanResult] = field(default_factory=list)
    rebuilds: int = 0
    seconds: float = 0.0
    build_seconds: float = 0.0
    """Building the model and loading it into HiGHS (once, plus each rebuild)."""
    highs_seconds: float = 0.0
    """HiGHS's own run time over every point."""

    def table(self) -> pd.DataFrame:
        """One row per point: the inputs, status, objective, what each step of the first
        input costs or gains, chosen interventions and each partner's net position."""
        frame = pd.DataFrame(self.points)
        if not frame.empty and len(self.params) == 1:
            first = self.params[0].path
            objective = pd.to_numeric(frame["objective"], errors="coerce")  # None: no plan
            frame["objective_change_per_unit"] = objective.diff() / frame[first].diff()
        return frame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables: points (one row per point, as `table()`), and interventions and
        partners (one row per point and intervention or partner)."""
        inputs = [p.path for p in self.params]
        units, positions = [], []
        for k, (point, result) in enumerate(zip(self.points, self.results, strict=True)):
            where = {"point": k, **{path: point[path] for path in inputs}}
            units += [{**where, "intervention": r.id, "selected": r.selected, "units": r.units}
                      for r in result.interventions]
            positions += [{**where, "partner": p.id, "contribution_npv": p.contribution_npv,
                           "net_cashable_savings_npv": p.net_cashable_savings_npv}
                          for p in result.partners]
        points = self.table()
        points.insert(0, "point", range(len(points)))
        return {"points": points,
                "interventions": pd.DataFrame(units, columns=["point", *inputs, "intervention",
                                                              "selected", "units"]),
                "partners": pd.DataFrame(positions, columns=[
                    "point", *inputs, "partner", "contribution_npv",
                    "net_cashable_savings_npv"])}

    def to_json(self, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
        """The sweep as JSON data (`pbo sweep --out FILE.json`); its schema is
        `pbo.result_schema("sweep")`. `manifest` (`audit.analysis_manifest`): what `pbo audit` needs
        to re-run it."""
        return {**({"manifest": manifest} if manifest else {}),
                "parameters": [p.__dict__ for p in self.params],
                "points": self.table().astype(object).where(self.table().notna(), None)
                .to_dict(orient="records"),
                "rebuilds": self.rebuilds, "seconds": self.seconds,
                "build_seconds": self.build_seconds, "highs_seconds": self.highs_seconds}


def _point_row(values: Mapping[str, float], result: PlanResult) -> dict[str, Any]:
    row: dict[str, Any] = dict(values)
    row["status"] = result.status
    row["objective"] = result.objective
    row["interventions"] = ", ".join(r.id for r in result.interventions if r.selected)
    for p in result.partners:
        row[f"net_savings_{p.id}"] = p.net_cashable_savings_npv
    return row


def sweep(data: Scenario | Mapping[str, Any], params: Sequence[SweepParam | str], *,
          objective: str | None = None, options: SolverOptions | None = None,
          progress: Callable[[int, int], None] | None = None, workers: int = 1,
          scheduler: str | None = None) -> SweepResult:
    """Solve at every point of one parameter's range, or of the grid of two.

    `data` is a Scenario or its plain data (as read from a file); a parameter is a
    SweepParam or its text, 'PATH=START:STOP:N'. The points run on the ensemble runner
    (pbo.optimizer.ensemble, pbo.optimizer.analyses.sweep_job): in this process by default,
    on `workers` local processes, or on a Dask cluster (`scheduler`); the points are the
    same whichever.

    >>> import pbo
    >>> sc = pbo.load_scenario(pbo.example_path("tutorial"))
    >>> swept = pbo.sweep(sc, ["partners.council.poolable_budget=5e5:1e6:3"])
    >>> len(swept.results), swept.table()["status"].tolist()
    (3, ['optimal', 'optimal', 'optimal'])
    """
    from pbo.optimizer.analyses.sweep_job import SweepJob
    from pbo.optimizer.ensemble.runner import check_workers, run_ensemble, start_workers

    check_workers(workers)
    if not scheduler:
        start_workers(workers)
    if isinstance(data, Scenario):
        data = data.model_dump()
    chosen = [SweepParam.parse(p) if isinstance(p, str) else p for p in params]
    if not 1 <= len(chosen) <= 2:
        raise UsageError("a sweep takes one or two parameters")
    check_size(chosen)
    options = options or SolverOptions(check_binding=False)
    grid = list(itertools.product(*(p.values for p in chosen)))
    out = SweepResult(params=chosen)
    started = time.perf_counter()
    job = SweepJob.of(dict(data), [p.path for p in chosen], grid, objective, options)
    rows = run_ensemble(job, len(grid), workers=workers, scheduler=scheduler,
                        progress=progress).results
    for row in rows:
        result = row["result"]
        out.rebuilds += row["rebuilt"]
        out.build_seconds += row["build_seconds"]
        out.highs_seconds += result.meta.highs_seconds or 0.0
        out.results.append(result)
        out.points.append(_point_row(row["point"], result))
    out.seconds = time.perf_counter() - started
    return out
