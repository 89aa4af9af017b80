"""A robust plan by sample-average approximation: every target met in a share of samples.

The point-estimate model is built as usual (the plan's costs, budgets and payments are those
of the point estimates: what the partners commit to). On top of it, for each of K samples and
each target row, the target's expression is written again with that sample's numbers over the
same decision variables; a binary `short[k]` lets sample k fall short of every target at once
(big-M), and at most floor((1 - level) K) samples may be short. The objective is the
average over the K samples of the objective. In a partner's own targets, each planned
payment grows with its cost in the sample (as when the plan is held fixed), by the ratio of
its unit cost (or fixed cost, where it has no unit cost): exact when an intervention-year's
fixed and unit costs move together.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pyomo.core as pyo
from pyomo.repn import generate_standard_repn

from pbo.models.scenario import Scenario
from pbo.optimizer.analyses.risk_evaluate import FixedPlan, evaluate
from pbo.optimizer.analyses.risk_sampling import (
    Method,
    member_values,
    sample_changes,
    sampled_scenario,
    uniforms,
)
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.formulation.constraints.targets import target_expression, target_periods
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.measures import objective_expression
from pbo.optimizer.solving.highs import HighsSession, SolverOptions
from pbo.optimizer.solving.plan import make_result, solve_built


def _lowest(expr: Any, cap: float) -> float:
    """The least value a linear expression can take over its variables' bounds (a variable
    without an upper bound counted up to `cap`, the most the whole plan can cost)."""
    repn = generate_standard_repn(expr, compute_values=True)
    low = float(repn.constant or 0.0)
    for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
        lb = var.lb if var.lb is not None else -cap
        ub = var.ub if var.ub is not None else cap
        low += coef * (lb if coef > 0 else ub)
    return low


def _ratio(point: ModelData, sample: ModelData, i: str, t: int) -> float:
    """How much a year's cost of i grows in the sample (by its unit cost where it has one)."""
    for table in (point.unit_cost, point.fixed_cost):
        base = table.get((i, t), 0.0)
        if base:
            other = sample.unit_cost if table is point.unit_cost else sample.fixed_cost
            return other.get((i, t), 0.0) / base
    return 1.0


def _overrun(m: Any, point: ModelData, sample: ModelData, target: Any, period: Any) -> Any:
    """What a partner pays beyond its planned payments in the sample, in the target's terms:
    each planned payment grows with its cost, as in the evaluation of the plan held fixed.
    Zero for partnership-wide and benefit-only measures (and when the model names its
    payments otherwise than fund[p, i, t])."""
    fund = getattr(m, "fund", None)
    if (target.partner is None or fund is None or target.measure not in
            ("spend", "net_cashable_savings", "net_fiscal_value")):
        return 0.0
    if period == "horizon":
        weights = {t: point.discount[t] if target.discounted else 1.0 for t in point.years}
    else:
        weights = {int(period): 1.0}
    terms = []
    for t, w in weights.items():
        for i in point.fund_by_partner_year.get((target.partner, t), ()):
            extra = _ratio(point, sample, i, t) - 1.0
            if extra and (target.partner, i, t) in fund:
                terms.append(w * extra * fund[target.partner, i, t])
    total = pyo.quicksum(terms) if terms else 0.0
    return total if target.measure == "spend" else -total


def _cost_cap(d: ModelData) -> float:
    iv = d.scenario.intervention
    return sum(d.fixed_cost.get((i, t), 0.0) + d.unit_cost.get((i, t), 0.0) * iv[i].max_units
               for i, t in d.costed) + 1.0


def robust_plan(scenario: Scenario, base: Mapping[str, Any], dims: Sequence[Any], level: float,
                k: int, seed: int, method: Method, objective: str,
                options: SolverOptions) -> dict[str, Any]:
    """The SAA plan for K samples drawn with `seed`: the plan, its status and timings."""
    started = time.perf_counter()
    u = uniforms(k, len(dims), seed, method)
    samples = [ModelData.from_scenario(sampled_scenario(base, sample_changes(base, dims, row)),
                                       "full")
               for row in member_values(dims, u)]
    built = build_model(scenario, objective, "full")  # a payment per (p, i, t) to scale
    m, d = built.m, built.data
    cap = _cost_cap(d) * 2
    m.robust_samples = pyo.RangeSet(0, k - 1)
    m.short = pyo.Var(m.robust_samples, domain=pyo.Binary)
    rows: dict[Any, Any] = {}
    for s, dk in enumerate(samples):
        for target in scenario.targets:
            for period in target_periods(dk, target):
                expr = target_expression(m, dk, target, period) + _overrun(m, d, dk, target,
                                                                           period)
                if target.min is not None:
                    big = max(0.0, target.min - _lowest(expr, cap))
                    rows[target.id, str(period), s, "min"] = expr + big * m.short[s] >= target.min
                if target.max is not None:
                    big = max(0.0, -_lowest(-expr, cap) - target.max)
                    rows[target.id, str(period), s, "max"] = expr - big * m.short[s] <= target.max
    m.robust_target = pyo.Constraint(list(rows), rule=lambda _m, *key: rows[key])
    allowed = math.floor((1 - level) * k + 1e-9)
    m.robust_share = pyo.Constraint(expr=pyo.quicksum(m.short.values()) <= allowed)
    m.objective.deactivate()
    sense = pyo.minimize if objective == "min_cost" else pyo.maximize
    m.robust_objective = pyo.Objective(
        expr=pyo.quicksum(objective_expression(m, dk, objective) for dk in samples) / k,
        sense=sense)
    built_seconds = time.perf_counter() - started
    session = HighsSession(built, options)
    outcome = session.solve()
    if outcome.has_solution:
        # The fairness stage (who pays) relaxes integrality; the samples let go stay let go.
        for s in range(k):
            m.short[s].fix(round(m.short[s].value or 0.0))
        outcome, session, _ = solve_built(built, options, session)
    result = make_result(built, outcome, session, {}, options, started, "", [])
    out: dict[str, Any] = {"level": level, "samples_k": k, "allowed_short": allowed,
                           "status": outcome.status, "plan": result,
                           "build_seconds": built_seconds,
                           "solve_seconds": time.perf_counter() - started - built_seconds,
                           "objective_at_point": None}
    if outcome.has_solution:
        short = [round(m.short[s].value or 0.0) for s in range(k)]
        out["short_in_saa"] = int(sum(short))
        plan = FixedPlan.from_result(result, d)
        out["objective_at_point"] = evaluate(scenario, plan, objective, d)["objective"]
    return out
