"""A live what-if model for a meeting: one model built and loaded into HiGHS, re-solved as the
room changes a target, a budget or a red line.

Every change is a `--set` change (path, value) applied to the scenario's data and validated
exactly as `pbo solve --set` would, so the page and the command give the same plan. Then:
- target bounds, partner budgets and red-line parameters swap their rows into the loaded model
  (formulation.whatif.update_in_place);
- a red line switched off (`red_lines.ID.active=false`) has its rows freed in the loaded
  HiGHS model for that solve, as sensitivity does: the model is built with every red line on;
- anything else (the objective, the cost-sharing rule, a cost) needs a model of its own:
  it is built once and kept loaded (up to KEPT_SHAPES of them), so switching back re-solves.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pbo.models.io.loading import scenario_from_data, scenario_sha256
from pbo.models.overrides import apply_overrides
from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.build import BuiltModel, build_model
from pbo.optimizer.formulation.whatif import in_place_path, update_in_place
from pbo.optimizer.solving.highs import HighsSession, SolverOptions
from pbo.optimizer.solving.plan import (
    check_binding,
    make_result,
    objective_value,
    red_line_rows,
    solve_built,
)


def red_line_switch(path: str) -> str | None:
    """The red line a `red_lines.ID.active` path switches, else None."""
    parts = path.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "red_lines" and parts[2] == "active" \
        else None


@dataclass
class LiveSolve:
    scenario: Scenario
    result: PlanResult
    rebuilt: bool
    seconds: float


KEPT_SHAPES = 4
"""Loaded models kept at once (one for each objective or cost-sharing rule tried lately)."""


class LiveModel:
    """The scenario's data, and the model of its current shape, loaded once into HiGHS."""

    def __init__(self, data: Mapping[str, Any], options: SolverOptions | None = None):
        self.data = dict(data)
        self.options = options or SolverOptions()
        self._lock = threading.Lock()  # one HiGHS session: one solve at a time
        self._built: BuiltModel | None = None
        self._session: HighsSession | None = None
        self._shape: tuple[Any, ...] | None = None
        self._kept: dict[tuple[Any, ...], tuple[BuiltModel, HighsSession, set[str]]] = {}
        self.rebuilds = 0
        self.base = scenario_from_data(self.data)

    def scenario(self, changes: Mapping[str, Any]) -> Scenario:
        """The scenario with `changes` applied, validated like `--set` (InputError if not)."""
        return scenario_from_data(apply_overrides(self.data, list(changes.items())))

    def solve(self, changes: Mapping[str, Any], *, binding: bool | None = None,
              stop: Callable[[], bool] | None = None) -> LiveSolve:
        """The plan with `changes`; `binding` (default: the options') also says which red
        lines bind, one re-solve each (so the page asks for it after the plan is shown);
        `stop`, asked before each of those re-solves, ends them early."""
        started = time.perf_counter()
        check = self.options.check_binding if binding is None else binding
        options = dataclasses.replace(self.options, check_binding=False)
        scenario = self.scenario(changes)
        switched_off = {r for p, v in changes.items() if (r := red_line_switch(p)) and v is False}
        model_changes = {p: v for p, v in changes.items() if red_line_switch(p) is None}
        # The model is built with every red line on; switching one off frees its rows.
        model_scenario = self.scenario(model_changes) if switched_off else scenario
        with self._lock:
            rebuilt = self._prepare(model_scenario, model_changes)
            built, session = self._built, self._session
            assert built is not None
            assert session is not None
            with session.edits() as edits:
                edits.free_rows([session.row_of(row) for rid in sorted(switched_off)
                                 for row in red_line_rows(built.m, rid)])
                outcome, session, binds = solve_built(built, options, session)
                if check and outcome.has_solution and built.data.scenario.red_lines:
                    binds = check_binding(session, objective_value(built), stop)
                for rid in switched_off:  # off: it binds nothing
                    if rid in binds:
                        binds[rid] = binds[rid]._replace(binds=False)
                result = make_result(built, outcome, session, binds, options, started,
                                     scenario_sha256(scenario), list(changes.items()))
        return LiveSolve(scenario=scenario, result=result, rebuilt=rebuilt,
                         seconds=time.perf_counter() - started)

    def _prepare(self, scenario: Scenario, changes: Mapping[str, Any]) -> bool:
        """Bring a loaded model to `scenario` in place where it can; True if one was built.

        A model's shape is the objective, the cost-sharing rule and every change that cannot
        be swapped in. Up to KEPT_SHAPES loaded models are kept, one a shape, so switching the
        objective or the rule back and forth builds each model once; within a shape the
        in-place changes (now and when it was last used) swap rows."""
        in_place = {p for p in changes if in_place_path(p)}
        shape = (scenario.objective, scenario.cost_sharing.model_dump_json(),
                 repr(sorted((p, repr(v)) for p, v in changes.items() if p not in in_place)))
        kept = self._kept.pop(shape, None)
        if kept is not None:
            built, session, before = kept
            paths = in_place | before
            if not paths or update_in_place(built, scenario, sorted(paths)):
                self._use(shape, built, session, in_place)
                return False
        built = build_model(scenario)
        self._use(shape, built, HighsSession(built, self.options), in_place)
        self.rebuilds += 1
        return True

    def _use(self, shape: tuple[Any, ...], built: BuiltModel, session: HighsSession,
             in_place: set[str]) -> None:
        self._built, self._session, self._shape = built, session, shape
        self._kept[shape] = (built, session, in_place)  # the newest last
        while len(self._kept) > KEPT_SHAPES:
            self._kept.pop(next(iter(self._kept)))

