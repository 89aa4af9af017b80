"""Decisions and the rules on who pays: unit limits, cost met, cost sharing (SPEC 3.1, 3.4)."""

from __future__ import annotations

import pyomo.core as pyo

from pbo.optimizer.formulation.constraints import add_rows, anchored
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.measures import cost


def add_decisions(m: pyo.ConcreteModel, d: ModelData) -> None:
    """select[i] binary, units[i] >= 0 (integer where integer_units), fund[p,i,t] >= 0 only
    where p may fund i and i costs something in t."""
    sc = d.model_scenario
    m.select = pyo.Var(d.interventions, domain=pyo.Binary)
    integer = {iv.id for iv in sc.interventions if iv.integer_units}
    upper = {iv.id: iv.max_units for iv in sc.interventions}
    m.units = pyo.Var(
        d.interventions,
        domain=lambda _m, i: pyo.NonNegativeIntegers if i in integer else pyo.NonNegativeReals,
        bounds=lambda _m, i: (0, upper[i]),
    )
    if d.formulation == "full":
        m.fund = pyo.Var(d.fund_index, domain=pyo.NonNegativeReals)
    elif d.class_funding:  # reduced: per eligibility class; none under benefit_share/fixed
        m.class_fund = pyo.Var(d.class_fund_index, domain=pyo.NonNegativeReals)
    m.zero = pyo.Var(bounds=(0, 0))


def add_unit_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """min_units*select <= units <= max_units*select."""
    sc = d.model_scenario
    add_rows(m, "unit_min", {iv.id: m.units[iv.id] >= iv.min_units * m.select[iv.id]
                             for iv in sc.interventions if iv.min_units > 0})
    add_rows(m, "unit_max", {iv.id: m.units[iv.id] <= iv.max_units * m.select[iv.id]
                             for iv in sc.interventions})


def add_cost_met(m: pyo.ConcreteModel, d: ModelData) -> None:
    """sum_p fund[p,i,t] = fixed_cost[i,t]*select[i] + unit_cost[i,t]*units[i].

    Reduced formulation: per class, sum_p class_fund[p,c,t] = sum_{i in c} cost[i,t]; under
    benefit_share and fixed the shares meet the cost, and only an intervention nobody may
    pay for keeps a row (its cost = 0)."""
    if d.formulation == "reduced":
        _add_reduced_cost_met(m, d)
        return
    rows = {}
    for i, t in d.costed:
        paid = pyo.quicksum(m.fund[p, i, t] for p in d.fund_by_intervention_year.get((i, t), ()))
        rows[i, t] = paid - cost(m, d, i, t) == 0
    add_rows(m, "cost_met", rows)


def _add_reduced_cost_met(m: pyo.ConcreteModel, d: ModelData) -> None:
    if not d.class_funding:
        paid = {i for _p, i in d.shares or {}}
        add_rows(m, "cost_met", {(i, t): anchored(m, -cost(m, d, i, t)) == 0
                                 for i, t in d.costed if i not in paid})
        return
    members: dict[tuple[str, int], list[str]] = {}
    for i, t in d.costed:
        members.setdefault((d.class_of[i], t), []).append(i)
    rows = {}
    for c, t in d.class_costed:
        paid = pyo.quicksum(m.class_fund[p, c, t]
                            for p in d.class_fund_by_class_year.get((c, t), ()))
        rows[c, t] = paid - pyo.quicksum(cost(m, d, i, t) for i in members[c, t]) == 0
    add_rows(m, "class_cost_met", rows)


def add_cost_sharing(m: pyo.ConcreteModel, d: ModelData) -> None:
    """benefit_share / fixed: fund[p,i,t] = share[p,i] * cost[i,t]; optimise adds nothing
    (nor does the reduced formulation, which has no funding variable under these rules)."""
    shares = d.shares
    if shares is None or d.formulation != "full":
        return
    add_rows(m, "cost_sharing", {
        (p, i, t): m.fund[p, i, t] == shares.get((p, i), 0.0) * cost(m, d, i, t)
        for p, i, t in d.fund_index
    })
