"""Partner budgets (SPEC 3.2): what each partner may put into the pool."""

from __future__ import annotations

import pyomo.core as pyo

from pbo.models.scenario import Partner
from pbo.optimizer.formulation.constraints import add_rows, anchored
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.payments import linear, spend_terms


def add_budget_limit(m: pyo.ConcreteModel, d: ModelData) -> None:
    """sum_i fund[p,i,t] <= poolable_budget[p,t] + reinvest_savings_p * realised savings.

    Without carry_over, last year's realised cashable savings are added; with carry_over the
    limit holds on running totals (each saving reinvested once).
    """
    rows = {}
    for partner in d.model_scenario.partners:
        rows.update(budget_rows(m, d, partner))
    add_rows(m, "budget_limit", rows)


def budget_rows(m: pyo.ConcreteModel, d: ModelData, partner: Partner) -> dict:
    """One partner's rows budget_limit[p, t]: every row SPEC 3.2 states that can bind.

    A year's row is built when the partner can pay something in it (running totals: in it
    or earlier) or when reinvested savings can lower its limit (a negative cashable benefit,
    a cost shifted onto the partner, even in a year it pays nothing). A row with neither is
    0 - (savings >= 0) <= budget >= 0, true of every plan, and is left out.
    """
    p = partner.id
    rows = {}
    spend_so_far: list = []
    budget_so_far = 0.0
    reinvest_so_far: list = []
    lowers_so_far = False
    for k, t in enumerate(d.years):
        spend = linear(spend_terms(m, d, p, t))
        budget = partner.poolable_budget[k]
        reinvest = []
        lowers = False
        if partner.reinvest_savings and k > 0:
            prev = d.years[k - 1]
            terms = [(i, c) for i, _a, c in d.by_partner_year.get((p, prev), ()) if c]
            reinvest = [partner.reinvest_savings * c * m.units[i] for i, c in terms]
            lowers = any(c < 0 for _i, c in terms)
        if partner.carry_over:
            spend_so_far.extend(spend)
            budget_so_far += budget
            reinvest_so_far.extend(reinvest)
            lowers_so_far = lowers_so_far or lowers
            spend, budget, reinvest, lowers = (spend_so_far, budget_so_far, reinvest_so_far,
                                               lowers_so_far)
        if not spend and not lowers:
            continue
        lhs = pyo.quicksum(spend) - pyo.quicksum(reinvest)
        rows[p, t] = anchored(m, lhs) <= budget
    return rows
