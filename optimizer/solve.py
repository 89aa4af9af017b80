"""HiGHS through Pyomo's persistent contrib.solver interface: one session per built model.

The session owns the solver instance so that later solves (the fairness stage, red-line
relaxations, sweeps) change only what differs and re-solve, instead of rebuilding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

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
    TerminationCondition.convergenceCriteriaSatisfied: "optimal",
    TerminationCondition.provenInfeasible: "infeasible",
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.locallyInfeasible: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.iterationLimit: "time_limit",
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
        self._solver = Highs()
        self._clock = 0.0
        start = time.perf_counter()
        self._solver.set_instance(self.built.m)
        self.load_seconds = time.perf_counter() - start

    @property
    def highs(self) -> highspy.Highs:
        """The underlying highspy object (for IIS and ranging on the same model)."""
        return self._solver._solver_model

    def row_of(self, con: Any) -> int:
        return self._solver._pyomo_con_to_solver_con_map[con]

    def col_of(self, var: Any) -> int:
        return self._solver._pyomo_var_to_solver_var_map[id(var)]

    def solve(self, *, integer: bool = True) -> Outcome:
        """Run HiGHS on the model as it stands now; load the solution into `m` if there is one."""
        o = self.options
        start = time.perf_counter()
        try:
            results = self._solver.solve(
                self.built.m, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                time_limit=o.time_limit, rel_gap=o.mip_gap, threads=o.threads,
                solver_options={"output_flag": False, "random_seed": 0,
                                **({} if integer else {"solve_relaxation": True})},
            )
        except Exception as exc:  # HiGHS or the interface failed: say so, keep the traceback out
            raise SolverError(f"HiGHS failed: {exc}") from exc
        wall = time.perf_counter() - start
        # HiGHS's run clock is cumulative over the life of the Highs object: take the delta
        clock = float(getattr(results.timing_info, "highs_time", 0.0) or 0.0)
        run = max(0.0, clock - self._clock)
        self._clock = clock
        self.highs_seconds += run
        self.runs += 1
        status = _TERMINATION.get(results.termination_condition, "error")
        has_solution = results.solution_status in (SolutionStatus.optimal, SolutionStatus.feasible)
        if status == "time_limit" and not self.options.accept_time_limited:
            has_solution = False
        if has_solution:
            results.solution_loader.load_vars()
        objective, bound = results.incumbent_objective, results.objective_bound
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
