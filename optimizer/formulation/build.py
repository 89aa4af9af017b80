"""Build the Pyomo model, family by family, timing each (the model's table of contents)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyomo.core as pyo
from pyomo.common.gc_manager import PauseGC

from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.constraints.budgets import add_budget_limit
from pbo.optimizer.formulation.constraints.funding import (
    add_cost_met,
    add_cost_sharing,
    add_decisions,
    add_unit_limits,
)
from pbo.optimizer.formulation.constraints.links import add_excludes, add_requires
from pbo.optimizer.formulation.constraints.red_lines import add_red_lines
from pbo.optimizer.formulation.constraints.targets import add_targets
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.measures import objective_expression
from pbo.optimizer.formulation.numerics import check_numerics

FAMILIES = (
    add_decisions,
    add_unit_limits,
    add_cost_met,
    add_cost_sharing,
    add_budget_limit,
    add_requires,
    add_excludes,
    add_targets,
    add_red_lines,
)


@dataclass
class BuiltModel:
    """A Pyomo model `m` with the data it was built from and how long each family took."""

    m: pyo.ConcreteModel
    data: ModelData
    objective: str
    timings: dict[str, float]

    @property
    def build_seconds(self) -> float:
        return sum(self.timings.values())

    @property
    def maximise(self) -> bool:
        return self.objective != "min_cost"


def add_objective(m: pyo.ConcreteModel, d: ModelData, objective: str) -> None:
    """Maximise the objective of SPEC 3.3 (minimise for min_cost)."""
    sense = pyo.minimize if objective == "min_cost" else pyo.maximize
    m.objective = pyo.Objective(expr=objective_expression(m, d, objective), sense=sense)


def build_model(sc: Scenario, objective: str | None = None,
                formulation: str = "reduced") -> BuiltModel:
    """The whole model of SPEC section 3 for `sc` (objective defaults to the scenario's).

    `formulation`: reduced (funding per eligibility class, the default) or full (per
    intervention, SPEC 3.1 as written); both have the same optimal plans and partner figures
    (docs/FORMULATION.md).

    Python's cyclic garbage collector is paused while it builds (Pyomo's PauseGC, as Pyomo's
    own writers do): the data and the model are hundreds of thousands of objects that all
    live on, and the collector's passes over them took a third to a half of the build at
    5,000 interventions (benchmarks/README.md)."""
    start = time.perf_counter()
    with PauseGC():
        d = ModelData.from_scenario(sc, formulation)
        check_numerics(d)  # refuse magnitudes HiGHS cannot solve reliably, before building
        return build_from_data(d, objective or sc.objective,
                               {"data": time.perf_counter() - start})


def build_from_data(d: ModelData, objective: str,
                    timings: dict[str, float] | None = None) -> BuiltModel:
    """The model of SPEC section 3 over the data `d` as given (`build_model` derives it from
    a scenario); `timings`: seconds already spent, to which each family's are added."""
    timings = dict(timings or {})
    m = pyo.ConcreteModel(name=d.scenario.name)
    for family in FAMILIES:
        start = time.perf_counter()
        family(m, d)
        timings[family.__name__.removeprefix("add_")] = time.perf_counter() - start
    start = time.perf_counter()
    add_objective(m, d, objective)
    timings["objective"] = time.perf_counter() - start
    return BuiltModel(m=m, data=d, objective=objective, timings=timings)
