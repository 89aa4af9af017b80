"""Targets: rows named target[id, period] (SPEC 3.2)."""

from __future__ import annotations

import pyomo.core as pyo

from pbo.models.scenario import Target
from pbo.optimizer.formulation import measures
from pbo.optimizer.formulation.constraints import add_rows, anchored
from pbo.optimizer.formulation.data import ModelData


def target_periods(d: ModelData, target: Target) -> list[int | str]:
    """The row keys of a target: 'horizon' (also for outcomes), each year, or one year."""
    if target.measure == "outcome" or target.period == "horizon":
        return ["horizon"]
    if target.period == "each_year":
        return list(d.years)
    return [int(target.period)]


def target_expression(m: pyo.ConcreteModel, d: ModelData, target: Target, period: int | str):
    if target.measure == "outcome":
        return measures.outcome(m, d, target.outcome or "")
    if period == "horizon":
        return measures.over_horizon(m, d, target.measure, target.partner, target.discounted)
    return measures.yearly(m, d, target.measure, target.partner, int(period))


def target_rows(m: pyo.ConcreteModel, d: ModelData, target: Target) -> dict:
    """min <= measure <= max for each period of one target."""
    rows = {}
    for period in target_periods(d, target):
        expr = anchored(m, target_expression(m, d, target, period))
        if target.min is not None and target.max is not None:
            rows[target.id, period] = pyo.inequality(target.min, expr, target.max)
        elif target.min is not None:
            rows[target.id, period] = expr >= target.min
        else:
            rows[target.id, period] = expr <= target.max
    return rows


def add_targets(m: pyo.ConcreteModel, d: ModelData) -> None:
    """min <= measure <= max for every target and period."""
    rows = {}
    for target in d.model_scenario.targets:
        rows.update(target_rows(m, d, target))
    add_rows(m, "target", rows)
