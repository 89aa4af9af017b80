"""Partner budgets (SPEC 3.2): what each partner may put into the pool."""

from __future__ import annotations

import pyomo.environ as pyo

from pbo.models.scenario import Partner
from pbo.optimizer.formulation.constraints import add_rows, anchored
from pbo.optimizer.formulation.data import ModelData


def add_budget_limit(m: pyo.ConcreteModel, d: ModelData) -> None:
    """sum_i fund[p,i,t] <= poolable_budget[p,t] + reinvest_savings_p * realised savings.

    Without carry_over, last year's realised cashable savings are added; with carry_over the
    limit holds on running totals (each saving reinvested once).
    """
    rows = {}
    for partner in d.scenario.partners:
        rows.update(budget_rows(m, d, partner))
    add_rows(m, "budget_limit", rows)


def budget_rows(m: pyo.ConcreteModel, d: ModelData, partner: Partner) -> dict:
    """One partner's rows budget_limit[p, t] (none in a year it can pay nothing towards)."""
    p = partner.id
    rows = {}
    spend_so_far: list = []
    budget_so_far = 0.0
    reinvest_so_far: list = []
    for k, t in enumerate(d.years):
        spend = [m.fund[p, i, t] for i in d.fund_by_partner_year.get((p, t), ())]
        budget = partner.poolable_budget[k]
        reinvest = []
        if partner.reinvest_savings and k > 0:
            prev = d.years[k - 1]
            reinvest = [partner.reinvest_savings * c * m.units[i]
                        for i, _a, c in d.by_partner_year.get((p, prev), ()) if c]
        if partner.carry_over:
            spend_so_far.extend(spend)
            budget_so_far += budget
            reinvest_so_far.extend(reinvest)
            spend, budget, reinvest = spend_so_far, budget_so_far, reinvest_so_far
        if not spend:
            continue
        lhs = pyo.quicksum(spend) - pyo.quicksum(reinvest)
        rows[p, t] = anchored(m, lhs) <= budget
    return rows
