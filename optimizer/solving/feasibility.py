"""Does a plan keep every row and bound of the model HiGHS holds? Each one broken is said as
the scenario names it ('partners[council] budget in 2015'), for `results.reconcile`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import highspy
import numpy as np

if TYPE_CHECKING:
    from pbo.optimizer.solving.highs import HighsSession


ROW_TOL = 1e-6
"""A row or bound holds when it is off by at most this share of its size (its bound and the
sum of its terms' sizes): the solver's own feasibility tolerance, with room for rounding."""


def matrix_entries(lp: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The row, column and value of each entry of a HiGHS model's matrix (`Highs.getLp()`,
    stored column- or row-wise), in the order stored."""
    a = lp.a_matrix_
    start = np.asarray(a.start_, dtype=np.int64)
    index = np.asarray(a.index_, dtype=np.int64)
    value = np.asarray(a.value_, dtype=np.float64)
    major = np.repeat(np.arange(len(start) - 1), np.diff(start))
    by_column = a.format_ != highspy.MatrixFormat.kRowwise
    rows, cols = (index, major) if by_column else (major, index)
    return rows, cols, value


Entries = tuple[np.ndarray, np.ndarray, np.ndarray]
"""A matrix's (rows, columns, values), as `matrix_entries` gives them."""


def row_activity(lp: Any, x: np.ndarray, entries: Entries | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Each row's activity (A x) and the sum of its terms' sizes, for a HiGHS model `lp`
    (`Highs.getLp()`, its matrix column- or row-wise) at column values `x`; `entries`: its
    matrix_entries, when the caller holds them already (reading them from `lp` converts the
    whole matrix)."""
    rows, cols, value = entries if entries is not None else matrix_entries(lp)
    terms = value * x[cols]
    return (np.bincount(rows, weights=terms, minlength=lp.num_row_),
            np.bincount(rows, weights=np.abs(terms), minlength=lp.num_row_))


def broken_rows(lp: Any, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                entries: Entries | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's activity at `x`, and the rows below `lower` and above `upper` by more
    than ROW_TOL of the row's size (its terms' and its bounds'); `entries` as for
    row_activity."""
    activity, size = row_activity(lp, x, entries)
    with np.errstate(invalid="ignore"):  # infinite bounds: never broken
        room = ROW_TOL * np.maximum(np.maximum(1.0, size), np.where(
            np.isfinite(lower), np.abs(lower), 0.0) + np.where(np.isfinite(upper),
                                                               np.abs(upper), 0.0))
        below = np.flatnonzero(lower - activity > room)
        above = np.flatnonzero(activity - upper > room)
    return activity, below, above


def outside_bounds(x: np.ndarray, lower: np.ndarray, upper: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Which column values are below `lower` and which above `upper`, by more than ROW_TOL
    of the bound's size (or of 1)."""
    with np.errstate(invalid="ignore"):  # infinite bounds: never broken
        return (x < lower - ROW_TOL * np.maximum(1.0, np.abs(lower)),
                x > upper + ROW_TOL * np.maximum(1.0, np.abs(upper)))


def whole_columns(lp: Any) -> np.ndarray:
    """Which columns of a HiGHS model `lp` must take whole values."""
    return np.asarray([k != highspy.HighsVarType.kContinuous for k in lp.integrality_]
                      or np.zeros(lp.num_col_, dtype=bool), dtype=bool)


def model_problems(session: HighsSession) -> list[str]:
    """Each row and column bound of the loaded HiGHS model that the current values break."""
    h = session.highs
    lp = h.getLp()
    x = np.zeros(lp.num_col_)
    var_of: dict[int, Any] = {}
    for var, col in session.columns():
        x[col] = var.value or 0.0
        var_of[col] = var
    lower, upper = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)
    activity, below, above = broken_rows(lp, x, lower, upper)
    problems = []
    if below.size or above.size:
        con_of = {row: con for con, row in session._solver._pyomo_con_to_solver_con_map.items()}
        for broken, bounds, side in ((below, lower, "at least"), (above, upper, "at most")):
            for r in broken:
                problems.append(f"{row_words(con_of.get(int(r)))} does not hold for the plan "
                                f"as reported: {activity[r]:,.6g}, where it must be {side} "
                                f"{bounds[r]:,.6g}")
    col_lower, col_upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    whole = whole_columns(lp)
    low, high = outside_bounds(x, col_lower, col_upper)
    fraction = whole & (np.abs(x - np.round(x)) > ROW_TOL)
    for c in np.flatnonzero(low | high | fraction):
        var = var_of.get(int(c))
        if var is None:
            continue
        name = var_words(var)
        if low[c]:
            problems.append(f"{name} {x[c]:,.6g} is below its least, {col_lower[c]:,.6g}")
        if high[c]:
            problems.append(f"{name} {x[c]:,.6g} is above its most, {col_upper[c]:,.6g}")
        if fraction[c]:
            problems.append(f"{name} {x[c]:,.6g} is not a whole number")
    return problems


def _index(component: Any) -> tuple[Any, ...]:
    k = component.index()
    return k if isinstance(k, tuple) else (k,)


ROW_WORDS = {
    "cost_met": "funding of interventions[{0}] in {1} (paid = cost)",
    "cost_sharing": "cost_sharing: {0}'s share of interventions[{1}] in {2}",
    "budget_limit": "partners[{0}] budget in {1}",
    "unit_min": "interventions[{0}].min_units",
    "unit_max": "interventions[{0}].max_units",
    "requires": "interventions[{0}].requires {1}",
    "excludes": "interventions[{0}].excludes {1}",
    "target": "targets[{0}] ({1})",
    "red_line": "red_lines[{0}] ({1})",
}


def row_words(con: Any) -> str:
    """A model row as the scenario names it: 'partners[council] budget in 2015'."""
    if con is None:
        return "a row added to the model"
    family = con.parent_component().name
    words = ROW_WORDS.get(family)
    return words.format(*_index(con)) if words else con.name


def var_words(var: Any) -> str:
    family = var.parent_component().name
    k = _index(var)
    if family in ("units", "select"):
        return f"interventions[{k[0]}].{'units' if family == 'units' else 'selected'}"
    if family == "fund":
        return f"funding[{k[0]},{k[1]},{k[2]}].amount"
    return var.name
