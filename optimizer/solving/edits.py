"""Direct, temporary changes to a loaded HiGHS model (columns, rows, bounds, objective,
integrality, options), each undone in reverse order: `HighsSession.edits()`."""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np


class Edits:
    """Changes made straight to the loaded HiGHS model, undone in reverse on `undo()`.

    Pyomo's model is never touched, so the persistent interface stays in step with HiGHS.
    Used for what must be fast and leaves no trace: the fairness stage, relaxing a red line.
    """

    def __init__(self, highs: highspy.Highs):
        self.h = highs
        self._undo: list[Any] = []

    def add_col(self, lower: float, upper: float) -> int:
        col = self.h.getNumCol()
        self.h.addCol(0.0, lower, upper, 0, np.array([], dtype=np.int32), np.array([]))
        self._undo.append(lambda: self.h.deleteCols(1, np.array([col], dtype=np.int32)))
        return col

    def add_row(self, lower: float, upper: float, coefs: dict[int, float]) -> int:
        row = self.h.getNumRow()
        cols = np.fromiter(coefs.keys(), dtype=np.int32, count=len(coefs))
        vals = np.fromiter(coefs.values(), dtype=np.float64, count=len(coefs))
        self.h.addRow(lower, upper, len(coefs), cols, vals)
        self._undo.append(lambda: self.h.deleteRows(1, np.array([row], dtype=np.int32)))
        return row

    def set_objective(self, costs: dict[int, float], maximise: bool) -> None:
        """The objective replaced by sum(costs[col] * col), its constant included (0)."""
        lp = self.h.getLp()
        old = np.array(lp.col_cost_, dtype=np.float64)
        offset = float(lp.offset_)
        _, sense = self.h.getObjectiveSense()
        n = len(old)
        new = np.zeros(n)
        for col, c in costs.items():
            new[col] = c
        every = np.arange(n, dtype=np.int32)
        self.h.changeColsCost(n, every, new)
        self.h.changeObjectiveOffset(0.0)
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise
                                    else highspy.ObjSense.kMinimize)
        self._undo.append(lambda: (self.h.changeColsCost(n, every, old),
                                   self.h.changeObjectiveOffset(offset),
                                   self.h.changeObjectiveSense(sense)))

    def set_col_bounds(self, cols: list[int], lower: list[float], upper: list[float]) -> None:
        if not cols:
            return
        idx = np.array(cols, dtype=np.int32)
        lp = self.h.getLp()
        old_lo = np.array(lp.col_lower_)[idx]
        old_up = np.array(lp.col_upper_)[idx]
        self.h.changeColsBounds(len(cols), idx, np.array(lower, dtype=np.float64),
                                np.array(upper, dtype=np.float64))
        self._undo.append(lambda: self.h.changeColsBounds(len(cols), idx, old_lo, old_up))

    def relax_integrality(self, only: list[int] | None = None) -> None:
        """Make every integer column continuous (the LP relaxation); with `only`, just those
        of the given columns that are integer."""
        kinds = list(self.h.getLp().integrality_)
        cols = [k for k in (range(len(kinds)) if only is None else only)
                if k < len(kinds) and kinds[k] != highspy.HighsVarType.kContinuous]
        if not cols:
            return
        idx = np.array(cols, dtype=np.int32)
        old = np.array([kinds[k] for k in cols])
        self.h.changeColsIntegrality(len(cols), idx,
                                     np.array([highspy.HighsVarType.kContinuous] * len(cols)))
        self._undo.append(lambda: self.h.changeColsIntegrality(len(cols), idx, old))

    def free_rows(self, rows: list[int]) -> None:
        """Let rows take any value (a relaxed red line)."""
        for row in rows:
            _, lower, upper, _ = self.h.getRow(row)
            self.h.changeRowBounds(row, -highspy.kHighsInf, highspy.kHighsInf)
            self._undo.append(lambda row=row, lower=lower, upper=upper:
                              self.h.changeRowBounds(row, lower, upper))

    def set_option(self, name: str, value: Any) -> None:
        """A HiGHS option for the runs made before `undo()` (then its value before)."""
        _, old = self.h.getOptionValue(name)
        self.h.setOptionValue(name, value)
        self._undo.append(lambda: self.h.setOptionValue(name, old))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()
