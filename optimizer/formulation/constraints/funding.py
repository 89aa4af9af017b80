"""Decisions and the rules on who pays: unit limits, cost met, cost sharing (SPEC 3.1, 3.4)."""

from __future__ import annotations

import pyomo.environ as pyo

from pbo.optimizer.formulation.constraints import add_rows
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.measures import cost


def add_decisions(m: pyo.ConcreteModel, d: ModelData) -> None:
    """select[i] binary, units[i] >= 0 (integer where integer_units), fund[p,i,t] >= 0 only
    where p may fund i and i costs something in t."""
    sc = d.scenario
    m.select = pyo.Var(d.interventions, domain=pyo.Binary)
    integer = {iv.id for iv in sc.interventions if iv.integer_units}
    upper = {iv.id: iv.max_units for iv in sc.interventions}
    m.units = pyo.Var(
        d.interventions,
        domain=lambda _m, i: pyo.NonNegativeIntegers if i in integer else pyo.NonNegativeReals,
        bounds=lambda _m, i: (0, upper[i]),
    )
    m.fund = pyo.Var(d.fund_index, domain=pyo.NonNegativeReals)
    m.zero = pyo.Var(bounds=(0, 0))


def add_unit_limits(m: pyo.ConcreteModel, d: ModelData) -> None:
    """min_units*select <= units <= max_units*select."""
    sc = d.scenario
    add_rows(m, "unit_min", {iv.id: m.units[iv.id] >= iv.min_units * m.select[iv.id]
                             for iv in sc.interventions if iv.min_units > 0})
    add_rows(m, "unit_max", {iv.id: m.units[iv.id] <= iv.max_units * m.select[iv.id]
                             for iv in sc.interventions})


def add_cost_met(m: pyo.ConcreteModel, d: ModelData) -> None:
    """sum_p fund[p,i,t] = fixed_cost[i,t]*select[i] + unit_cost[i,t]*units[i]."""
    rows = {}
    for i, t in d.costed:
        paid = pyo.quicksum(m.fund[p, i, t] for p in d.fund_by_intervention_year.get((i, t), ()))
        rows[i, t] = paid - cost(m, d, i, t) == 0
    add_rows(m, "cost_met", rows)


def cost_shares(d: ModelData) -> dict[tuple[str, str], float] | None:
    """(p, i) -> share of i's yearly cost p pays, for rules benefit_share and fixed."""
    sharing = d.scenario.cost_sharing
    if sharing.rule == "fixed":
        return {(p, i): s for i, split in (sharing.shares or {}).items() for p, s in split.items()}
    if sharing.rule != "benefit_share":
        return None
    value: dict[tuple[str, str], float] = {}
    for (p, i, t), a in d.adjusted.items():
        value[p, i] = value.get((p, i), 0.0) + d.discount[t] * a
    shares = {}
    for i, funders in d.funders.items():
        weights = {p: max(value.get((p, i), 0.0), 0.0) for p in funders}
        total = sum(weights.values())
        for p in funders:
            shares[p, i] = weights[p] / total if total > 0 else 1.0 / len(funders)
    return shares


def add_cost_sharing(m: pyo.ConcreteModel, d: ModelData) -> None:
    """benefit_share / fixed: fund[p,i,t] = share[p,i] * cost[i,t]; optimise adds nothing."""
    shares = cost_shares(d)
    if shares is None:
        return
    add_rows(m, "cost_sharing", {
        (p, i, t): m.fund[p, i, t] == shares.get((p, i), 0.0) * cost(m, d, i, t)
        for p, i, t in d.fund_index
    })
