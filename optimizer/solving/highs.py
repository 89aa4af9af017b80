"""HiGHS through Pyomo's persistent appsi interface: one session per built model.

The session owns the solver instance so that later solves (the fairness stage, red-line
relaxations, sweeps) change only what differs and re-solve, instead of rebuilding.

appsi rather than contrib.solver: on a 2,000-intervention model appsi loads the model into
HiGHS in 1.7 s against 5.4 s (its expression compiler is compiled code); both then run the
same HiGHS. See benchmarks/README.md.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import highspy
import numpy as np
import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.contrib.appsi.solvers import Highs

from pbo.models.errors import SolverError, UsageError
from pbo.optimizer.formulation.build import BuiltModel
from pbo.optimizer.solving import interrupt
from pbo.optimizer.solving.edits import Edits

Status = Literal["optimal", "infeasible", "time_limit", "unbounded", "error"]


HEURISTICS_OFF = (("mip_heuristic_run_rins", False), ("mip_heuristic_run_rens", False))
"""HiGHS's two sub-MIP heuristics, off in every pbo run. A pooled-budget model's LP
relaxation is within a millionth of its optimum, so HiGHS's own rounding finds the plan and
these sub-MIPs mostly repeat its work: off, the plan of 300 x 8 x 5 is found in 0.11 s
against 0.24 s, the 2,000-intervention scenario of issue 12 (every red line, random
funders) in 2.9 s against 10.8 s, and the other benchmark cases as fast within the noise
(docs/FORMULATION.md, "HiGHS's options"). The optimum is the same: heuristics only
propose plans, and HiGHS proves the gap whichever found them."""

MAX_THREADS = 256
"""Most HiGHS threads pbo asks for (more would only start idle threads, or fail)."""


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
    formulation: str = "reduced"
    """reduced (funding per eligibility class) or full (per intervention): same plans."""
    fairness_time_limit: float | None = None
    """Seconds for each MIP run of the fairness stage, its search over lumpy choices (None:
    10 s, never more than time_limit; its LP runs have time_limit, as every re-solve)."""
    exact_red_lines: bool = False
    """Prove each binding red line's relaxed optimum (a full re-solve each), not stop at the
    first plan that shows it binds."""

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.mip_gap < 1:
            problems.append(f"mip_gap (--mip-gap) {self.mip_gap:g}: a relative gap at least 0 "
                            "and below 1 (0.01 means 1%)")
        if self.time_limit is not None and not self.time_limit > 0:
            problems.append(f"time_limit (--time-limit) {self.time_limit:g}: seconds, more "
                            "than 0")
        if self.fairness_time_limit is not None and not self.fairness_time_limit > 0:
            problems.append(f"fairness_time_limit {self.fairness_time_limit:g}: seconds, more "
                            "than 0")
        if self.formulation not in ("reduced", "full"):
            problems.append(f"formulation (--formulation) '{self.formulation}': reduced or "
                            "full")
        if self.threads is not None and not 1 <= self.threads <= MAX_THREADS:
            problems.append(f"threads {self.threads}: at least 1 and at most {MAX_THREADS}")
        if problems:
            raise UsageError(problems)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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


_HIGHS_STATUS: dict[Any, Status] = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kIterationLimit: "time_limit",
    highspy.HighsModelStatus.kSolutionLimit: "time_limit",  # stopped early on purpose
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}

_PLAIN: dict[Any, str] = {
    highspy.HighsModelStatus.kOptimal: "",
    highspy.HighsModelStatus.kModelEmpty: "",
    highspy.HighsModelStatus.kInfeasible: "no plan meets every target, budget and red line",
    highspy.HighsModelStatus.kUnboundedOrInfeasible:
        "no plan meets every target, budget and red line",
    highspy.HighsModelStatus.kUnbounded: "the objective could grow without limit",
    highspy.HighsModelStatus.kTimeLimit: "the time limit was reached",
    highspy.HighsModelStatus.kIterationLimit: "the iteration limit was reached",
    highspy.HighsModelStatus.kSolutionLimit: "the run stopped at the plans it was asked for",
    highspy.HighsModelStatus.kInterrupt: "the solve was interrupted",
    highspy.HighsModelStatus.kMemoryLimit: "the solver ran out of memory",
}
PLAIN_FAILURE = ("the solver could not finish on this model (it may hold values too large or "
                 "too small to solve reliably; `pbo validate` and the scenario's numbers are "
                 "the place to start)")
"""What a user reads for every other HiGHS status (errors, unknown): never its raw name."""


RESCALE_ON = (highspy.HighsModelStatus.kSolveError, highspy.HighsModelStatus.kPostsolveError,
              highspy.HighsModelStatus.kPresolveError, highspy.HighsModelStatus.kUnknown)
"""HiGHS statuses after which a model with large bounds is run once more, rescaled."""
BOUND_TARGET = 1e6
"""The largest bound or right-hand side a rescaled run is brought down to (about)."""


def plain_status(model_status: Any) -> str:
    """A HiGHS model status in words (empty when it found the optimum)."""
    return _PLAIN.get(model_status, PLAIN_FAILURE)


def resident_mb() -> float | None:
    """The memory this process holds now (its resident set), in MB; None where the system
    does not say (/proc/self/statm is Linux's)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass
class SolveReport:
    """Per solve: seconds per stage, memory held after it, warnings for the user,
    binding-check re-solves."""

    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_memory_mb: dict[str, float] = field(default_factory=dict)
    """MB the process holds at the end of each stage (resident; where the system says)."""
    warnings: list[str] = field(default_factory=list)
    resolves: dict[str, int] = field(default_factory=dict)
    fairness_runs: dict[str, int] = field(default_factory=dict)
    """The fairness stage's runs over the optimal face: lp, mip, mip_skipped (a MIP proved
    needless by the LP bound) and cut_off (the MIP proved no plan fairer by more than
    worth; solving/face.py)."""

    def finished(self, stage: str, seconds: float, held_mb: float | None = None) -> None:
        """A stage ended: its seconds, and the memory held then (`held_mb`, else now)."""
        self.stage_seconds[stage] = seconds
        held_mb = resident_mb() if held_mb is None else held_mb
        if held_mb is not None:
            self.stage_memory_mb[stage] = round(held_mb, 1)


class _Highs(Highs):
    """appsi's HiGHS interface with its compiled expression walker on (`use_extensions`: the
    C++ `cmodel` shipped in Pyomo's wheels; appsi falls back to Python where it is
    missing): the variables of each row are gathered in C++, 20-30% of the load at 5,000 to
    10,000 interventions. appsi resets the flag whenever it re-initialises, so it is set in
    `__init__`."""

    def __init__(self, only_child_vars: bool = False):
        super().__init__(only_child_vars=only_child_vars)
        self.use_extensions = True


@dataclass
class HighsSession:
    """A built model loaded into HiGHS once, then re-solved as it changes."""

    built: BuiltModel
    options: SolverOptions = field(default_factory=SolverOptions)
    load_seconds: float = 0.0
    highs_seconds: float = 0.0
    """HiGHS's own run time, summed over every run of this session."""
    runs: int = 0
    report: SolveReport = field(default_factory=lambda: SolveReport())
    """What the stages of the last solve took and said (plan.solve_built fills it)."""

    def __post_init__(self) -> None:
        solver = _Highs()
        solver.config.load_solution = False
        solver.config.stream_solver = False
        # Parameters and named expressions are never used: skip scanning for them.
        solver.update_config.check_for_new_or_removed_params = False
        solver.update_config.update_params = False
        solver.update_config.update_named_expressions = False
        self._solver = solver
        self._clock = 0.0
        start = time.perf_counter()
        try:
            with PauseGC():  # (as in build_model: appsi's maps and rows all live on)
                solver.set_instance(self.built.m)
        except Exception as exc:
            raise SolverError(f"the model could not be loaded into HiGHS: {exc}") from exc
        self.load_seconds = time.perf_counter() - start
        self._stale = False  # HiGHS holds exactly the Pyomo model
        self._columns: list[tuple[Any, int]] | None = None
        self.halt = interrupt.Halt(self.highs)  # see binding.run_against
        o, h = self.options, self.highs
        for name, value in (("output_flag", False), ("log_to_console", False),
                            ("random_seed", 0), ("mip_rel_gap", o.mip_gap),
                            ("time_limit", o.time_limit), ("threads", o.threads),
                            *HEURISTICS_OFF):
            if value is not None:
                h.setOptionValue(name, value)

    @property
    def highs(self) -> highspy.Highs:
        """The underlying highspy object (for IIS and ranging on the same model)."""
        return self._solver._solver_model

    def row_of(self, con: Any) -> int:
        return self._solver._pyomo_con_to_solver_con_map[con]

    def col_of(self, var: Any) -> int:
        return self._solver._pyomo_var_to_solver_var_map[id(var)]

    def set_objective(self, objective: Any) -> None:
        self._columns = None  # (a variable only the objective names is added)
        self._solver.set_objective(objective)

    @contextmanager
    def edits(self) -> Iterator[Edits]:
        """Direct, temporary changes to the loaded HiGHS model (see Edits)."""
        edits = Edits(self.highs)
        try:
            yield edits
        finally:
            edits.undo()

    def columns(self) -> list[tuple[Any, int]]:
        """(Pyomo variable, HiGHS column) for every variable in the model (listed once per
        load or update of the model, which alone change it)."""
        if self._columns is None:
            solver = self._solver
            self._columns = [(solver._vars[var_id][0], col) for var_id, col
                             in solver._pyomo_var_to_solver_var_map.items()]
        return self._columns

    def run(self, *, start: dict[int, float] | None = None, load: bool = True,
            fresh: bool = False) -> Outcome:
        """Run HiGHS on its model as it stands (after `edits`), without a Pyomo update; load
        the solution into the Pyomo variables. `start`: extra column values for a MIP start
        built from the model's current values. `load=False`: leave the Pyomo values as they
        are (a re-solve that only needs its objective). `fresh`: forget the last run's basis
        first, so that HiGHS presolves the model anew: for an LP whose bounds have changed a
        great deal since (a plan held), faster than the old basis, and faster than a start
        (the fairness stage's re-divided split of the filed 5,000-intervention case: 0.10 s
        fresh, 0.22 s with a start)."""
        h = self.highs
        began = time.perf_counter()
        if fresh:
            h.clearSolver()
        if start is not None:
            col_value = np.zeros(h.getNumCol())
            for var, col in self.columns():
                if var.value is not None:
                    col_value[col] = var.value
            for col, v in start.items():
                col_value[col] = v
            h.setSolution(h.getNumCol(), np.arange(h.getNumCol(), dtype=np.int32), col_value)
        interrupt.run(h, "the main solve" if self.runs == 0 else
                      f"solve {self.runs + 1} on the same model (after the main solve)")
        clock = float(h.getRunTime())
        run = max(0.0, clock - self._clock)
        self._clock = clock
        self.highs_seconds += run
        self.runs += 1
        model_status = h.getModelStatus()
        info = h.getInfo()
        status: Status = _HIGHS_STATUS.get(model_status, "error")
        has_solution = info.primal_solution_status == 2
        if model_status == highspy.HighsModelStatus.kModelEmpty:
            return self._empty(run, began)
        if model_status in RESCALE_ON:
            again = self._rescaled_run(start, load)
            if again is not None:
                return again
        if status == "time_limit" and not self.options.accept_time_limited:
            has_solution = False
        if has_solution and start is not None and self._start_returned(
                info.objective_function_value):
            h.clearSolver()  # forget the start (a plain re-run returns it again)
            return self.run(load=load)
        objective = bound = gap = None
        if has_solution:
            if load:
                solution = h.getSolution().col_value
                for var, col in self.columns():
                    var.set_value(solution[col], skip_validation=True)
            objective = info.objective_function_value
            bound = info.mip_dual_bound if info.mip_node_count >= 0 else objective
            # the gap HiGHS stopped at (within mip_rel_gap when it says optimal), not 0
            gap = abs(bound - objective) / max(1e-10, abs(objective))
        return Outcome(status=status, has_solution=has_solution, objective=objective,
                       bound=bound, gap=gap, highs_seconds=run,
                       wall_seconds=time.perf_counter() - began,
                       message=plain_status(model_status))

    def _start_returned(self, reported: float) -> bool:
        """True when the solution HiGHS returned is not the one whose objective it reports.
        HiGHS 1.16.0 does this for a MIP whose start is feasible and whose presolve removes
        columns: it reports the reduced model's optimum but returns the start, postsolved
        with the start's values for what presolve removed (its log says "MIP start
        solution is feasible: objective value is A", then "... in the reduced space:
        objective value is B"). Seen in the fairness stage (issue 12 note)."""
        h = self.highs
        lp = h.getLp()
        got = float(np.dot(lp.col_cost_, h.getSolution().col_value)) + lp.offset_
        return abs(got - reported) > 1e-7 * max(1.0, abs(reported))

    def _rescaled_run(self, start: dict[int, float] | None, load: bool) -> Outcome | None:
        """HiGHS failed on a model with large bounds (a budget of 1e11 beside a feasibility
        tolerance of 1e-7): run once more with every bound and right-hand side scaled by a
        power of 2, which is exact (HiGHS's user_bound_scale; it reports values unscaled).
        None when the bounds are not large or this run was already rescaled."""
        h = self.highs
        if h.getOptionValue("user_bound_scale")[1] != 0:
            return None
        lp = h.getLp()
        bounds = np.abs(np.concatenate([lp.row_lower_, lp.row_upper_, lp.col_lower_,
                                        lp.col_upper_]))
        bounds = bounds[bounds < highspy.kHighsInf]
        top = float(bounds.max()) if bounds.size else 0.0
        if top <= BOUND_TARGET:
            return None
        with self.edits() as scaled:
            scaled.set_option("user_bound_scale", -math.ceil(math.log2(top / BOUND_TARGET)))
            return self.run(start=start, load=load)

    def _empty(self, run: float, began: float) -> Outcome:
        """No row and no column reached HiGHS (a scenario with no interventions): the empty
        plan is the optimum, every decision 0."""
        for var in self.built.m.component_data_objects(pyo.Var):
            if not var.fixed:
                var.set_value(0.0, skip_validation=True)
        objective = float(pyo.value(self.built.m.objective))
        return Outcome(status="optimal", has_solution=True, objective=objective,
                       bound=objective, gap=0.0, highs_seconds=run,
                       wall_seconds=time.perf_counter() - began)

    def solve(self, *, warm_start: bool = False) -> Outcome:
        """Bring HiGHS up to date with the Pyomo model (rows swapped, activated or
        deactivated since the last run) and run it; load the solution into `m`.

        With `warm_start`, the values now in the model (the last plan) are offered to HiGHS
        as a starting incumbent.
        """
        if self._stale:
            self._columns = None  # an update may add, remove or renumber columns
            try:
                self._solver.update()
            except Exception as exc:
                raise SolverError(f"the model could not be updated in HiGHS: {exc}") from exc
        self._stale = True
        return self.run(start={} if warm_start else None)

    def changed(self) -> None:
        """The Pyomo model changed since it was loaded: the next solve sends the changes."""
        self._stale = True


def values(m: pyo.ConcreteModel) -> dict[int, float | None]:
    """A snapshot of every variable's value, to restore after an exploratory solve."""
    return {id(v): v.value for v in m.component_data_objects(pyo.Var)}


def restore(m: pyo.ConcreteModel, snapshot: dict[int, float | None]) -> None:
    for v in m.component_data_objects(pyo.Var):
        v.set_value(snapshot.get(id(v)), skip_validation=True)
