"""The binding checks' shortcuts (implied rows, the LP relaxation's bound, the LP's answer
taken as a plan) against the plain definition: for every red line, the optimum of the same
scenario with that red line deleted (by default a binding red line's relaxed optimum may
be bracketed: the checks stop at the first better plan). On generated scenarios with every red-line rule, whole
units, fixed costs, minimums and links (the strategy of test_properties)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import scenario_data

from pbo import SolverOptions, solve
from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.solving.fairness import FAIRNESS_TOLERANCE


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_data(with_red_lines=True), st.booleans())
def test_binding_checks_agree_with_deleting_the_red_line(data: dict, exact: bool) -> None:
    """The flag is the definition's; the relaxed objective is a plan's (never better than
    the optimum without the red line) and the bound is a bound (never worse); with
    exact_red_lines both are that optimum, within the MIP gap."""
    result = solve(scenario_from_data(data), options=SolverOptions(exact_red_lines=exact))
    if not result.has_plan:
        return
    tol = FAIRNESS_TOLERANCE * max(1.0, abs(result.objective))
    sign = 1 if result.objective_name != "min_cost" else -1
    for row in result.red_lines:
        without = [r for r in data["red_lines"] if r["id"] != row.id]
        free = solve(scenario_from_data({**data, "red_lines": without}))
        assert free.has_plan, row.id
        gain = (free.objective - result.objective) * sign
        assert row.binding is (gain > tol), (row.id, gain, result.meta.resolves)
        slack = 2e-6 * max(1.0, abs(free.objective)) + tol  # the MIP gap, both solves
        assert (row.relaxed_objective - free.objective) * sign <= slack, row.id
        assert (row.relaxed_bound - free.objective) * sign >= -slack, row.id
        if exact or not row.binding:
            assert abs(row.relaxed_objective - free.objective) <= slack, row.id


def test_a_binding_check_stopped_early_does_not_stop_the_next_run() -> None:
    """HiGHS keeps its interrupt flag between runs: a binding check that stops at its first
    better plan must not leave it set, or the next MIP on the model (the fairness stage's,
    with highspy's Ctrl-C handler subscribed as on the command line) stops at once."""
    import importlib.util

    import numpy as np

    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.formulation.measures import objective_value
    from pbo.optimizer.solving.binding import red_line_rows, run_against
    from pbo.optimizer.solving.highs import HighsSession
    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    # the benchmark's 2,000-intervention scenario: relaxing council_0_cap, HiGHS finds
    # plans better than the base, and the run is stopped at the first (as a check that
    # cannot decide by its LP does)
    built = build_model(scenario_from_data(generate.generate(2000, 10, 10, seed=0)))
    session = HighsSession(built, SolverOptions())
    first = session.solve()
    assert first.status == "optimal"
    h = session.highs
    start = np.array(h.getSolution().col_value)
    base = objective_value(built)
    rows = [session.row_of(r) for r in red_line_rows(built.m, "council_0_cap")]
    with session.edits() as edits:
        edits.free_rows(rows)
        stopped = run_against(session, base, start, lambda v: v > base + 1.0)
    assert stopped.status != "optimal"  # interrupted at its first better plan
    assert stopped.objective > base + 1.0
    h.HandleUserInterrupt = True
    try:
        h.setSolution(len(start), np.arange(len(start), dtype=np.int32), start)
        again = session.run(load=False)
    finally:
        h.HandleUserInterrupt = False
    assert again.status == "optimal"
    assert again.objective == pytest.approx(first.objective, rel=1e-6)


def test_an_lp_answer_a_hair_outside_a_bound_is_still_a_plan() -> None:
    """HiGHS may leave a column outside its bound by its feasibility tolerance. The binding
    checks' LP-plan test holds columns, as rows, to the reconciliation's 1e-6 of the bound:
    the tutorial's plan runs family_keyworkers at its most, 300 units; 300 x (1 + 1e-8) is
    still that plan (an absolute 1e-9 refused it, so a rounded LP answer went unused), and
    300 x (1 + 1e-5) is not."""
    import numpy as np

    from pbo.models.io.loading import load_scenario
    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.solving.binding import _Relaxation
    from pbo.optimizer.solving.highs import HighsSession
    from tests.conftest import SCENARIOS

    built = build_model(load_scenario(SCENARIOS / "tutorial.yaml"))
    session = HighsSession(built, SolverOptions())
    assert session.solve().status == "optimal"
    x = np.array(session.highs.getSolution().col_value)
    relaxation = _Relaxation(session, session.highs.getLp())
    col = session.col_of(built.m.units["family_keyworkers"])
    assert x[col] == pytest.approx(300.0)
    assert relaxation._plan(x, []) is not None
    x[col] = 300.0 * (1 + 1e-8)
    assert relaxation._plan(x, []) is not None
    x[col] = 300.0 * (1 + 1e-5)
    assert relaxation._plan(x, []) is None
