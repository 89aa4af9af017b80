"""Eligibility classes: the interventions whose funding the model need not tell apart.

Two interventions are in one class when the same partners may fund them and every red line
that names interventions or themes (ring_fence, no_funding) treats them alike for each of
those partners. Every row of SPEC section 3 reads the payments only through sums: per
partner and year (budgets, max_share, spend, net savings, no_worse_off, no_pooling,
funding_window), per partner over a set of interventions that is a union of classes
(ring_fence, no_funding), or per intervention and year (cost met). So one funding variable
per (partner, class, year), with the class's cost met, has the same feasible plans; each
intervention's payment is recovered in proportion to its cost within the class
(`split_payments`). docs/FORMULATION.md gives the argument in full.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from pbo.models.scenario import Scenario

SPLITTING_RULES = ("ring_fence", "no_funding")
"""Red lines that name interventions or themes and act on funding; each splits the classes
of its partner, so relaxing one only frees rows. (must_fund and exclude_intervention name an
intervention too, but act on its selection, not on who pays.)"""


def eligibility_classes(sc: Scenario, funders: Mapping[str, tuple[str, ...]]
                        ) -> dict[str, tuple[str, ...]]:
    """Class id -> interventions, in scenario order; ids `class_1`, `class_2`, ... by first
    member."""
    splitters = []
    for rule in sc.red_lines:
        if rule.rule == "ring_fence":
            themes = set(rule.themes)
            splitters.append((rule.partner, lambda iv, themes=themes: iv.theme in themes))
        elif rule.rule == "no_funding":
            banned = set(rule.interventions)
            splitters.append((rule.partner, lambda iv, banned=banned: iv.id in banned))
    groups: dict[tuple, list[str]] = defaultdict(list)
    for iv in sc.interventions:
        allowed = frozenset(funders[iv.id])
        key = (allowed, tuple(k for k, (partner, inside) in enumerate(splitters)
                              if partner in allowed and inside(iv)))
        groups[key].append(iv.id)
    return {f"class_{k + 1}": tuple(members) for k, members in enumerate(groups.values())}


def class_costs(classes: Mapping[str, tuple[str, ...]], cost: Mapping[tuple[str, int], float]
                ) -> dict[tuple[str, int], float]:
    """(class, year) -> the class's cost, from per-intervention costs (i, t) -> cost."""
    of = {i: c for c, members in classes.items() for i in members}
    out: dict[tuple[str, int], float] = defaultdict(float)
    for (i, t), v in cost.items():
        out[of[i], t] += v
    return dict(out)


def split_payments(classes: Mapping[str, tuple[str, ...]],
                   class_paid: Mapping[tuple[str, str, int], float],
                   cost: Mapping[tuple[str, int], float]) -> dict[tuple[str, str, int], float]:
    """(p, i, t) -> payment: each partner's payment to a class in a year split over the
    class's interventions in proportion to their cost that year (so a partner pays the same
    share of every intervention in a class in a year)."""
    total = class_costs(classes, cost)
    out: dict[tuple[str, str, int], float] = {}
    for (p, c, t), amount in class_paid.items():
        whole = total.get((c, t), 0.0)
        if amount == 0.0 or whole <= 0.0:
            continue
        for i in classes[c]:
            part = cost.get((i, t), 0.0)
            if part > 0.0:
                out[p, i, t] = amount * part / whole
    return out
