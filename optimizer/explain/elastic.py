"""The nearest feasible plan: an elastic re-solve in which targets may fall short and
negotiable red lines may be breached, each violation priced (ElasticWeights).

Each elastic row gets a non-negative slack: `body + s >= lower` and/or `body - s <= upper`.
Stage A minimises the priced slack; stage B holds it at its minimum and optimises the
scenario's own objective (then the usual who-pays stage). The plan is a normal PlanResult
whose targets say how far each falls short.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pyomo.core as pyo

from pbo.models.io.loading import scenario_sha256
from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.explain.text import red_line_text, target_amount, target_text
from pbo.optimizer.explain.types import ElasticWeights, Shortfall
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.present.tables import money
from pbo.optimizer.solving.highs import HighsSession, SolverOptions
from pbo.optimizer.solving.plan import make_result, solve_built
from pbo.optimizer.solving.results import clean

HOLD = 1e-7
"""Stage B keeps the priced violation within this relative tolerance of stage A's minimum."""


@dataclass(frozen=True)
class ElasticRow:
    kind: str
    """target, red_line or must_fund."""
    id: str
    part: str
    """The row's period (targets) or part (red lines)."""
    side: str
    """lower or upper: which bound may give."""
    bound: float
    weight: float
    con: Any
    """The original (now deactivated) Pyomo row."""


def money_scale(sc: Scenario) -> float:
    """The scenario's total poolable budget over the horizon (at least 1)."""
    return max(1.0, sum(sum(p.poolable_budget) for p in sc.partners))


def elastic_rows(built, weights: ElasticWeights) -> list[ElasticRow]:
    """The rows allowed to give: every target row and every negotiable red line's rows."""
    m, sc = built.m, built.data.scenario
    scale = money_scale(sc)
    rules = {r.id: r for r in sc.red_lines}
    targets = {t.id: t for t in sc.targets}
    out: list[ElasticRow] = []
    for component in ("target", "red_line"):
        if not hasattr(m, component):
            continue
        for key in getattr(m, component):
            con = getattr(m, component)[key]
            sid, part = key
            if component == "target":
                kind, weight = "target", weights.target
                if targets[sid].measure == "outcome":
                    bounds = [b for b in (targets[sid].min, targets[sid].max) if b]
                    weight *= scale / max(1.0, *(abs(b) for b in bounds))
            else:
                rule = rules[sid]
                if not rule.negotiable:
                    continue
                kind = "must_fund" if rule.rule == "must_fund" else "red_line"
                weight = weights.red_line
                if part == "select":
                    weight *= scale
                elif part == "units":
                    weight *= scale / max(1e-9, float(pyo.value(con.lower)))
            for side in ("lower", "upper"):
                bound = getattr(con, side)
                if bound is not None:
                    out.append(ElasticRow(kind, sid, str(part), side, float(pyo.value(bound)),
                                          weight, con))
    return out


def add_elastic(built, rows: list[ElasticRow]) -> Any:
    """Swap each row for its elastic version; return the priced violation expression."""
    m = built.m
    n = len(rows)
    m.elastic_slack = pyo.Var(range(n), domain=pyo.NonNegativeReals)

    def rule(_m, k):
        row = rows[k]
        body = row.con.body
        if row.side == "lower":
            return body + m.elastic_slack[k] >= row.bound
        return body - m.elastic_slack[k] <= row.bound

    m.elastic_row = pyo.Constraint(range(n), rule=rule)
    for row in rows:
        row.con.deactivate()
    return pyo.quicksum(row.weight * m.elastic_slack[k] for k, row in enumerate(rows))


@dataclass
class NearestPlan:
    plan: PlanResult | None
    shortfalls: list[Shortfall]
    violation: float | None


