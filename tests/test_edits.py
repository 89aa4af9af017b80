"""Direct edits of a loaded HiGHS model (`pbo.optimizer.solving.edits.Edits`)."""

from __future__ import annotations

import highspy
import numpy as np
import pytest

from pbo.optimizer.solving.edits import Edits


def _model() -> highspy.Highs:
    """min x + 10, 2 <= x <= 6: optimum 12 at x = 2."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addCol(1.0, 2.0, 6.0, 0, np.array([], dtype=np.int32), np.array([]))
    h.changeObjectiveOffset(10.0)
    return h


def test_set_objective_replaces_the_constant_too_and_undo_restores_it():
    """The objective set is sum(costs * cols) and nothing else: max 3x over 2 <= x <= 6 is
    3 x 6 = 18 at x = 6 (not 28 with the old constant 10). Undone, the model is min x + 10
    again: 12 at x = 2."""
    h = _model()
    edits = Edits(h)
    edits.set_objective({0: 3.0}, maximise=True)
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(18.0)
    assert h.getSolution().col_value[0] == pytest.approx(6.0)
    edits.undo()
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(12.0)
    assert h.getSolution().col_value[0] == pytest.approx(2.0)


def test_relaxing_columns_of_a_model_with_no_integer_column_changes_nothing():
    """HiGHS keeps no integrality list for a model with no integer column (ours, or one
    whose every column was made continuous), so asking to relax column 0 there must be a
    no-op, not an IndexError. min x + 10 over 2 <= x <= 6 is still 12 at x = 2."""
    h = _model()
    edits = Edits(h)
    edits.relax_integrality([0])
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(12.0)
    edits.undo()


def test_a_relaxed_integer_column_is_made_integer_again_on_undo():
    """max x over 0 <= x <= 2.5 with x integer, and x + 0 * y for a second, continuous
    column y: 2 as a MIP, 2.5 relaxed, 2 again after undo."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for _ in range(2):
        h.addCol(1.0, 0.0, 2.5, 0, np.array([], dtype=np.int32), np.array([]))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    h.changeColCost(1, 0.0)
    h.changeColIntegrality(0, highspy.HighsVarType.kInteger)
    edits = Edits(h)
    edits.relax_integrality([0, 1])
    h.run()
    assert h.getSolution().col_value[0] == pytest.approx(2.5)
    edits.undo()
    h.run()
    assert h.getSolution().col_value[0] == pytest.approx(2.0)
