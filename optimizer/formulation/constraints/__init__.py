"""Constraint families: one function per family, named after the rule it enforces."""

from __future__ import annotations

from typing import Any

import pyomo.core as pyo
from pyomo.core.expr.visitor import identify_variables


def add_rows(m: pyo.ConcreteModel, name: str, rows: dict[Any, Any]) -> None:
    """Add an indexed Constraint named `name` from {index: relational expression}.

    Rows whose expression has no variable are anchored on `m.zero` (a variable fixed at 0 by
    its bounds), so that an impossible constant row (0 >= 5) reaches the solver as an
    infeasible row named after its policy, instead of failing at build time.
    """
    if not rows:
        return
    keys = list(rows)
    m.add_component(name, pyo.Constraint(keys, rule=lambda _m, *k: rows[k if len(k) > 1 else k[0]]))


def anchored(m: pyo.ConcreteModel, expr: Any) -> Any:
    """`expr`, with the zero variable added when it is a constant."""
    if isinstance(expr, int | float) or not expr.is_potentially_variable():
        return m.zero + expr
    if expr.is_expression_type() and not _has_var(expr):
        return m.zero + expr
    return expr


def _has_var(expr: Any) -> bool:
    """Whether a (sum) expression has a variable among its terms; walks the whole tree
    only when no top-level term is one (most rows answer at their first term)."""
    for arg in getattr(expr, "args", ()):
        if getattr(arg, "is_variable_type", lambda: False)():
            return True
        if isinstance(arg, int | float):
            continue
        if arg.is_potentially_variable() and any(
                True for _ in identify_variables(arg, include_fixed=True)):
            return True
    return False


