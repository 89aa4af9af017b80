"""The scenario: partners, interventions, targets, red lines (SPEC section 2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from pbo.models.base import (
    CashableShare,
    Id,
    Money,
    MoneyProfile,
    Number,
    Period,
    Profile,
    Share,
    StrictModel,
    Whole,
    Year,
    expand_profile,
)
from pbo.models.uncertainty import Uncertainty

Objective = Literal["net_fiscal_value", "net_cashable_savings", "public_value", "min_cost"]
OBJECTIVES: tuple[str, ...] = Objective.__args__  # type: ignore[attr-defined]
Measure = Literal[
    "net_cashable_savings", "net_fiscal_value", "cashable_benefit",
    "gross_fiscal_benefit", "spend", "outcome",
]


class Partner(StrictModel):
    _section = "partners"

    id: Id
    """How every other part of the scenario refers to this partner."""
    name: str = ""
    """Display name."""
    poolable_budget: MoneyProfile = 0.0
    """Most the partner may put into the pool each year (a profile)."""
    carry_over: bool = False
    """Unspent pool money may be used in later years (budgets hold on running totals)."""
    reinvest_savings: Share = 0.0
    """Share of its realised cashable savings (earlier years) added to its later budgets."""

    @property
    def label(self) -> str:
        return self.name or self.id


class Intervention(StrictModel):
    _section = "interventions"

    id: Id
    """How every other part of the scenario refers to this intervention."""
    name: str = ""
    """Display name."""
    theme: str = ""
    """Theme, used by ring_fence red lines."""
    unit: str = "unit"
    """What one unit is (a family, a place, a person)."""
    min_units: Money = 0.0
    """If selected, at least this many units."""
    max_units: Money
    """At most this many units."""
    integer_units: bool = False
    """Units are whole numbers."""
    fixed_cost: MoneyProfile = 0.0
    """Cost paid in each year if selected, whatever the scale."""
    unit_cost: MoneyProfile = 0.0
    """Cost per unit in each year."""
    benefits: dict[Id, Profile] = Field(default_factory=dict)
    """Gross fiscal benefit per unit, by partner, as a profile."""
    cashable: CashableShare = 1.0
    """Share of fiscal benefit that can be taken out of budgets: a number or {partner: share}."""
    optimism_bias: Share = 0.0
    """Benefits are reduced by this share."""
    deadweight: Share = 0.0
    """Share of benefits that would have happened anyway."""
    attribution: Share = 1.0
    """Share of benefits attributable to the intervention."""
    economic_value: Profile = 0.0
    """Value to the wider economy per unit (no partner's money), as a profile."""
    social_value: Profile = 0.0
    """Social value per unit, as a profile."""
    outcomes: dict[str, Number] = Field(default_factory=dict)
    """Outcomes per unit, for outcome targets."""
    funders: list[Id] | None = None
    """Partners who may fund it (default: every partner)."""
    requires: list[Id] = Field(default_factory=list)
    """Selected only if each of these is selected."""
    excludes: list[Id] = Field(default_factory=list)
    """Never selected together with these."""
    confidence: Annotated[int, Whole, Field(ge=1, le=6)] | None = None
    """Confidence grade of its estimates, 1 (best) to 6: a default range and optimism-bias
    correction for `pbo risk` (pbo.models.uncertainty); the point plan is unchanged."""

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def adjustment(self) -> float:
        """Multiplier from gross to adjusted benefit: (1-optimism bias)(1-deadweight)attribution."""
        return (1 - self.optimism_bias) * (1 - self.deadweight) * self.attribution

    def cashable_share(self, partner: str) -> float:
        if isinstance(self.cashable, dict):
            return float(self.cashable.get(partner, 1.0))
        return float(self.cashable)


class Target(StrictModel):
    _section = "targets"

    id: Id
    partner: Id | None = None
    """The partner it applies to; omitted for the whole partnership."""
    measure: Measure
    """What is measured (SPEC section 3.2)."""
    outcome: str | None = None
    """With measure 'outcome': which outcome."""
    min: Number | None = None
    max: Number | None = None
    period: Period = "horizon"
    """horizon (discounted sum), each_year, or a single year."""
    discounted: bool = True
    """For horizon targets: weight each year by the discount factor."""


class _RedLineBase(StrictModel):
    _section = "red_lines"

    id: Id
    description: str = ""
    owner: str = ""
    """Who owns it: the Whitehall department (DWP, DH, MoJ, BIS…)."""
    negotiable: bool = True
    """Sensitivity relaxes only negotiable red lines (unless asked for all)."""
    active: bool = True
    """false: lifted for a what-if (`--set red_lines.ID.active=false`, a toggle in the meeting
    page); the red line stays in the file and constrains nothing."""


class NoPooling(_RedLineBase):
    rule: Literal["no_pooling"]
    partner: Id
    from_year: Year | None = None


class FundingWindow(_RedLineBase):
    rule: Literal["funding_window"]
    partner: Id
    first_year: Year | None = None
    last_year: Year | None = None


class RingFence(_RedLineBase):
    rule: Literal["ring_fence"]
    partner: Id
    themes: list[str]


class NoFunding(_RedLineBase):
    rule: Literal["no_funding"]
    partner: Id
    interventions: list[Id]


class MaxShare(_RedLineBase):
    rule: Literal["max_share"]
    partner: Id
    share: Share


class NoWorseOff(_RedLineBase):
    rule: Literal["no_worse_off"]
    partner: Id
    period: Literal["horizon", "each_year"] = "horizon"


class ExcludeIntervention(_RedLineBase):
    rule: Literal["exclude_intervention"]
    intervention: Id


class MustFund(_RedLineBase):
    rule: Literal["must_fund"]
    intervention: Id
    min_units: Money | None = None


class SpendCap(_RedLineBase):
    rule: Literal["spend_cap"]
    amount: Money
    year: Year | None = None


RedLine = Annotated[
    NoPooling | FundingWindow | RingFence | NoFunding | MaxShare | NoWorseOff
    | ExcludeIntervention | MustFund | SpendCap,
    Field(discriminator="rule"),
]
RED_LINE_RULES: tuple[str, ...] = (
    "no_pooling", "funding_window", "ring_fence", "no_funding", "max_share",
    "no_worse_off", "exclude_intervention", "must_fund", "spend_cap",
)


class CostSharing(StrictModel):
    _section = "cost_sharing"
    _listed = False

    rule: Literal["optimise", "benefit_share", "fixed", "core"] = "optimise"
    """optimise (max-min fairness), benefit_share, fixed shares, or core (each partner's net
    cashable saving as near its least-core payoff as budgets and eligibility allow)."""
    shares: dict[Id, dict[Id, Share]] | None = None
    """With rule fixed: {intervention: {partner: share}}, each summing to 1."""


_ITEM_FIELDS = ("partners", "interventions", "targets", "red_lines", "cost_sharing")


class Scenario(StrictModel):
    name: str = "scenario"
    currency: str = "GBP"
    start_year: Year
    years: Annotated[int, Whole, Field(ge=1, le=100)]
    """Horizon length: start_year .. start_year+years-1."""
    discount_rate: Share = 0.035
    """Discount factor 1/(1+r)^(year-start_year); 0.035 is the Green Book STPR."""
    objective: Objective = "net_fiscal_value"
    cost_sharing: CostSharing = CostSharing()
    partners: Annotated[list[Partner], Field(min_length=1)]
    interventions: list[Intervention] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    red_lines: list[RedLine] = Field(default_factory=list)
    scenarios: dict[Id, dict[str, Any]] = Field(default_factory=dict)
    """Named overrides {name: {PATH: VALUE}}, applied with --scenario."""
    uncertainty: Uncertainty | None = None
    """Uncertain inputs for `pbo risk` (pbo.models.uncertainty); the point plan ignores it."""

    def _check_and_normalise(self) -> list[str]:
        """Every cross-reference problem; with none, every profile expanded to one value per
        horizon year, while the object is being built (StrictModel's validator calls this
        however it is built: a file, a constructor, model_validate)."""
        from pbo.models.checks import scenario_problems

        problems = scenario_problems(self.model_dump())
        if problems:
            return problems
        problems = self._uncertainty_problems()
        if problems:
            return problems
        normalised = self._normalised()
        for field in ("partners", "interventions"):
            object.__setattr__(self, field, getattr(normalised, field))
        return []

    @classmethod
    def _prepared(cls, data: Any) -> Any:
        """Items built in code (Partner(...), a red line, CostSharing(...)) as plain data, so
        that they are checked and expanded on the same path as a file's."""
        if not isinstance(data, Mapping):
            return data

        def plain(value: Any) -> Any:
            if isinstance(value, BaseModel):
                return value.model_dump()
            if isinstance(value, list | tuple):
                return [plain(v) for v in value]
            return value

        return {k: plain(v) if k in _ITEM_FIELDS else v for k, v in data.items()}

    def with_changes(self, changes: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), *,
                     scenarios: Iterable[str] = ()) -> Scenario:
        """A new scenario with named scenarios (from `scenarios:`) then `changes` applied, in
        order, and checked again: the library form of `--scenario` and `--set`.

        >>> from pbo import Scenario, Partner
        >>> sc = Scenario(start_year=2020, years=2, partners=[Partner(id="council")])
        >>> sc.with_changes({"partners.council.poolable_budget": 5e5}).partners[0].poolable_budget
        (500000.0, 500000.0)
        """
        from pbo.models.overrides import apply_overrides, check_set_once, named_changes

        pairs = list(changes.items() if isinstance(changes, Mapping) else changes)
        check_set_once(pairs)
        data = self.model_dump()
        return Scenario.model_validate(apply_overrides(
            data, [*named_changes(data, scenarios), *pairs]))

    def _normalised(self) -> Scenario:
        """A copy whose every profile is a tuple with one value per horizon year."""
        def expand(profile: Any) -> tuple[float, ...]:
            return expand_profile(profile, self.start_year, self.years)

        partners = [p.model_copy(update={"poolable_budget": expand(p.poolable_budget)})
                    for p in self.partners]
        interventions = [
            i.model_copy(update={
                "fixed_cost": expand(i.fixed_cost),
                "unit_cost": expand(i.unit_cost),
                "economic_value": expand(i.economic_value),
                "social_value": expand(i.social_value),
                "benefits": {p: expand(b) for p, b in i.benefits.items()},
            })
            for i in self.interventions
        ]
        copy = self.model_copy(update={"partners": partners, "interventions": interventions})
        return copy

    # Derived views (cached on the frozen object).
    @cached_property
    def horizon(self) -> tuple[int, ...]:
        return tuple(range(self.start_year, self.start_year + self.years))

    @cached_property
    def discount(self) -> dict[int, float]:
        r = self.discount_rate
        return {t: 1.0 / (1.0 + r) ** (t - self.start_year) for t in self.horizon}

    @cached_property
    def partner(self) -> dict[str, Partner]:
        return {p.id: p for p in self.partners}

    @cached_property
    def intervention(self) -> dict[str, Intervention]:
        return {i.id: i for i in self.interventions}

    def funders(self, intervention: Intervention) -> list[str]:
        if intervention.funders is None:
            return [p.id for p in self.partners]
        return list(dict.fromkeys(intervention.funders))

    @cached_property
    def beneficiaries(self) -> list[str]:
        """Partners named in any intervention's benefits (the max-min fairness set)."""
        named = {p for i in self.interventions for p in i.benefits}
        return [p.id for p in self.partners if p.id in named]

    def _uncertainty_problems(self) -> list[str]:
        """Every uncertain input names an input that exists and is a number or a profile."""
        if self.uncertainty is None and not any(i.confidence for i in self.interventions):
            return []
        from pbo.models.uncertainty import uncertainty_problems

        return uncertainty_problems(self.model_dump(by_alias=True))
