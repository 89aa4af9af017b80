"""Model data: the scenario's numbers as sparse dicts keyed by index tuples (SPEC section 3)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from pbo.models.scenario import Scenario

FORMULATIONS = ("reduced", "full")
"""reduced: one funding variable per (partner, eligibility class, year), none under the rules
benefit_share and fixed; full: one per (partner, intervention, year), the SPEC's own."""


@dataclass(frozen=True)
class BenefitTerms:
    """One entry per (p, i, t) of ModelData.adjusted: the intervention's place in
    `interventions`, the partner-year's slot (partner's first slot + year's place), a, c
    and the year's discount factor; and the places and first slots themselves."""

    intervention: Any
    partner_year: Any
    adjusted: Any
    cashable: Any
    discount: Any
    place: dict[str, int]
    """Intervention -> its place in ModelData.interventions."""
    first_slot: dict[str, int]
    """Partner -> the slot of its first year (its place × the number of years)."""


def funding_maps(costed: tuple[tuple[str, int], ...],
                 fund_index: tuple[tuple[str, str, int], ...]) -> dict[str, Any]:
    """ModelData's maps of who may fund what, derived from `costed` and `fund_index`:
    fund_by_partner_year, fund_by_intervention_year and costed_in_year, each in the order
    of its source."""
    fund_py: dict[tuple[str, int], list[str]] = defaultdict(list)
    fund_it: dict[tuple[str, int], list[str]] = defaultdict(list)
    for p, i, t in fund_index:
        fund_py[p, t].append(i)
        fund_it[i, t].append(p)
    in_year: dict[int, list[str]] = defaultdict(list)
    for i, t in costed:
        in_year[t].append(i)
    return {"fund_by_partner_year": dict(fund_py), "fund_by_intervention_year": dict(fund_it),
            "costed_in_year": dict(in_year)}