def nearest_plan(sc: Scenario, weights: ElasticWeights, options: SolverOptions,
                 objective: str | None = None) -> NearestPlan:
    """The best plan among those that violate the targets and negotiable red lines least."""
    start = time.perf_counter()
    options = SolverOptions(**{**options.as_dict(), "check_binding": False})
    built = build_model(sc, objective, options.formulation)
    m = built.m
    rows = elastic_rows(built, weights)
    if not rows:
        return NearestPlan(None, [], None)
    violation = add_elastic(built, rows)
    m.objective.deactivate()
    m.elastic_objective = pyo.Objective(expr=violation, sense=pyo.minimize)
    session = HighsSession(built, options)
    first = session.solve()
    if not first.has_solution:
        return NearestPlan(None, [], None)
    least = float(pyo.value(violation))
    m.elastic_objective.deactivate()
    m.objective.activate()
    hold = max(1e-6, HOLD * abs(least))
    m.elastic_hold = pyo.Constraint(expr=violation <= least + hold)
    outcome, session, _ = solve_built(built, options, session)
    if not outcome.has_solution:  # numerically unlucky: keep stage A's plan
        return NearestPlan(None, [], least)
    result = make_result(built, outcome, session, {}, options, start, scenario_sha256(sc), [])
    found = shortfalls(built, rows, hold)
    if sum(s.kind == "target" for s in found) > 1:
        found = [with_best_alone(sc, s, weights, options, objective) for s in found]
    message = ("nearest feasible plan: " + ("; ".join(s.detail for s in found)
                                            if found else "nothing had to give"))
    plan = result.model_copy(update={"message": message})
    return NearestPlan(plan, found, least)


def shortfalls(built, rows: list[ElasticRow], hold: float) -> list[Shortfall]:
    """One line per statement that gives: its worst row. Slack within the stage-B hold
    (`hold`, in priced units) is noise, not a shortfall."""
    m, sc = built.m, built.data.scenario
    worst: dict[tuple[str, str], tuple[tuple[bool, float], ElasticRow, float]] = {}
    for k, row in enumerate(rows):
        slack = clean(m.elastic_slack[k].value)
        if slack <= 1e-6 * max(1.0, abs(row.bound)) + 2 * hold / row.weight:
            continue
        rank = (row.part == "select", slack * row.weight)
        if (row.kind, row.id) not in worst or rank > worst[row.kind, row.id][0]:
            worst[row.kind, row.id] = (rank, row, clean(pyo.value(row.con.body)))
    breached = sorted(sid for kind, sid in worst if kind != "target")
    held = ("while every red line holds" if not breached
            else f"with red line{'s' if len(breached) > 1 else ''} {', '.join(breached)} "
            "breached")
    out = []
    for (kind, sid), (_, row, value) in worst.items():
        money_rows = row.part not in ("select", "units")
        if kind == "target":
            target = next(t for t in sc.targets if t.id == sid)
            money_rows = target.measure != "outcome"
            others = sorted(t for k, t in worst if k == "target" and t != sid)
            if others:  # a joint compromise, not this target's best on its own
                detail = (f"{target_text(sc, target)}: {target_amount(sc, target, value)} in "
                          f"the nearest plan, which also falls short on {', '.join(others)}, "
                          f"{held}")
            else:
                detail = (f"{target_text(sc, target)}: best achievable "
                          f"{target_amount(sc, target, value)} {held}")
        else:
            rule = next(r for r in sc.red_lines if r.id == sid)
            detail = f"{red_line_text(sc, rule)}: {breach_words(sc, rule, row, value)}"
        out.append(Shortfall(id=sid, kind=row.kind, required=row.bound,  # type: ignore[arg-type]
                             achievable=value, period=row.part, detail=detail,
                             money=money_rows))
    out.sort(key=lambda s: (s.kind != "target", s.id))
    return out


def with_best_alone(sc: Scenario, short: Shortfall, weights: ElasticWeights,
                    options: SolverOptions, objective: str | None) -> Shortfall:
    """A target short together with others, with the best it reaches on its own: the nearest
    plan of the scenario with every other target set aside."""
    if short.kind != "target":
        return short
    target = next(t for t in sc.targets if t.id == short.id)
    alone = nearest_plan(sc.model_copy(update={"targets": [target]}), weights, options,
                         objective)
    if alone.plan is None:
        return short
    mine = [s for s in alone.shortfalls if s.kind == "target"]
    best = mine[0].achievable if mine else short.required
    said = (f"best achievable on its own {target_amount(sc, target, best)}" if mine
            else "on its own it could be met")
    return short.model_copy(update={"best_alone": best, "detail": f"{short.detail}; {said}"})


def breach_words(sc: Scenario, rule, row: ElasticRow, value: float) -> str:
    if row.part == "select":
        name = sc.intervention[rule.intervention].label
        return f"breached: {name} is {'funded' if value > 0.5 else 'not funded'}"
    if row.part == "units":
        return f"breached: only {value:,.4g} units against {row.bound:,.4g}"
    return f"breached by {money(abs(value - row.bound), sc.currency)}"
