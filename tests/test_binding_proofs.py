"""The binding checks' shortcuts (implied rows, the LP relaxation's bound, the LP's answer
taken as a plan) against the plain definition: for every red line, the optimum of the same
scenario with that red line deleted (by default a binding red line's relaxed optimum may
be bracketed: the checks stop at the first better plan). On generated scenarios with every red-line rule, whole
units, fixed costs, minimums and links (the strategy of test_properties)."""

from __future__ import annotations

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
