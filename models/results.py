"""The result of a solve (SPEC section 4): a frozen object with tidy DataFrame views."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pandas is imported where a table is made, not on the solve path
    import pandas as pd

Status = Literal["optimal", "infeasible", "time_limit", "unbounded", "error"]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class InterventionResult(_Row):
    id: str
    name: str
    selected: bool
    units: float
    cost_npv: float
    """Discounted cost of the plan's units."""
    benefit_npv: float
    """Discounted adjusted fiscal benefit to all partners."""
    cashable_benefit_npv: float


class FundingRow(_Row):
    partner: str
    intervention: str
    year: int
    amount: float


class PartnerResult(_Row):
    id: str
    name: str
    contribution_npv: float
    gross_benefit_npv: float
    cashable_benefit_npv: float
    net_cashable_savings_npv: float
    payback_year: int | None
    """First year from which cumulative (undiscounted) net cashable savings stay >= 0;
    null when the partner pays nothing or never breaks even."""


class PartnerYear(_Row):
    partner: str
    year: int
    contribution: float
    gross_benefit: float
    cashable_benefit: float
    net_cashable_savings: float


class TargetResult(_Row):
    id: str
    partner: str | None
    measure: str
    period: str
    required: float
    """The min where the target has one, otherwise its max."""
    min: float | None
    max: float | None
    achieved: float | None
    """For each_year targets, the value in the year furthest from (or closest to) the bound."""
    year: int | None = None
    """For each_year targets, the year `achieved` is from."""
    met: bool | None


class RedLineResult(_Row):
    id: str
    rule: str
    owner: str
    negotiable: bool
    binding: bool | None
    """Relaxing this red line alone would improve the objective (null: not checked)."""
    relaxed_objective: float | None = None
    """The objective of the best plan found with this red line relaxed alone: its relaxed
    optimum when proved (relaxed_bound the same), else a plan at least this good."""
    relaxed_bound: float | None = None
    """No plan with this red line relaxed alone does better than this (for min_cost: costs
    less); equal to relaxed_objective when that was proved optimal."""


class Meta(_Row):
    engine_version: str
    solver: str
    input_sha256: str
    solve_seconds: float
    build_seconds: float = 0.0
    highs_seconds: float = 0.0
    overrides: list[list[Any]] = Field(default_factory=list)
    solver_options: dict[str, Any] = Field(default_factory=dict)
    timestamp: str = ""
    scenario_name: str = ""
    currency: str = "GBP"
    input_file: str | None = None
    """The scenario file solved (before overrides), when solved from a file."""
    scenario: dict[str, Any] | None = None
    """The scenario as solved (overrides applied), so `pbo audit` can re-solve it."""
    warnings: list[str] = Field(default_factory=list)
    """Things the user should know that did not stop the solve (a ring fence naming a theme no
    intervention has, a fairness stage that stopped early...), in plain words."""
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    """Seconds each stage took: build, load (into HiGHS), objective (stage 1), binding (the
    red-line checks), fairness (stage 2, who pays)."""
    stage_memory_mb: dict[str, float] = Field(default_factory=dict)
    """MB the process held at the end of each stage (its resident set, where the system
    says: Linux): what the scenario, the Pyomo model, HiGHS and each stage's runs hold.
    `build` is read as the solve starts (a re-solve of a loaded model: HiGHS included)."""
    resolves: dict[str, int] = Field(default_factory=dict)
    """How each red line's binding check was decided (binding.DECIDED_BY): implied, lp_bound,
    lp_plan, lp_rounded (no MIP), cut_off_together (one MIP for all the red lines it
    counts), cut_off, found, improved (a MIP re-solve each)."""
    fairness_runs: dict[str, int] = Field(default_factory=dict)
    """The fairness stage's runs over the optimal face: lp, mip, mip_skipped (a search of
    the lumpy choices proved needless by an LP bound) and cut_off (the search MIP proved
    that no plan is fairer by more than 0.01 % of the objective: stage 1's plan stands)."""
    formulation: str = ""
    """The model solved: reduced (funding per eligibility class) or full."""
    model_size: dict[str, int] = Field(default_factory=dict)
    """Rows, cols and nonzeros of the model as loaded into HiGHS."""


