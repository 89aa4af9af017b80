"""HiGHS through Pyomo's persistent appsi interface: one session per built model.

The session owns the solver instance so that later solves (the fairness stage, red-line
relaxations, sweeps) change only what differs and re-solve, instead of rebuilding.

appsi rather than contrib.solver: on a 2,000-intervention model appsi loads the model into
HiGHS in 1.7 s against 5.4 s (its expression compiler is compiled code); both then run the
same HiGHS. See benchmarks/README.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import pyomo.environ as pyo
from pyomo.contrib.appsi.base import TerminationCondition
from pyomo.contrib.appsi.solvers import Highs

from models.errors import SolverError
from optimizer.build import BuiltModel

Status = Literal["optimal", "infeasible", "time_limit", "unbounded", "error"]


@dataclass(frozen=True)
class SolverOptions:
    """How HiGHS is run; passed explicitly, never held globally."""

    time_limit: float | None = None
    """Seconds for each HiGHS run (None: no limit)."""
    mip_gap: float = 1e-6
    """Relative MIP gap at which HiGHS stops."""
    threads: int | None = None
    accept_time_limited: bool = True
    """Accept the incumbent of a time-limited run (status time_limit) as the plan."""
    check_binding: bool = True
    """Re-solve with each red line relaxed alone to say whether it binds."""

    def as_dict(self) -> dict[str, Any]:
        return {"time_limit": self.time_limit, "mip_gap": self.mip_gap, "threads": self.threads,
                "accept_time_limited": self.accept_time_limited,
                "check_binding": self.check_binding}


@dataclass
class Outcome:
    """One HiGHS run: termination kept apart from whether a solution was loaded."""

    status: Status
    has_solution: bool
    objective: float | None
    bound: float | None
    gap: float | None
    highs_seconds: float
    wall_seconds: float
    message: str = ""


def highs_version() -> str:
    return (f"highs {highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}."
            f"{highspy.HIGHS_VERSION_PATCH}")


_TERMINATION: dict[TerminationCondition, Status] = {
    TerminationCondition.optimal: "optimal",
    TerminationCondition.infeasible: "infeasible",
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.maxIterations: "time_limit",
}


@dataclass
class HighsSession:
    """A built model loaded into HiGHS once, then re-solved as it changes."""

    built: BuiltModel
    options: SolverOptions = field(default_factory=SolverOptions)
    load_seconds: float = 0.0
    highs_seconds: float = 0.0
    """HiGHS's own run time, summed over every run of this session."""
    runs: int = 0

    def __post_init__(self) -> None:
        solver = Highs()
        config = solver.config
        config.load_solution = False
        config.stream_solver = False
        config.time_limit = self.options.time_limit
        config.mip_gap = self.options.mip_gap
        solver.highs_options = {"output_flag": False, "random_seed": 0,
                                **({"threads": self.options.threads}
                                   if self.options.threads else {})}
        # Parameters and named expressions are never used: skip scanning for them.
        solver.update_config.check_for_new_or_removed_params = False
        solver.update_config.update_params = False
        solver.update_config.update_named_expressions = False
        self._solver = solver
        self._clock = 0.0
        start = time.perf_counter()
        try:
            solver.set_instance(self.built.m)
        except Exception as exc:
            raise SolverError(f"the model could not be loaded into HiGHS: {exc}") from exc
        self.load_seconds = time.perf_counter() - start

    @property
    def highs(self) -> highspy.Highs:
        """The underlying highspy object (for IIS and ranging on the same model)."""
        return self._solver._solver_model

    def row_of(self, con: Any) -> int:
        return self._solver._pyomo_con_to_solver_con_map[con]

    def col_of(self, var: Any) -> int:
        return self._solver._pyomo_var_to_solver_var_map[id(var)]

    def set_objective(self, objective: Any) -> None:
        self._solver.set_objective(objective)

    def solve(self, *, warm_start: bool = False) -> Outcome:
        """Run HiGHS on the model as it stands now; load the solution into `m` if there is one.

        With `warm_start`, the values now in the model (the last plan) are offered to HiGHS
        as a starting incumbent: the fairness stage and what-if re-solves start from it.
        """
        start = time.perf_counter()
        self._solver.config.warmstart = warm_start
        try:
            results = self._solver.solve(self.built.m)
        except Exception as exc:  # HiGHS or the interface failed: say so, keep the traceback out
            raise SolverError(f"HiGHS failed: {exc}") from exc
        wall = time.perf_counter() - start
        # HiGHS's run clock is cumulative over the life of the Highs object: take the delta
        clock = float(self.highs.getRunTime())
        run = max(0.0, clock - self._clock)
        self._clock = clock
        self.highs_seconds += run
        self.runs += 1
        status = _TERMINATION.get(results.termination_condition, "error")
        has_solution = results.best_feasible_objective is not None
        if status == "time_limit" and not self.options.accept_time_limited:
            has_solution = False
        if has_solution:
            results.solution_loader.load_vars()
        objective, bound = results.best_feasible_objective, results.best_objective_bound
        gap = None
        if objective is not None and bound is not None:
            gap = abs(bound - objective) / max(1e-10, abs(objective))
            if status == "optimal":
                gap = min(gap, self.options.mip_gap)
        return Outcome(status=status, has_solution=has_solution, objective=objective,
                       bound=bound, gap=gap, highs_seconds=run, wall_seconds=wall,
                       message=str(results.termination_condition.name))


def values(m: pyo.ConcreteModel) -> dict[int, float | None]:
    """A snapshot of every variable's value, to restore after an exploratory solve."""
    return {id(v): v.value for v in m.component_data_objects(pyo.Var)}


def restore(m: pyo.ConcreteModel, snapshot: dict[int, float | None]) -> None:
    for v in m.component_data_objects(pyo.Var):
        v.set_value(snapshot.get(id(v)), skip_validation=True)
