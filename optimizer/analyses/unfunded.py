"""Why each intervention left out of a plan is left out, in a board's words: a red line that
excludes it, nobody allowed to fund it, or the break-even of `pbo explain --intervention`
("would be funded if its benefits were 12% higher")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.solving.highs import SolverOptions

PRECISION = 0.01
"""Break-even factors are found to within 1% (a board does not need more)."""
MOST = 64.0
"""Benefit factors searched up to 64 times today's."""


@dataclass(frozen=True)
class Unfunded:
    id: str
    name: str
    why: str


def unfunded_reasons(result: PlanResult, scenario: Scenario,
                     options: SolverOptions | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[Unfunded]:
    """One reason per intervention not selected in `result` (which must have a plan).
    `progress(done, total)` after each left-out intervention's reason."""
    from pbo.optimizer.explain.why import Scalings, break_even

    solver = SolverOptions(**{**(options or SolverOptions()).as_dict(),
                              "check_binding": False})
    excluded = {r.intervention: r for r in scenario.red_lines
                if r.rule == "exclude_intervention"}
    scalings = Scalings(scenario, result.objective_name, solver)  # one model for every search
    out = []
    left_out = [row for row in result.interventions if not row.selected]
    for done, row in enumerate(left_out, 1):
        iv = scenario.intervention[row.id]
        if row.id in excluded:
            rule = excluded[row.id]
            text = rule.description or rule.id
            why = f"ruled out by a red line: {text}" + (f" ({rule.owner})" if rule.owner
                                                       else "")
        elif not scenario.funders(iv):
            why = "no partner may fund it"
        else:
            least = iv.min_units if iv.min_units > 0 else min(1.0, iv.max_units)
            even = break_even(scenario, row.id, result.objective_name, solver, PRECISION,
                              MOST, least, scalings)
            if even.value is None:
                why = ("no rise in its benefits (up to 64 times today's) would bring it in: "
                       "budgets, targets or red lines stand in the way"
                       if even.lever == "benefit_scale" else
                       "no cut in its costs would bring it in")
            elif even.lever == "benefit_scale":
                why = f"would be funded if its benefits were {even.value - 1:.0%} higher"
            else:
                why = f"would be funded if its costs were {1 - even.value:.0%} lower"
        out.append(Unfunded(id=row.id, name=iv.label, why=why))
        if progress is not None:
            progress(done, len(left_out))
    return out
