"""Red lines: one function per rule, each returning rows named red_line[id, part] (SPEC 3.2).

Every rule is a set of rows (never a missing variable), so that relaxing a red line is
deactivating its rows, and duals and conflict sets name the policy the user wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pyomo.core as pyo

from pbo.models import scenario as s
from pbo.optimizer.formulation import measures
from pbo.optimizer.formulation.constraints import add_rows, anchored
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.payments import linear, spend_terms

Rows = dict[tuple[str, Any], Any]


def _funding_of(m, d: ModelData, partner: str, keep: Callable[[str, int], bool]):
    """Sum of partner's funding over the (i, t) that `keep` selects, or None if there is none."""
    terms = [x for t in d.years for x in linear(spend_terms(m, d, partner, t, keep))]
    return pyo.quicksum(terms) if terms else None


def _in_year(t: int) -> Callable[[str, int], bool]:
    return lambda _i, s: s == t


def _forbid(rule: s.NoPooling | s.FundingWindow | s.RingFence | s.NoFunding, m, d: ModelData,
            keep: Callable[[str, int], bool]) -> Rows:
    paid = _funding_of(m, d, rule.partner, keep)
    return {} if paid is None else {(rule.id, "all"): paid <= 0}


def red_line_no_pooling(m, d: ModelData, rule: s.NoPooling) -> Rows:
    """fund[p,*,t] = 0 for t >= from_year (default: every year)."""
    first = rule.from_year if rule.from_year is not None else d.years[0]
    return _forbid(rule, m, d, lambda _i, t: t >= first)


def red_line_funding_window(m, d: ModelData, rule: s.FundingWindow) -> Rows:
    """fund[p,*,t] = 0 outside first_year..last_year."""
    first = rule.first_year if rule.first_year is not None else d.years[0]
    last = rule.last_year if rule.last_year is not None else d.years[-1]
    return _forbid(rule, m, d, lambda _i, t: not first <= t <= last)


def red_line_ring_fence(m, d: ModelData, rule: s.RingFence) -> Rows:
    """p funds only interventions whose theme is listed."""
    themes = set(rule.themes)
    outside = {iv.id for iv in d.model_scenario.interventions if iv.theme not in themes}
    return _forbid(rule, m, d, lambda i, _t: i in outside)


def red_line_no_funding(m, d: ModelData, rule: s.NoFunding) -> Rows:
    """p funds none of the listed interventions."""
    banned = set(rule.interventions)
    return _forbid(rule, m, d, lambda i, _t: i in banned)


def red_line_max_share(m, d: ModelData, rule: s.MaxShare) -> Rows:
    """sum_i fund[p,i,t] <= share * poolable_budget[p,t], every year."""
    budget = d.model_scenario.partner[rule.partner].poolable_budget
    rows: Rows = {}
    for k, t in enumerate(d.years):
        paid = _funding_of(m, d, rule.partner, _in_year(t))
        if paid is not None:
            rows[rule.id, t] = paid <= rule.share * budget[k]
    return rows


def red_line_no_worse_off(m, d: ModelData, rule: s.NoWorseOff) -> Rows:
    """net_cashable_savings(p) >= 0 over the horizon (discounted) or in each year."""
    if rule.period == "horizon":
        expr = measures.over_horizon(m, d, "net_cashable_savings", rule.partner)
        return {(rule.id, "horizon"): anchored(m, expr) >= 0}
    return {(rule.id, t): anchored(m, measures.yearly(m, d, "net_cashable_savings",
                                                      rule.partner, t)) >= 0
            for t in d.years}


def red_line_exclude_intervention(m, d: ModelData, rule: s.ExcludeIntervention) -> Rows:
    """select[i] = 0."""
    return {(rule.id, "select"): m.select[rule.intervention] <= 0}


def red_line_must_fund(m, d: ModelData, rule: s.MustFund) -> Rows:
    """select[i] = 1 and units[i] >= min_units (default: the intervention's)."""
    iv = d.model_scenario.intervention[rule.intervention]
    least = rule.min_units if rule.min_units is not None else iv.min_units
    rows: Rows = {(rule.id, "select"): m.select[iv.id] >= 1}
    if least > 0:
        rows[rule.id, "units"] = m.units[iv.id] >= least
    return rows


def red_line_spend_cap(m, d: ModelData, rule: s.SpendCap) -> Rows:
    """Total cost of all interventions <= amount, in the given year or every year."""
    years: Iterable[int] = d.years if rule.year is None else (rule.year,)
    rows: Rows = {}
    for t in years:
        spend = measures.yearly(m, d, "spend", None, t)
        rows[rule.id, t] = anchored(m, spend) <= rule.amount
    return rows


RED_LINE_FAMILIES: dict[str, Callable[..., Rows]] = {
    "no_pooling": red_line_no_pooling,
    "funding_window": red_line_funding_window,
    "ring_fence": red_line_ring_fence,
    "no_funding": red_line_no_funding,
    "max_share": red_line_max_share,
    "no_worse_off": red_line_no_worse_off,
    "exclude_intervention": red_line_exclude_intervention,
    "must_fund": red_line_must_fund,
    "spend_cap": red_line_spend_cap,
}


def add_red_lines(m: pyo.ConcreteModel, d: ModelData) -> None:
    """Every red line's rows in one component, red_line[id, part] (a lifted one, with
    `active: false`, has none)."""
    rows: Rows = {}
    for rule in d.model_scenario.red_lines:
        if rule.active:
            rows.update(RED_LINE_FAMILIES[rule.rule](m, d, rule))
    add_rows(m, "red_line", rows)
