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
