"""Warnings: what a user should know about a valid scenario, never stopping a solve.

Each named warning check reads a validated Scenario and returns plain sentences, located
like problems ('red_lines[rf].themes: ...'). `pbo validate` prints them (and exits 0); every
solve records them in the result's `meta.warnings` (and `pbo solve` prints them first).
Add a check by writing a function and listing it in WARNINGS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from pbo.models.checks import did_you_mean

if TYPE_CHECKING:
    from pbo.models.results import PlanResult
    from pbo.models.scenario import Scenario


def warn_ring_fence_themes(sc: Scenario) -> list[str]:
    """A ring fence may list a theme no intervention has (SPEC section 2: red lines are written
    once and interventions change often): it is said, with the closest theme there is."""
    themes = {i.theme for i in sc.interventions if i.theme}
    out = []
    for rule in sc.red_lines:
        if rule.rule != "ring_fence":
            continue
        for theme in rule.themes:
            if theme not in themes:
                out.append(f"red_lines[{rule.id}].themes: no intervention has theme "
                           f"'{theme}'{did_you_mean(theme, themes)} (the ring fence lets "
                           f"{rule.partner} fund only the themes it lists)")
    return out


def warn_listed_twice(sc: Scenario) -> list[str]:
    """A name listed twice in one list (`funders: [council, council]`) means what it says
    once, and pbo reads it once; but it is often a slip for another name, so it is said."""
    lists: list[tuple[str, list[str] | None]] = []
    for iv in sc.interventions:
        lists += [(f"interventions[{iv.id}].{name}", getattr(iv, name))
                  for name in ("funders", "requires", "excludes")]
    for rule in sc.red_lines:
        lists += [(f"red_lines[{rule.id}].{name}", getattr(rule, name, None))
                  for name in ("themes", "interventions")]
    out = []
    for where, names in lists:
        for name, count in Counter(names or []).items():
            if count > 1:
                times = "twice" if count == 2 else f"{count} times"
                out.append(f"{where}: '{name}' is listed {times} (read once)")
    return out


WARNINGS: tuple[Callable[[Scenario], list[str]], ...] = (warn_ring_fence_themes,
                                                          warn_listed_twice)


def scenario_warnings(sc: Scenario) -> list[str]:
    """Every warning about `sc`, in the order of WARNINGS."""
    return [w for check in WARNINGS for w in check(sc)]


def with_warnings(result: PlanResult, warnings: list[str]) -> PlanResult:
    """`result` (frozen) with `warnings` added to its meta, each once."""
    kept = [*result.meta.warnings, *(w for w in warnings if w not in result.meta.warnings)]
    return result.model_copy(update={"meta": result.meta.model_copy(update={"warnings": kept})})
