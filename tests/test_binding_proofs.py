"""The binding checks' shortcuts (implied rows, the LP relaxation's bound, the LP's answer
taken as a plan) against the plain definition: for every red line, the optimum of the same
scenario with that red line deleted. On generated scenarios with every red-line rule, whole
units, fixed costs, minimums and links (the strategy of test_properties)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from test_properties import scenario_data

from pbo import solve
from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.solving.fairness import FAIRNESS_TOLERANCE


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_data(with_red_lines=True))
def test_binding_checks_agree_with_deleting_the_red_line(data: dict) -> None:
    result = solve(scenario_from_data(data))
    if not result.has_plan:
        return
    tol = FAIRNESS_TOLERANCE * max(1.0, abs(result.objective))
    maximise = result.objective_name != "min_cost"
    for row in result.red_lines:
        without = [r for r in data["red_lines"] if r["id"] != row.id]
        free = solve(scenario_from_data({**data, "red_lines": without}))
        assert free.has_plan, row.id
        gain = (free.objective - result.objective) * (1 if maximise else -1)
        assert row.binding is (gain > tol), (row.id, gain, result.meta.resolves)
        # the relaxed optimum, within the MIP gap (1e-6) of the deleted-line solve
        assert abs(row.relaxed_objective - free.objective) <= 2e-6 * max(
            1.0, abs(free.objective)) + tol, (row.id, row.relaxed_objective, free.objective)
