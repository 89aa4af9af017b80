"""The scenario in a canonical order, so that the model, and so the plan, does not depend on
the order in which the user listed things.

HiGHS is deterministic for a given model, but the model's columns, rows and the order of the
terms in each row follow the order of the scenario's lists; among equally good (or equally
fair) plans, a different order can lead HiGHS to a different one, and float sums taken in
another order can differ in their last digits. So the model is built from `canonical(sc)`:
partners, interventions, targets and red lines sorted by id, and every list or mapping
inside them (benefits, cashable shares, outcomes, funders, requires, excludes, themes, the
interventions a red line names, fixed cost shares) sorted by key. Ids are strings compared
as strings: no set or hash order (which changes with PYTHONHASHSEED) is involved. The
results keep the user's order (`ModelData.scenario` is the scenario as given).
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pbo.models.scenario import Intervention, Scenario

_CACHED = tuple(k for k, v in vars(Scenario).items() if isinstance(v, cached_property))
"""Derived views cached on a Scenario (partner, intervention, beneficiaries, ...): a copy
with other lists must compute them afresh."""


def _sorted(mapping: dict[str, Any]) -> dict[str, Any]:
    return dict(sorted(mapping.items()))


def _intervention(iv: Intervention) -> Intervention:
    return iv.model_copy(update={
        "benefits": _sorted(iv.benefits),
        "cashable": _sorted(iv.cashable) if isinstance(iv.cashable, dict) else iv.cashable,
        "outcomes": _sorted(iv.outcomes),
        "funders": None if iv.funders is None else sorted(dict.fromkeys(iv.funders)),
        "requires": sorted(iv.requires),
        "excludes": sorted(iv.excludes),
    })


def _red_line(rule: Any) -> Any:
    update = {name: sorted(getattr(rule, name)) for name in ("themes", "interventions")
              if isinstance(getattr(rule, name, None), list)}
    return rule.model_copy(update=update) if update else rule


def canonical(sc: Scenario) -> Scenario:
    """`sc` with every list the model reads in a canonical order (module docstring)."""
    sharing = sc.cost_sharing
    if sharing.shares:
        sharing = sharing.model_copy(update={"shares": {
            i: _sorted(split) for i, split in sorted(sharing.shares.items())}})
    copy = sc.model_copy(update={
        "partners": sorted(sc.partners, key=lambda p: p.id),
        "interventions": [_intervention(iv) for iv in sorted(sc.interventions,
                                                             key=lambda iv: iv.id)],
        "targets": sorted(sc.targets, key=lambda t: t.id),
        "red_lines": [_red_line(r) for r in sorted(sc.red_lines, key=lambda r: r.id)],
        "cost_sharing": sharing,
    })
    for name in _CACHED:
        copy.__dict__.pop(name, None)
    return copy