class PlanResult(_Row):
    """The result of a solve (SPEC section 4): the plan, who pays, each partner's position,
    targets and red lines, and the manifest to audit it (`pbo solve --out FILE.json`)."""

    status: Status
    """optimal | infeasible | time_limit | unbounded | error."""
    objective_name: str
    objective: float | None
    """The objective's value (discounted); null when there is no plan."""
    mip_gap: float | None
    """HiGHS's relative MIP gap at the end; null when there is no plan."""
    message: str = ""
    """What HiGHS said when it stopped."""
    interventions: list[InterventionResult] = Field(default_factory=list)
    funding: list[FundingRow] = Field(default_factory=list)
    """Each partner's payment towards each intervention in each year (amounts above zero)."""
    partners: list[PartnerResult] = Field(default_factory=list)
    partner_years: list[PartnerYear] = Field(default_factory=list)
    targets: list[TargetResult] = Field(default_factory=list)
    red_lines: list[RedLineResult] = Field(default_factory=list)
    meta: Meta

    @property
    def has_plan(self) -> bool:
        return self.objective is not None

    def relaxation_gain(self, red_line: RedLineResult) -> float | None:
        """What relaxing `red_line` alone gains: the objective gained (for min_cost, the cost
        saved), at least (see relaxation_range); None when it was not checked or there is no
        plan."""
        return self._gain(red_line.relaxed_objective)

    def relaxation_range(self, red_line: RedLineResult) -> tuple[float, float] | None:
        """(at least, at most) what relaxing `red_line` alone gains: the same figure twice
        when its relaxed optimum was proved; None when it was not checked or there is no
        plan."""
        low = self._gain(red_line.relaxed_objective)
        high = self._gain(red_line.relaxed_bound)
        if low is None:
            return None
        return low, low if high is None else max(low, high)

    def _gain(self, relaxed: float | None) -> float | None:
        if relaxed is None or self.objective is None:
            return None
        gain = relaxed - self.objective
        return -gain if self.objective_name == "min_cost" else gain

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy, long-format tables: interventions, funding, partners, partner_years, targets,
        red_lines."""
        import pandas as pd

        def frame(rows: Sequence[_Row], model: type[_Row]) -> pd.DataFrame:
            table = pd.DataFrame([r.model_dump() for r in rows],
                                 columns=list(model.model_fields))
            for column in ("year", "payback_year"):  # years stay whole, blanks allowed
                if column in table:
                    table[column] = table[column].astype("Int64")
            return table

        return {
            "interventions": frame(self.interventions, InterventionResult),
            "funding": frame(self.funding, FundingRow),
            "partners": frame(self.partners, PartnerResult),
            "partner_years": frame(self.partner_years, PartnerYear),
            "targets": frame(self.targets, TargetResult),
            "red_lines": frame(self.red_lines, RedLineResult),
        }

    def to_json(self) -> dict[str, Any]:
        """The result as JSON data (what `pbo solve --out FILE.json` writes); its schema is
        `pbo.result_schema("plan")`."""
        return self.model_dump(mode="json")

    def funding_totals(self) -> dict[str, dict[str, float]]:
        """Who pays what: {intervention: {partner: amount}}, summed over years
        (undiscounted), in the order the funding rows name them; no pandas."""
        totals: dict[str, dict[str, float]] = {}
        for row in self.funding:
            by_partner = totals.setdefault(row.intervention, {})
            by_partner[row.partner] = by_partner.get(row.partner, 0.0) + row.amount
        return totals

    def funding_pivot(self) -> pd.DataFrame:
        """Who pays what: partner x intervention (both sorted), summed over years
        (undiscounted), 0 where a partner pays nothing towards an intervention."""
        import pandas as pd

        totals = self.funding_totals()
        if not totals:
            return pd.DataFrame()
        pivot = pd.DataFrame(totals, dtype=float).fillna(0.0).sort_index().sort_index(axis=1)
        return pivot.rename_axis(index="partner", columns="intervention")