@dataclass(frozen=True)
class ModelData:
    """Everything the model needs, pre-filtered so that only rows that exist are built."""

    scenario: Scenario
    years: tuple[int, ...]
    discount: dict[int, float]
    partners: tuple[str, ...]
    interventions: tuple[str, ...]
    fixed_cost: dict[tuple[str, int], float]
    """(i, t) -> fixed cost, only where non-zero."""
    unit_cost: dict[tuple[str, int], float]
    """(i, t) -> cost per unit, only where non-zero."""
    costed: tuple[tuple[str, int], ...]
    """(i, t) with any cost: the only (i, t) with funding variables."""
    funders: dict[str, tuple[str, ...]]
    fund_index: tuple[tuple[str, str, int], ...]
    """(p, i, t): p may fund i and i costs something in t."""
    adjusted: dict[tuple[str, str, int], float]
    """(p, i, t) -> adjusted fiscal benefit per unit a[p,i,t], non-zero only."""
    cashable: dict[tuple[str, str, int], float]
    """(p, i, t) -> cashable benefit per unit c[p,i,t], non-zero only."""
    wider_value: dict[tuple[str, int], float]
    """(i, t) -> adjusted economic plus social value per unit, non-zero only."""
    by_partner_year: dict[tuple[str, int], list[tuple[str, float, float]]] = field(
        default_factory=dict)
    """(p, t) -> [(i, a, c)]: the benefit terms of each partner-year."""
    fund_by_partner_year: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    """(p, t) -> interventions p may pay towards in t."""
    fund_by_intervention_year: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    """(i, t) -> partners who may pay towards i in t."""
    costed_in_year: dict[int, list[str]] = field(default_factory=dict)
    """t -> interventions with any cost in t."""
    formulation: str = "reduced"
    """reduced (funding per eligibility class) or full (per intervention); see classes.py."""
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Eligibility class id -> its interventions (reduced formulation; classes.py)."""
    class_of: dict[str, str] = field(default_factory=dict)
    """Intervention -> its eligibility class."""
    class_costed: tuple[tuple[str, int], ...] = ()
    """(c, t) with any cost in some member of class c."""
    class_fund_index: tuple[tuple[str, str, int], ...] = ()
    """(p, c, t): p may fund class c, which costs something in t (reduced, rule optimise)."""
    class_fund_by_partner_year: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    class_fund_by_class_year: dict[tuple[str, int], list[str]] = field(default_factory=dict)
    canon: Scenario | None = None
    """The scenario in canonical order (canonical.py): what the model is built from, so that
    it does not depend on the order of the user's lists. `scenario` keeps the user's order,
    for the results; `partners`, `interventions` and every index above are canonical."""

    @property
    def model_scenario(self) -> Scenario:
        """The scenario the rows are built from: `canon` (`scenario` if none was made)."""
        return self.canon if self.canon is not None else self.scenario

    @cached_property
    def shares(self) -> dict[tuple[str, str], float] | None:
        """(p, i) -> share of i's cost p pays under benefit_share and fixed; None (optimise)."""
        from pbo.optimizer.formulation.payments import cost_shares

        return cost_shares(self)

    @cached_property
    def benefit_terms(self) -> BenefitTerms:
        """`adjusted` and `cashable` as arrays, for sums over a plan's units."""
        import numpy as np

        keys = list(self.adjusted)
        place = {i: k for k, i in enumerate(self.interventions)}
        year = {t: k for k, t in enumerate(self.years)}
        who = {p: k * len(self.years) for k, p in enumerate(self.partners)}
        n = len(keys)
        return BenefitTerms(
            intervention=np.fromiter((place[i] for _, i, _ in keys), np.int64, n),
            partner_year=np.fromiter((who[p] + year[t] for p, _, t in keys), np.int64, n),
            adjusted=np.fromiter(self.adjusted.values(), np.float64, n),
            cashable=np.fromiter((self.cashable.get(k, 0.0) for k in keys), np.float64, n),
            discount=np.fromiter((self.discount[t] for _, _, t in keys), np.float64, n),
            place=place, first_slot=who)

    @property
    def class_funding(self) -> bool:
        """Funding variables per (partner, class, year): reduced, rules optimise and core
        (the rules that choose who pays)."""
        return self.formulation == "reduced" and self.scenario.cost_sharing.rule in (
            "optimise", "core")

    def with_scenario(self, sc: Scenario) -> ModelData:
        """This data for `sc`, a scenario that differs from this one only in fields that no
        map here is derived from: the bounds of targets, budgets and red-line parameters
        (whatif.IN_PLACE_FIELDS, which the rows read from `canon`). The maps are shared; the
        scenario and its canonical order are `sc`'s (a sweep point's data in a fraction of
        `from_scenario`'s time)."""
        from pbo.optimizer.formulation.canonical import canonical

        return replace(self, scenario=sc, canon=canonical(sc))

    @classmethod
    def from_scenario(cls, sc: Scenario, formulation: str = "reduced") -> ModelData:
        from pbo.optimizer.formulation.canonical import canonical
        from pbo.optimizer.formulation.classes import eligibility_classes

        if formulation not in FORMULATIONS:
            from pbo.models.errors import UsageError

            raise UsageError(f"formulation '{formulation}': one of {', '.join(FORMULATIONS)}")
        given, sc = sc, canonical(sc)  # built in canonical order; results in the user's
        years = sc.horizon
        fixed: dict[tuple[str, int], float] = {}
        unit: dict[tuple[str, int], float] = {}
        adjusted: dict[tuple[str, str, int], float] = {}
        cashable: dict[tuple[str, str, int], float] = {}
        wider: dict[tuple[str, int], float] = {}
        funders: dict[str, tuple[str, ...]] = {}
        for iv in sc.interventions:
            i = iv.id
            funders[i] = tuple(sc.funders(iv))
            adj = iv.adjustment
            for k, t in enumerate(years):
                if iv.fixed_cost[k]:
                    fixed[i, t] = iv.fixed_cost[k]
                if iv.unit_cost[k]:
                    unit[i, t] = iv.unit_cost[k]
                value = (iv.economic_value[k] + iv.social_value[k]) * adj
                if value:
                    wider[i, t] = value
            for p, profile in iv.benefits.items():
                share = iv.cashable_share(p)
                for k, t in enumerate(years):
                    a = profile[k] * adj
                    if a:
                        adjusted[p, i, t] = a
                        if share:
                            cashable[p, i, t] = a * share
        costed = tuple((iv.id, t) for iv in sc.interventions for t in years
                       if (iv.id, t) in fixed or (iv.id, t) in unit)
        fund_index = tuple((p, i, t) for i, t in costed for p in funders[i])
        by_py: dict[tuple[str, int], list[tuple[str, float, float]]] = defaultdict(list)
        for (p, i, t), a in adjusted.items():
            by_py[p, t].append((i, a, cashable.get((p, i, t), 0.0)))
        classes = eligibility_classes(sc, funders) if formulation == "reduced" else {}
        class_of = {i: c for c, members in classes.items() for i in members}
        class_costed = tuple(dict.fromkeys((class_of[i], t) for i, t in costed)) \
            if classes else ()
        class_index = tuple((p, c, t) for c, t in class_costed
                            for p in funders[classes[c][0]])
        class_py: dict[tuple[str, int], list[str]] = defaultdict(list)
        class_ct: dict[tuple[str, int], list[str]] = defaultdict(list)
        for p, c, t in class_index:
            class_py[p, t].append(c)
            class_ct[c, t].append(p)
        return cls(
            scenario=given, canon=sc, years=years, discount=sc.discount,
            partners=tuple(p.id for p in sc.partners),
            interventions=tuple(i.id for i in sc.interventions),
            fixed_cost=fixed, unit_cost=unit, costed=costed, funders=funders,
            fund_index=fund_index, adjusted=adjusted, cashable=cashable, wider_value=wider,
            by_partner_year=dict(by_py), **funding_maps(costed, fund_index),
            formulation=formulation, classes=classes, class_of=class_of,
            class_costed=class_costed, class_fund_index=class_index,
            class_fund_by_partner_year=dict(class_py), class_fund_by_class_year=dict(class_ct),
        )
