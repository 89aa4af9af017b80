"""Near-optimal alternatives (modelling to generate alternatives, MGA).

A board rarely wants "the" optimum: it wants a few good plans that differ in the ways that
matter (fund the police's scheme or the council's), each within a stated distance of the best.
On the loaded model of the best plan:
1. the objective is held within `slack` of the best (a relative share; at 0, the SPEC's 1e-6);
2. plan after plan maximises the smallest Hamming distance, on which interventions are funded,
   to every plan found so far. The distance is linear in the selection binaries
   (sum of select[i] over i not funded in plan k, plus 1 - select[i] over i funded in k), so
   no big-M is needed; an intervention with no fixed cost and no minimum scale counts as
   funded only at 1% of its maximum scale or more (GATE_SHARE), so a sliver is no difference;
3. each selection found is then solved for the best objective it allows, and who pays as in any
   solve (the fairness stage), so each alternative is a full result.
It stops when no plan within the slack differs from all those found in at least one
intervention: with slack 0 the alternatives are the tied optima, or there is none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from pbo.models.errors import UsageError
from pbo.models.io.loading import scenario_sha256
from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.solving.held import objective_terms
from pbo.optimizer.solving.highs import HighsSession, SolverOptions, restore, values
from pbo.optimizer.solving.plan import FAIRNESS_TOLERANCE, fairness_stage, make_result, solve_built

MAX_COUNT = 20
"""At most this many alternatives are asked for in one call."""
GATE_SHARE = 0.01
"""An intervention with no fixed cost and no minimum scale counts as funded in an alternative
only at this share of its max_units or more (and at least one unit, where max_units allows):
a plan that adds a thousandth of a family is no different plan."""


@dataclass
class Alternative:
    result: PlanResult
    label: str
    """What distinguishes it from the best plan, in words."""
    added: list[str]
    dropped: list[str]
    distance: int
    """How many interventions are funded in one of the two plans but not the other."""


@dataclass
class AlternativesResult:
    best: PlanResult
    slack: float
    alternatives: list[Alternative] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def message(self) -> str:
        if not self.best.has_plan:
            return "there is no plan to find alternatives to"
        if not self.alternatives:
            return ("no other plan is as good" if self.slack == 0 else
                    f"no other plan is within {self.slack:.1%} of the best")
        n = len(self.alternatives)
        return f"{n} alternative plan{'s' if n > 1 else ''} within {self.slack:.1%} of the best"

    def tables(self) -> dict[str, Any]:
        """`plans`: one row a plan (the best first), its objective, the gap to the best and
        what distinguishes it; `selections`: plan x intervention, funded or not."""
        import pandas as pd

        plans = [self.best, *(a.result for a in self.alternatives)]
        labels = ["best plan", *(a.label for a in self.alternatives)]
        rows = [{"plan": k, "objective": r.objective,
                 "below_best": None if r.objective is None else _worse(self.best, r.objective),
                 "distinguished_by": label}
                for k, (r, label) in enumerate(zip(plans, labels, strict=True))]
        selections = [{"plan": k, "intervention": iv.id, "funded": iv.selected}
                      for k, r in enumerate(plans) for iv in r.interventions]
        return {"plans": pd.DataFrame(rows), "selections": pd.DataFrame(selections)}

    def to_json(self) -> dict[str, Any]:
        return {"slack": self.slack, "message": self.message, "seconds": self.seconds,
                "best": self.best.model_dump(mode="json"),
                "alternatives": [{"label": a.label, "added": a.added, "dropped": a.dropped,
                                  "distance": a.distance,
                                  "below_best": _worse(self.best, a.result.objective or 0.0),
                                  "result": a.result.model_dump(mode="json")}
                                 for a in self.alternatives]}


def _worse(best: PlanResult, objective: float) -> float:
    """How much worse than the best a plan is, in the objective's own direction (>= 0)."""
    if best.objective is None:
        return 0.0
    gap = best.objective - objective
    return -gap if best.objective_name == "min_cost" else gap


def funded(result: PlanResult) -> frozenset[str]:
    return frozenset(r.id for r in result.interventions if r.selected)


