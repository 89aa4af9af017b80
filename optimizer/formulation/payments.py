"""Who pays, as the rows see it: each partner's payments as linear terms, whatever the
formulation, and each (partner, intervention, year) payment recovered from a solved model.

- full: fund[p,i,t] per partner, intervention and year (SPEC 3.1 as written);
- reduced, rule optimise: class_fund[p,c,t] per eligibility class (classes.py);
- reduced, rules benefit_share and fixed: no variable; p pays share[p,i] * cost[i,t].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pyomo.core as pyo

from pbo.optimizer.formulation.classes import split_payments
from pbo.optimizer.formulation.data import ModelData

Keep = Callable[[str, int], bool]


def cost_shares(d: ModelData) -> dict[tuple[str, str], float] | None:
    """(p, i) -> share of i's yearly cost p pays, for rules benefit_share and fixed (None
    under optimise). Each intervention's shares are scaled to sum to exactly 1 (the scenario
    accepts a sum within 1e-6 of 1), so the cost is met to the last penny."""
    sharing = d.model_scenario.cost_sharing
    raw: dict[tuple[str, str], float] = {}
    if sharing.rule == "fixed":
        raw = {(p, i): s for i, split in (sharing.shares or {}).items() for p, s in split.items()}
    elif sharing.rule == "benefit_share":
        value: dict[tuple[str, str], float] = {}
        for (p, i, t), a in d.adjusted.items():
            value[p, i] = value.get((p, i), 0.0) + d.discount[t] * a
        for i, funders in d.funders.items():
            weights = {p: max(value.get((p, i), 0.0), 0.0) for p in funders}
            total = sum(weights.values())
            for p in funders:
                raw[p, i] = weights[p] / total if total > 0 else 1.0 / len(funders)
    else:
        return None
    totals: dict[str, float] = {}
    for (_p, i), s in raw.items():
        totals[i] = totals.get(i, 0.0) + s
    return {(p, i): s / totals[i] for (p, i), s in raw.items() if s and totals[i] > 0}


def spend_terms(m: pyo.ConcreteModel, d: ModelData, p: str, t: int,
                keep: Keep | None = None) -> list[tuple[float, Any]]:
    """(coefficient, variable) pairs whose sum is what p pays in year t (towards the
    interventions `keep(i, t)` selects, all when None)."""
    if d.formulation == "full":
        return [(1.0, m.fund[p, i, t]) for i in d.fund_by_partner_year.get((p, t), ())
                if keep is None or keep(i, t)]
    if d.class_funding:
        out = []
        for c in d.class_fund_by_partner_year.get((p, t), ()):
            if keep is None or _class_kept(d, c, t, keep):
                out.append((1.0, m.class_fund[p, c, t]))
        return out
    shares = d.shares or {}
    terms: list[tuple[float, Any]] = []
    for i in d.fund_by_partner_year.get((p, t), ()):
        s = shares.get((p, i), 0.0)
        if not s or (keep is not None and not keep(i, t)):
            continue
        fixed, unit = d.fixed_cost.get((i, t), 0.0), d.unit_cost.get((i, t), 0.0)
        if fixed:
            terms.append((s * fixed, m.select[i]))
        if unit:
            terms.append((s * unit, m.units[i]))
    return terms


def _class_kept(d: ModelData, c: str, t: int, keep: Keep) -> bool:
    """Whether `keep` takes class c in year t; every member must agree (the classes are split
    by every red line that names interventions or themes)."""
    members = d.classes[c]
    first = keep(members[0], t)
    if any(keep(i, t) != first for i in members[1:]):
        raise AssertionError(f"eligibility class {c} is not split by a red line's interventions")
    return first


def spend(m: pyo.ConcreteModel, d: ModelData, p: str, t: int, keep: Keep | None = None):
    """What p pays in year t, as a linear expression (0 when p can pay nothing)."""
    return pyo.quicksum(linear(spend_terms(m, d, p, t, keep)))


def linear(terms: list[tuple[float, Any]]) -> list[Any]:
    """(coefficient, variable) pairs as Pyomo terms (a plain variable where the coefficient
    is 1)."""
    return [v if k == 1.0 else k * v for k, v in terms]


def has_funding_terms(d: ModelData) -> bool:
    """Whether any partner can pay anything in the model."""
    if d.formulation == "full":
        return bool(d.fund_index)
    if d.class_funding:
        return bool(d.class_fund_index)
    return bool(d.shares)


def payments(m: pyo.ConcreteModel, d: ModelData, cost: Mapping[tuple[str, int], float],
             value: Callable[[Any], float]) -> dict[tuple[str, str, int], float]:
    """(p, i, t) -> what p pays towards i in t in the solved model, given the plan's costs
    (i, t) -> cost and `value(var)` (the cleaned value of a variable)."""
    if d.formulation == "full":
        return {(p, i, t): value(m.fund[p, i, t]) for p, i, t in d.fund_index}
    if d.class_funding:
        paid = {(p, c, t): value(m.class_fund[p, c, t]) for p, c, t in d.class_fund_index}
        split = split_payments(d.classes, paid, cost)
        return {k: split[k] for k in d.fund_index if k in split}  # the full model's order
    shares = d.shares or {}
    return {(p, i, t): shares.get((p, i), 0.0) * cost.get((i, t), 0.0)
            for p, i, t in d.fund_index if shares.get((p, i))}
