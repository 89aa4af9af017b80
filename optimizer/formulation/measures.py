"""Linear expressions for the measures of SPEC section 3.2, shared by targets, red lines,
the objective and the fairness stage."""

from __future__ import annotations

from typing import Any, cast

import pyomo.core as pyo
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.expr.numeric_expr import (
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    SumExpression,
)

from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.payments import linear, spend_terms

MEASURES = ("cashable_benefit", "gross_fiscal_benefit", "spend", "net_cashable_savings",
            "net_fiscal_value")

_SUMS = (LinearExpression, SumExpression)


def evaluate(expr: Any) -> float | None:
    """A model expression's value at its variables' values, as `pyo.value` gives it (the
    same products and sums, in the same order, so the same float), in a few list passes
    instead of Pyomo's general walker (the model's measures are sums of coefficient x
    variable: an objective of 2,000 interventions in a millisecond). None when a variable
    has no value. Any other kind of expression is left to `pyo.value`."""
    kind = expr.__class__
    if kind in native_numeric_types:
        return expr
    if kind is MonomialTermExpression:
        k, var = expr.args
        if k.__class__ in native_numeric_types:
            return None if var.value is None else k * var.value
    elif kind in _SUMS:
        parts = [evaluate(a) for a in expr.args]
        return None if None in parts else sum(cast(list[float], parts))
    elif kind is NegationExpression:
        inner = evaluate(expr.args[0])
        return None if inner is None else -inner
    elif getattr(expr, "is_variable_type", None) and expr.is_variable_type():
        return expr.value
    return pyo.value(expr, exception=False)


def objective_value(built: Any) -> float:
    """The built model's objective at its variables' values."""
    value = evaluate(built.m.objective.expr)
    return float(pyo.value(built.m.objective) if value is None else value)


def cost(m: pyo.ConcreteModel, d: ModelData, i: str, t: int):
    """Cost of intervention i in year t: fixed_cost*select + unit_cost*units."""
    return d.fixed_cost.get((i, t), 0.0) * m.select[i] + d.unit_cost.get((i, t), 0.0) * m.units[i]


def _terms(m, d: ModelData, measure: str, partner: str | None, t: int) -> list:
    partners = d.partners if partner is None else (partner,)
    terms: list[Any] = []
    if measure in ("cashable_benefit", "net_cashable_savings", "gross_fiscal_benefit",
                   "net_fiscal_value"):
        cashable = measure in ("cashable_benefit", "net_cashable_savings")
        for p in partners:
            for i, a, c in d.by_partner_year.get((p, t), ()):
                coef = c if cashable else a
                if coef:
                    terms.append(coef * m.units[i])
    if measure in ("spend", "net_cashable_savings", "net_fiscal_value"):
        if partner is None:
            terms.extend(-cost(m, d, i, t) for i in d.costed_in_year.get(t, ()))
        else:
            terms.extend(-x for x in linear(spend_terms(m, d, partner, t)))
    if measure == "spend":
        terms = [-x for x in terms]
    return terms


def yearly(m, d: ModelData, measure: str, partner: str | None, t: int):
    """The measure for a partner (or the partnership) in year t."""
    return pyo.quicksum(_terms(m, d, measure, partner, t))


def over_horizon(m, d: ModelData, measure: str, partner: str | None, discounted: bool = True):
    """The d_t-weighted (or plain) sum of the yearly measure."""
    terms: list[Any] = []
    for t in d.years:
        w = d.discount[t] if discounted else 1.0
        terms.extend(w * x for x in _terms(m, d, measure, partner, t))
    return pyo.quicksum(terms)


def outcome(m, d: ModelData, name: str):
    sc = d.model_scenario
    return pyo.quicksum(iv.outcomes[name] * m.units[iv.id] for iv in sc.interventions
                         if iv.outcomes.get(name))


def discounted_cost(m, d: ModelData):
    fixed: dict[str, float] = {}
    unit: dict[str, float] = {}
    for (i, t), v in d.fixed_cost.items():
        fixed[i] = fixed.get(i, 0.0) + d.discount[t] * v
    for (i, t), v in d.unit_cost.items():
        unit[i] = unit.get(i, 0.0) + d.discount[t] * v
    return (pyo.quicksum((v * m.select[i] for i, v in fixed.items()))
            + pyo.quicksum((v * m.units[i] for i, v in unit.items())))


def discounted_value_per_unit(d: ModelData, objective: str) -> dict[str, float]:
    """Discounted benefit per unit of each intervention counted by an objective."""
    out: dict[str, float] = dict.fromkeys(d.interventions, 0.0)
    source = d.cashable if objective == "net_cashable_savings" else d.adjusted
    for (_, i, t), v in source.items():
        out[i] += d.discount[t] * v
    if objective == "public_value":
        for (i, t), v in d.wider_value.items():
            out[i] += d.discount[t] * v
    return out


def objective_expression(m, d: ModelData, objective: str):
    """The objective of SPEC section 3.3 as a linear expression (to maximise, but min_cost)."""
    if objective == "min_cost":
        return discounted_cost(m, d)
    value = discounted_value_per_unit(d, objective)
    return (pyo.quicksum((v * m.units[i] for i, v in value.items() if v))
            - discounted_cost(m, d))
