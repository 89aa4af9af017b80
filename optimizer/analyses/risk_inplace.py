"""Load a sampled scenario into a worker's HiGHS session in place of the one it holds.

A sample changes numbers, not the model's shape: the same variables and rows, other
coefficients, bounds and objective costs. The sample's Pyomo model is built (Python only, no
HiGHS load) and every row, bound and cost it has is written straight into the loaded HiGHS
model, matched by component name and index, so HiGHS is never reloaded. The worker's Pyomo
model keeps its first scenario's expressions, so Pyomo's persistent interface finds nothing
to update; the sample's own model, holding the solution copied back, makes the result. When
the shapes differ (a draw makes a zero cost non-zero, say), the caller rebuilds instead.
Formulation-agnostic: it reads only what build_model made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.core as pyo
from pyomo.repn import generate_standard_repn

from pbo.optimizer.formulation.build import BuiltModel
from pbo.optimizer.solving.highs import HighsSession


def _key(data: Any) -> tuple[str, Any]:
    return data.parent_component().local_name, data.index()


@dataclass
class Loaded:
    """A session and how its HiGHS rows and columns map to component names."""

    built: BuiltModel
    session: HighsSession
    cols: dict[tuple[str, Any], int] = field(default_factory=dict)
    rows: dict[tuple[str, Any], int] = field(default_factory=dict)
    entries: dict[int, set[int]] = field(default_factory=dict)
    """Row -> the columns HiGHS holds a coefficient for (set to 0 when a sample drops one)."""

    @classmethod
    def of(cls, built: BuiltModel, session: HighsSession) -> Loaded:
        out = cls(built, session)
        for v, col in session.columns():  # the variables HiGHS holds (those in use)
            out.cols[_key(v)] = col
        for c in built.m.component_data_objects(pyo.Constraint, active=True, descend_into=True):
            row = session.row_of(c)
            out.rows[_key(c)] = row
            repn = generate_standard_repn(c.body, compute_values=True, quadratic=False)
            out.entries[row] = {out.cols[_key(v)] for v in repn.linear_vars}
        return out

    def load(self, new: BuiltModel) -> bool:
        """Write `new`'s numbers into the loaded HiGHS model; False (nothing written) when
        its variables or rows are not the same as the loaded ones."""
        m2 = new.m
        var_cols: dict[int, int] = {}
        for v in m2.component_data_objects(pyo.Var, descend_into=True):
            col = self.cols.get(_key(v))
            if col is not None:
                var_cols[id(v)] = col
        cons = list(m2.component_data_objects(pyo.Constraint, active=True, descend_into=True))
        if len(cons) != len(self.rows) or any(_key(c) not in self.rows for c in cons):
            return False
        repns = [generate_standard_repn(c.body, compute_values=True, quadratic=False)
                 for c in cons]
        objective = next(m2.component_data_objects(pyo.Objective, active=True))
        obj_repn = generate_standard_repn(objective.expr, compute_values=True, quadratic=False)
        if any(id(v) not in var_cols for r in (*repns, obj_repn) for v in r.linear_vars):
            return False  # a variable HiGHS does not hold: another shape
        h = self.session.highs
        inf = float("inf")
        for c, repn in zip(cons, repns, strict=True):
            row = self.rows[_key(c)]
            coefs = {var_cols[id(v)]: float(a) for v, a in
                     zip(repn.linear_vars, repn.linear_coefs, strict=True)}
            for col in self.entries[row] - coefs.keys():
                h.changeCoeff(row, col, 0.0)
            for col, a in coefs.items():
                h.changeCoeff(row, col, a)
            self.entries[row] = set(coefs)
            const = float(repn.constant or 0.0)
            lb = -inf if c.lb is None else float(c.lb) - const
            ub = inf if c.ub is None else float(c.ub) - const
            h.changeRowBounds(row, lb, ub)
        n = h.getNumCol()
        lower, upper = np.full(n, -inf), np.full(n, inf)
        for v in m2.component_data_objects(pyo.Var, descend_into=True):
            col = var_cols.get(id(v))
            if col is None:
                continue
            lower[col] = -inf if v.lb is None else v.lb
            upper[col] = inf if v.ub is None else v.ub
        every = np.arange(n, dtype=np.int32)
        h.changeColsBounds(n, every, lower, upper)
        cost = np.zeros(n)
        for v, a in zip(obj_repn.linear_vars, obj_repn.linear_coefs, strict=True):
            cost[var_cols[id(v)]] += a
        h.changeColsCost(n, every, cost)
        h.changeObjectiveOffset(float(obj_repn.constant or 0.0))
        self.built.data = new.data
        return True

    def copy_values(self, new: BuiltModel) -> None:
        """The solution now in the worker's model, copied onto the sample's model."""
        values = {_key(v): v.value for v in
                  self.built.m.component_data_objects(pyo.Var, descend_into=True)}
        for v in new.m.component_data_objects(pyo.Var, descend_into=True):
            v.set_value(values.get(_key(v)), skip_validation=True)
