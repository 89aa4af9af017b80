"""Explain: why a scenario is infeasible, the nearest plan that works, and what unblocks it;
and, for a feasible scenario, why an intervention is (not) funded.

>>> from pbo.optimizer.explain.infeasible import explain, explain_intervention
>>> why = explain(scenario)                  # Explanation: conflicts, nearest_plan, ...
>>> x = explain_intervention(scenario, "x")  # InterventionExplanation: forced in/out, ...

Three steps on an infeasible scenario (docs in pbo.optimizer.explain.types):
1. the conflict set (pbo.optimizer.explain.conflicts): HiGHS's IIS of the LP relaxation narrows
   the candidates where it applies, deletion filtering over the scenario's statements (a
   persistent HiGHS model, rows freed and restored) makes it irreducible for the real MIP;
2. the nearest feasible plan (pbo.optimizer.explain.elastic): targets may fall short and
   negotiable red lines may be breached, each priced (ElasticWeights), lexicographically;
3. the cheapest unblock: the smallest sets of negotiable red lines whose relaxation alone
   makes the scenario feasible, with the objective each reaches.
"""

from __future__ import annotations

from typing import Any

from pbo.models.scenario import Scenario
from pbo.optimizer.explain.conflicts import cheapest_unblock, conflict_set, statements
from pbo.optimizer.explain.elastic import nearest_plan
from pbo.optimizer.explain.types import (
    BindingRow,
    BreakEven,
    Conflict,
    ElasticWeights,
    ExplainOptions,
    Explanation,
    InterventionExplanation,
    Shortfall,
    Unblock,
)
from pbo.optimizer.explain.why import explain_intervention
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.present.tables import money
from pbo.optimizer.solving.highs import HighsSession, SolverOptions

__all__ = [
    "BindingRow", "BreakEven", "Conflict", "ElasticWeights", "ExplainOptions", "Explanation",
    "InterventionExplanation", "Shortfall", "Unblock", "explain", "explain_intervention",
]


def explain(scenario: Scenario, options: ExplainOptions | None = None,
            solver: SolverOptions | None = None, objective: str | None = None) -> Explanation:
    """Why `scenario` is infeasible (or say that it is not)."""
    options = options or ExplainOptions()
    solver = SolverOptions(**{**(solver or SolverOptions()).as_dict(), "check_binding": False})
    sc = scenario
    built = build_model(sc, objective, solver.formulation)
    session = HighsSession(built, solver)
    outcome = session.solve()
    base: dict[str, Any] = {"scenario_name": sc.name, "currency": sc.currency,
                            "weights": options.weights.as_dict()}
    if outcome.has_solution:
        return Explanation(status="feasible", **base, message=(
            f"{sc.name} is feasible: every target and red line can hold together, so there "
            "is nothing to explain. Use --intervention ID to ask why an intervention is or "
            "is not funded."))
    if outcome.status != "infeasible":
        return Explanation(status=outcome.status, **base, message=(  # type: ignore[arg-type]
            f"HiGHS stopped with status {outcome.status} ({outcome.message}) before proving "
            "the scenario feasible or infeasible."))
    every = statements(session)
    search = conflict_set(session, every, options.use_iis)
    conflicts = [Conflict(id=s.id, kind=s.kind, detail=s.detail, year=s.year,
                          rows=list(s.names)) for s in search.statements]
    unblock, searched = cheapest_unblock(session, every, search.statements,
                                         options.max_unblock_size, options.max_unblock_solves)
    nearest = nearest_plan(sc, options.weights, solver, objective)
    explanation = Explanation(
        status="infeasible", **base, conflicts=conflicts, conflict_method=search.method,
        irreducible=search.irreducible, nearest_plan=nearest.plan,
        shortfalls=nearest.shortfalls, unblock=unblock, unblock_searched=searched)
    sentences = _sentences(explanation)
    return explanation.model_copy(update={"sentences": sentences,
                                          "message": sentences[0] if sentences else ""})


def _sentences(e: Explanation) -> list[str]:
    cur = e.currency
    out: list[str] = []
    n = len(e.conflicts)
    if n == 0:
        out.append(f"{e.scenario_name} is infeasible, but no target, red line, budget or link "
                   "is to blame: the interventions' own limits and the cost-sharing rule "
                   "cannot hold together.")
    else:
        proven = "" if e.irreducible else " (a re-solve hit the time limit, so this set may " \
            "not be the smallest)"
        if n > 1:
            out.append(f"{e.scenario_name} is infeasible: these {n} statements cannot all "
                       f"hold together{proven}: without any one of them the rest could hold "
                       "(though other conflicts may remain).")
        else:
            out.append(f"{e.scenario_name} is infeasible: this statement cannot hold even on "
                       f"its own, within the interventions' limits{proven}.")
        out.extend(f"  - {c.detail}" for c in e.conflicts)
    if e.nearest_plan is not None:
        if e.shortfalls:
            out.append(f"The nearest feasible plan reaches {e.nearest_plan.objective_name}"
                       f" {money(e.nearest_plan.objective, cur)}:")
            out.extend(f"  - {s.detail}" for s in e.shortfalls)
    else:
        out.append("Even with every target allowed to fall short and every negotiable red "
                   "line allowed to give, there is no plan: budgets, links or non-negotiable "
                   "red lines must change.")
    if e.unblock:
        for u in e.unblock:
            names = ", ".join(u.red_lines)
            out.append(f"Relaxing red line{'s' if len(u.red_lines) > 1 else ''} {names} "
                       f"{'alone ' if len(u.red_lines) == 1 else ''}makes it feasible, with "
                       f"objective {money(u.objective, cur)}.")
    elif e.unblock_searched == 0:
        out.append("No negotiable red line is in the conflict, so relaxing red lines alone "
                   "cannot unblock it: a target, budget or link must change.")
    else:
        out.append(f"No set of up to {e.unblock_searched} negotiable red lines makes it "
                   "feasible on its own: a target, budget or link must change too.")
    return out
