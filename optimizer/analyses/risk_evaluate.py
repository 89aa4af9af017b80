"""A plan held fixed, evaluated on a sampled scenario: arithmetic, no solve.

The plan's selections and units stay as chosen. Each intervention-year's payments are kept in
the plan's proportions between its funders, so a cost that comes in higher than planned is
shared the way the planned cost was (where the plan paid nothing towards a cost that appears
only in the sample, its funders share it equally). Every measure follows SPEC 3.2 with the
sample's numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.data import ModelData

TOLERANCE = 1e-6
"""Relative slack for a target counted as met (solver round-off)."""


@dataclass(frozen=True)
class FixedPlan:
    """What is held fixed: units and selections, and each payment's share of its cost."""

    units: dict[str, float]
    selected: dict[str, bool]
    shares: dict[tuple[str, int], dict[str, float]]
    """(i, t) -> {partner: share of that year's cost}."""

    @classmethod
    def from_result(cls, result: PlanResult, d: ModelData) -> FixedPlan:
        units = {r.id: r.units for r in result.interventions}
        selected = {r.id: r.selected for r in result.interventions}
        paid: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
        for f in result.funding:
            paid[f.intervention, f.year][f.partner] = f.amount
        shares = {}
        for key, by_partner in paid.items():
            total = sum(by_partner.values())
            if total > 0:
                shares[key] = {p: v / total for p, v in by_partner.items()}
        return cls(units=units, selected=selected, shares=shares)

    def as_dict(self) -> dict[str, Any]:
        return {"units": self.units, "selected": self.selected,
                "shares": [[i, t, s] for (i, t), s in self.shares.items()]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FixedPlan:
        return cls(units=dict(data["units"]), selected=dict(data["selected"]),
                   shares={(i, int(t)): dict(s) for i, t, s in data["shares"]})


def _cost(d: ModelData, plan: FixedPlan, i: str, t: int) -> float:
    chosen = 1.0 if plan.selected.get(i) else 0.0
    return (d.fixed_cost.get((i, t), 0.0) * chosen
            + d.unit_cost.get((i, t), 0.0) * plan.units.get(i, 0.0))


def evaluate(sc: Scenario, plan: FixedPlan, objective: str,
             d: ModelData | None = None) -> dict[str, Any]:
    """Targets (value, met), partners (net position by year, discounted total), budgets
    (breached by year) and the objective of `plan` on scenario `sc`."""
    d = d or ModelData.from_scenario(sc)
    units = plan.units
    cost = {(i, t): _cost(d, plan, i, t) for i, t in d.costed}
    pay: dict[tuple[str, int], float] = defaultdict(float)
    for (i, t), c in cost.items():
        if not c:
            continue
        shares = plan.shares.get((i, t)) or {p: 1 / len(d.funders[i]) for p in d.funders[i]}
        for p, s in shares.items():
            pay[p, t] += s * c
    cash: dict[tuple[str, int], float] = defaultdict(float)
    gross: dict[tuple[str, int], float] = defaultdict(float)
    for (p, t), terms in d.by_partner_year.items():
        for i, a, c in terms:
            u = units.get(i, 0.0)
            gross[p, t] += a * u
            cash[p, t] += c * u
    total_cost = {t: sum(cost.get((i, t), 0.0) for i in d.costed_in_year.get(t, ()))
                  for t in d.years}

    def yearly(measure: str, partner: str | None, t: int) -> float:
        partners = d.partners if partner is None else (partner,)
        c = sum(cash[p, t] for p in partners)
        g = sum(gross[p, t] for p in partners)
        spend = total_cost[t] if partner is None else pay[partner, t]
        return {"cashable_benefit": c, "gross_fiscal_benefit": g, "spend": spend,
                "net_cashable_savings": c - spend, "net_fiscal_value": g - spend}[measure]

    targets = {}
    for target in sc.targets:
        if target.measure == "outcome":
            values = [sum(iv.outcomes.get(target.outcome or "", 0.0) * units.get(iv.id, 0.0)
                          for iv in sc.interventions)]
        elif target.period == "horizon":
            values = [sum((d.discount[t] if target.discounted else 1.0)
                          * yearly(target.measure, target.partner, t) for t in d.years)]
        elif target.period == "each_year":
            values = [yearly(target.measure, target.partner, t) for t in d.years]
        else:
            values = [yearly(target.measure, target.partner, int(target.period))]
        met = all(_within(v, target.min, target.max) for v in values)
        worst = min(values) if target.min is not None else max(values)
        targets[target.id] = {"value": worst, "met": met}
    partners = {}
    for partner in sc.partners:
        p = partner.id
        net = [cash[p, t] - pay[p, t] for t in d.years]
        running, cumulative = 0.0, []
        for t, v in zip(d.years, net, strict=True):
            running += d.discount[t] * v
            cumulative.append(running)
        partners[p] = {"net_npv": running, "cumulative": cumulative,
                       "breached": _breaches(partner, d, pay, cash)}
    disc = d.discount
    value = {"net_fiscal_value": gross, "net_cashable_savings": cash,
             "public_value": gross}.get(objective)
    total = sum(disc[t] * c for t, c in total_cost.items())
    if value is None:  # min_cost
        obj = total
    else:
        obj = sum(disc[t] * v for (_p, t), v in value.items()) - total
        if objective == "public_value":
            obj += sum(disc[t] * w * units.get(i, 0.0) for (i, t), w in d.wider_value.items())
    return {"objective": obj, "targets": targets, "partners": partners}


def _within(v: float, lo: float | None, hi: float | None) -> bool:
    if lo is not None and v < lo - TOLERANCE * max(1.0, abs(lo)):
        return False
    return not (hi is not None and v > hi + TOLERANCE * max(1.0, abs(hi)))


def _breaches(partner: Any, d: ModelData, pay: dict, cash: dict) -> list[bool]:
    """Per year: do the plan's payments exceed what the partner may put in (SPEC 3.2)?"""
    p, out = partner.id, []
    spent = budget = 0.0
    for k, t in enumerate(d.years):
        reinvest = (partner.reinvest_savings * cash[p, d.years[k - 1]]) if k > 0 else 0.0
        if partner.carry_over:
            spent += pay[p, t]
            budget += partner.poolable_budget[k] + reinvest
            over = spent - budget
            limit = budget
        else:
            over = pay[p, t] - partner.poolable_budget[k] - reinvest
            limit = partner.poolable_budget[k] + reinvest
        out.append(over > TOLERANCE * max(1.0, abs(limit)))
    return out