def describe(best: PlanResult, alt: PlanResult, names: dict[str, str]) -> tuple[str, list[str],
                                                                             list[str]]:
    """"funds A instead of B; £41k less" — what an alternative does differently."""
    from pbo.optimizer.present.tables import money

    added = sorted(funded(alt) - funded(best))
    dropped = sorted(funded(best) - funded(alt))

    def listed(ids: list[str]) -> str:
        words = [names.get(i) or i for i in ids]
        return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]

    if added and dropped:
        what = f"funds {listed(added)} instead of {listed(dropped)}"
    elif added:
        what = f"also funds {listed(added)}"
    elif dropped:
        what = f"does without {listed(dropped)}"
    else:
        what = "funds the same interventions"
    worse = _worse(best, alt.objective or 0.0)
    direction = "more" if best.objective_name == "min_cost" else "less"
    cost = "as good" if abs(worse) < 0.5 else f"{money(abs(worse))} {direction}"
    return f"{what}; {cost}", added, dropped


def alternatives(scenario: Scenario, *, slack: float = 0.02, count: int = 4,
                 objective: str | None = None, options: SolverOptions | None = None
                 ) -> AlternativesResult:
    """Up to `count` plans within `slack` (a share, 0.02 = 2%) of the best objective, as
    different from each other as possible in which interventions they fund."""
    if not 0 <= slack < 1:
        raise UsageError(f"--slack {slack:g}: a share of the best objective, at least 0 and "
                         "below 1 (0.02 means 2%)")
    if not 1 <= count <= MAX_COUNT:
        raise UsageError(f"--count {count}: between 1 and {MAX_COUNT}")
    started = time.perf_counter()
    options = options or SolverOptions(check_binding=False)
    built = build_model(scenario, objective)
    session = HighsSession(built, options)
    outcome, session, _ = solve_built(built, options, session)
    sha = scenario_sha256(scenario)
    best = make_result(built, outcome, session, {}, options, started, sha, [])
    out = AlternativesResult(best=best, slack=slack)
    if not best.has_plan:
        out.seconds = time.perf_counter() - started
        return out
    names = {iv.id: iv.name for iv in scenario.interventions}
    m, d = built.m, built.data
    col = session.col_of
    costs, optimum = objective_terms(session)
    tol = max(1e-9, max(slack, FAIRNESS_TOLERANCE) * abs(optimum))
    inf = float("inf")
    found = [funded(best)]
    ids = list(d.interventions)
    with session.edits() as edits:
        if built.maximise:
            edits.add_row(optimum - tol, inf, costs)
        else:
            edits.add_row(-inf, optimum + tol, costs)
        for iv in scenario.interventions:  # funded means real units, not just select = 1
            if not any(iv.fixed_cost) and not iv.min_units:
                gate = min(iv.max_units, max(1.0, GATE_SHARE * iv.max_units))
                edits.add_row(0.0, inf, {col(m.units[iv.id]): 1.0, col(m.select[iv.id]): -gate})
        spread = edits.add_col(0.0, float(len(ids)))
        edits.set_objective({spread: 1.0}, maximise=True)
        while len(out.alternatives) < count:
            chosen = found[-1]
            row = {spread: 1.0}
            for i in ids:
                row[col(m.select[i])] = 1.0 if i in chosen else -1.0
            edits.add_row(-inf, float(len(chosen)), row)
            search = session.run()
            if not search.has_solution:
                break
            if session.highs.getSolution().col_value[spread] < 0.5:
                break  # every plan within the slack funds the same as one already found
            selection = frozenset(i for i in ids if (m.select[i].value or 0.0) > 0.5)
            with session.edits() as held:
                ones = [1.0 if i in selection else 0.0 for i in ids]
                held.set_col_bounds([col(m.select[i]) for i in ids], ones, ones)
                held.set_objective(costs, maximise=built.maximise)
                solved = session.run()
                if not solved.has_solution:
                    break
                fairness_stage(session)
                snapshot = values(m)
                plan = make_result(built, solved, session, {}, options, started, sha, [])
                restore(m, snapshot)
            label, added, dropped = describe(best, plan, names)
            out.alternatives.append(Alternative(result=plan, label=label, added=added,
                                                dropped=dropped,
                                                distance=len(added) + len(dropped)))
            found.append(selection)
    out.seconds = time.perf_counter() - started
    return out
