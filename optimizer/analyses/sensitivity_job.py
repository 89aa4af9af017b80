"""Red-line sensitivity's relaxations as ensemble jobs (pbo.optimizer.ensemble.worker.Job).

Each worker builds the model, loads it into HiGHS and solves the base once (`base_state`,
what `sensitivity` itself starts with), then relaxes its chunk's red lines, or pairs of
them, one by one on that session, each from the base plan with no warm state from the
relaxation before. So every relaxation's answer depends only on the scenario and the red
lines relaxed: the same on one worker, several, or a Dask cluster. The singles and the
pairs are two jobs of one model (`model_key`): the pairs are known once the singles are
ranked.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pbo.models.scenario import Scenario
from pbo.optimizer.ensemble.worker import job_key
from pbo.optimizer.formulation.build import BuiltModel
from pbo.optimizer.solving.highs import HighsSession, Outcome, SolverOptions


@dataclass
class BaseState:
    """The loaded model and its base solve: what every relaxation starts from."""

    built: BuiltModel
    session: HighsSession
    first: Outcome
    base: Any
    """sensitivity.BaseSolve."""
    snapshot: dict[int, float | None]
    today: dict[str, float] | None
    """Each partner's position in the base plan, the cost-sharing rule applied."""
    apply_rule: Callable[[HighsSession], object] | None


def formulation_for(scenario: Scenario, options: SolverOptions) -> str:
    # The re-split (who gains from a relaxation, if the split changes) moves payments: under
    # benefit_share and fixed the reduced model has none (share x cost), so the full one.
    return options.formulation if scenario.cost_sharing.rule in ("optimise", "core") \
        else "full"


def base_state(scenario: Scenario, objective: str | None, options: SolverOptions) -> BaseState:
    from pbo.optimizer.analyses.sensitivity import BaseSolve
    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.solving.highs import restore, values
    from pbo.optimizer.solving.plan import objective_value

    built = build_model(scenario, objective, formulation_for(scenario, options))
    session = HighsSession(built, options)
    first = session.solve()
    base = BaseSolve(status=first.status,
                     objective=objective_value(built) if first.has_solution else None)
    snapshot = values(built.m)
    today = apply_rule = None
    if base.objective is not None:
        from pbo.optimizer.analyses.redline_gains import positions, rule_applier

        apply_rule = rule_applier(session)
        apply_rule(session)
        today = positions(session)
        restore(built.m, snapshot)
    return BaseState(built, session, first, base, snapshot, today, apply_rule)


@dataclass(frozen=True)
class RelaxJob:
    """Relax task k's red lines together: one id, a single (with who gains, when the base
    has a plan and the red line has rows); two ids, a pair."""

    key: str
    model_key: str
    scenario: Scenario
    objective: str | None
    options: dict[str, Any]
    tasks: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, scenario: Scenario, objective: str | None, options: SolverOptions,
           tasks: Sequence[tuple[str, ...]]) -> RelaxJob:
        opts = options.as_dict()
        model = job_key({"sensitivity": scenario.model_dump(mode="json"),
                         "objective": objective, "options": opts})
        todo = tuple(tuple(t) for t in tasks)
        return cls(key=job_key({"model": model, "tasks": todo}), model_key=model,
                   scenario=scenario, objective=objective, options=opts, tasks=todo)

    def setup(self) -> BaseState:
        return base_state(self.scenario, self.objective, SolverOptions(**self.options))

    def run(self, state: BaseState, k: int) -> dict[str, Any]:
        from pbo.optimizer.analyses.sensitivity import RedLineValue, _for_partners, _relaxed
        from pbo.optimizer.solving.plan import red_line_rows

        ids = self.tasks[k]
        session = state.session
        highs, runs = session.highs_seconds, session.runs
        session.highs.clearSolver()  # no warm state: a relaxation's answer is its own
        out: dict[str, Any] = {}
        if len(ids) == 1:
            rule = next(r for r in self.scenario.red_lines if r.id == ids[0])
            if (state.today is not None and state.apply_rule is not None
                    and red_line_rows(state.built.m, rule.id)):
                out["value"] = _for_partners(session, rule, state.base, state.today,
                                             state.snapshot, state.apply_rule)
            else:
                status, obj, value = _relaxed(session, ids, state.base, state.snapshot)
                out["value"] = RedLineValue(
                    id=rule.id, rule=rule.rule, owner=rule.owner, negotiable=rule.negotiable,
                    status=status, objective=obj, value=value, description=rule.description)
        else:
            out["relaxed"] = _relaxed(session, ids, state.base, state.snapshot)
        out["highs"], out["runs"] = session.highs_seconds - highs, session.runs - runs
        out["pid"] = os.getpid()  # the caller counts the solves made in other processes
        return out
