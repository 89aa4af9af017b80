"""Persistent what-if: change a built model in place for a changed scenario, then re-solve.

A change to a target's bounds, a partner's budget, or a red line's parameters touches only
those rows: they are rebuilt from the new scenario and swapped into the loaded HiGHS model.
Anything else (costs, benefits, the set of interventions…) changes the objective or the
variables, and the caller rebuilds.
"""

from __future__ import annotations

from collections.abc import Iterable

from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.build import BuiltModel
from pbo.optimizer.formulation.constraints.budgets import budget_rows
from pbo.optimizer.formulation.constraints.red_lines import RED_LINE_FAMILIES
from pbo.optimizer.formulation.constraints.targets import target_rows
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.numerics import check_numerics

IN_PLACE_FIELDS = {
    "targets": {"min", "max"},
    "partners": {"poolable_budget"},
    "red_lines": {"share", "amount", "min_units"},
}


def in_place_path(path: str) -> bool:
    """A change the loaded model takes by swapping rows (a bound, a budget, a red line's
    parameter), not by building again."""
    parts = path.split(".")
    return len(parts) == 3 and parts[2] in IN_PLACE_FIELDS.get(parts[0], ())


def _rows_for(path: str, built: BuiltModel, d: ModelData) -> list[tuple[str, dict]] | None:
    """The rows an in-place `path` touches, rebuilt from `d`; None when what it names is
    not in the scenario."""
    section, ident, _field = path.split(".")
    m, sc = built.m, d.model_scenario
    if section == "targets":
        target = next((t for t in sc.targets if t.id == ident), None)
        return None if target is None else [("target", target_rows(m, d, target))]
    if section == "partners":
        partner = sc.partner.get(ident)
        if partner is None:
            return None
        # max_share caps are a share of this budget: they move with it
        return [("budget_limit", budget_rows(m, d, partner))] + [
            ("red_line", RED_LINE_FAMILIES[r.rule](m, d, r)) for r in sc.red_lines
            if r.rule == "max_share" and r.partner == ident]
    rule = next((r for r in sc.red_lines if r.id == ident), None)
    return None if rule is None else [("red_line", RED_LINE_FAMILIES[rule.rule](m, d, rule))]


def update_in_place(built: BuiltModel, scenario: Scenario, paths: Iterable[str]) -> bool:
    """Swap in the rows the changed `paths` touch; False (model untouched) if it cannot.
    `scenario` differs from the one the model now holds only at `paths`."""
    paths = list(paths)
    if not all(in_place_path(path) for path in paths):
        return False
    d = built.data.with_scenario(scenario)  # the paths change no derived map
    check_numerics(d)  # a bound of 1e20 would be no limit: refused, as a fresh build does
    plans = []
    for path in paths:
        found = _rows_for(path, built, d)
        if found is None:
            return False
        for name, rows in found:
            component = getattr(built.m, name, None)
            if not rows:
                continue
            owner = next(iter(rows))[0]
            if component is None or {k for k in component if k[0] == owner} != set(rows):
                return False  # rows appear or vanish: the structure changed
            plans.append((component, rows))
    for component, rows in plans:
        for key, expr in rows.items():
            component[key].set_value(expr)
    built.data = d
    return True
