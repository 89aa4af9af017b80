"""requires / excludes links between interventions (SPEC 3.2)."""

from __future__ import annotations

import pyomo.core as pyo

from pbo.optimizer.formulation.constraints import add_rows
from pbo.optimizer.formulation.data import ModelData


def add_requires(m: pyo.ConcreteModel, d: ModelData) -> None:
    """select[i] <= select[j] for each j that i requires."""
    add_rows(m, "requires", {(iv.id, j): m.select[iv.id] <= m.select[j]
                             for iv in d.model_scenario.interventions for j in iv.requires})


def add_excludes(m: pyo.ConcreteModel, d: ModelData) -> None:
    """select[i] + select[j] <= 1 for each excluded pair (one row per pair)."""
    pairs = {tuple(sorted((iv.id, j))) for iv in d.model_scenario.interventions for j in iv.excludes}
    add_rows(m, "excludes", {(i, j): m.select[i] + m.select[j] <= 1 for i, j in sorted(pairs)})
