"""The Excel scenario workbook's layout: one place that names every sheet and column.

The reader, the writer and the template all work from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from pbo.models.scenario import OBJECTIVES, RED_LINE_RULES


@dataclass(frozen=True)
class Column:
    name: str
    note: str
    choices: tuple[str, ...] | None = None
    """A drop-down of these values."""
    ids_from: str | None = None
    """A drop-down of the ids listed in this sheet's first column."""
    number: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    note: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _c(name: str, note: str, **kw) -> Column:
    return Column(name, note, **kw)


MEASURES = ("net_cashable_savings", "net_fiscal_value", "cashable_benefit",
            "gross_fiscal_benefit", "spend", "outcome")
YES_NO = ("TRUE", "FALSE")

SHEETS: tuple[Sheet, ...] = (
    Sheet("Scenario", "One row per setting: field, value.", (
        _c("field", "name, currency, start_year, years, discount_rate, objective, cost_sharing"),
        _c("value", "The setting's value."),
    )),
    Sheet("Partners", "One row per partner.", (
        _c("id", "How every other sheet refers to this partner."),
        _c("name", "Display name."),
        _c("carry_over", "TRUE: unspent pool money may be used in later years.", choices=YES_NO),
        _c("reinvest_savings", "Share (0-1) of realised cashable savings added to later "
           "budgets.", number=True),
    )),
    Sheet("Budgets", "One row per partner and year: the most it may put into the pool.", (
        _c("partner", "A partner id.", ids_from="Partners"),
        _c("year", "A horizon year.", number=True),
        _c("poolable_budget", "Money.", number=True),
    )),
    Sheet("Interventions", "One row per intervention; costs and benefits are on their own "
          "sheets.", (
        _c("id", "How every other sheet refers to this intervention."),
        _c("name", "Display name."),
        _c("theme", "Theme, used by ring_fence red lines."),
        _c("unit", "What one unit is (family, place, person)."),
        _c("min_units", "If funded, at least this many units.", number=True),
        _c("max_units", "At most this many units.", number=True),
        _c("integer_units", "TRUE: whole units only.", choices=YES_NO),
        _c("cashable", "Share (0-1) of fiscal benefit that is cashable, or per partner: "
           "'council=0.4; police=0.6'."),
        _c("optimism_bias", "Share by which benefits are reduced.", number=True),
        _c("deadweight", "Share that would have happened anyway.", number=True),
        _c("attribution", "Share attributable to the intervention.", number=True),
        _c("funders", "Partner ids who may fund it, comma-separated (blank: every partner; "
           "'none': nobody)."),
        _c("requires", "Intervention ids it requires, comma-separated."),
        _c("excludes", "Intervention ids it excludes, comma-separated."),
    )),
    Sheet("Costs", "One row per intervention and year (blank cells are 0).", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("year", "A horizon year.", number=True),
        _c("fixed_cost", "Paid that year if the intervention is funded.", number=True),
        _c("unit_cost", "Per unit that year.", number=True),
        _c("economic_value", "Value to the wider economy per unit.", number=True),
        _c("social_value", "Social value per unit.", number=True),
    )),
    Sheet("Benefits", "One row per intervention, partner and year: gross fiscal benefit per "
          "unit.", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("partner", "The partner whose budget benefits.", ids_from="Partners"),
        _c("year", "A horizon year.", number=True),
        _c("benefit", "Gross fiscal benefit per unit.", number=True),
    )),
    Sheet("Outcomes", "One row per intervention and outcome: outcome per unit.", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("outcome", "Outcome name, e.g. families_turned_around."),
        _c("per_unit", "Outcome per unit.", number=True),
    )),
    Sheet("Targets", "One row per target.", (
        _c("id", "Target id."),
        _c("partner", "A partner id; blank for the whole partnership.", ids_from="Partners"),
        _c("measure", "What is measured.", choices=MEASURES),
        _c("outcome", "With measure outcome: the outcome's name."),
        _c("min", "Lower bound.", number=True),
        _c("max", "Upper bound.", number=True),
        _c("period", "horizon, each_year, or a year."),
        _c("discounted", "For horizon targets (default TRUE).", choices=YES_NO),
    )),
    Sheet("RedLines", "One row per red line; fill the columns its rule uses.", (
        _c("id", "Red line id."),
        _c("rule", "The rule.", choices=RED_LINE_RULES),
        _c("description", "What Whitehall will not relax."),
        _c("owner", "The owning department."),
        _c("negotiable", "FALSE: sensitivity never relaxes it (default TRUE).", choices=YES_NO),
        _c("partner", "no_pooling, funding_window, ring_fence, no_funding, max_share, "
           "no_worse_off.", ids_from="Partners"),
        _c("intervention", "exclude_intervention, must_fund.", ids_from="Interventions"),
        _c("interventions", "no_funding: intervention ids, comma-separated."),
        _c("themes", "ring_fence: themes, comma-separated."),
        _c("from_year", "no_pooling.", number=True),
        _c("first_year", "funding_window.", number=True),
        _c("last_year", "funding_window.", number=True),
        _c("share", "max_share.", number=True),
        _c("period", "no_worse_off: horizon or each_year.", choices=("horizon", "each_year")),
        _c("min_units", "must_fund.", number=True),
        _c("amount", "spend_cap.", number=True),
        _c("year", "spend_cap (blank: every year).", number=True),
    )),
    Sheet("CostShares", "With cost_sharing fixed: one row per intervention and partner.", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("partner", "A partner id.", ids_from="Partners"),
        _c("share", "Share of the intervention's cost (each intervention's sum to 1).",
           number=True),
    )),
    Sheet("Scenarios", "Named what-if overrides: one row per change.", (
        _c("scenario", "Scenario name (pbo solve --scenario NAME)."),
        _c("path", "What to change, e.g. interventions.troubled_families.unit_cost."),
        _c("value", "The new value."),
    )),
)
SHEET = {s.name: s for s in SHEETS}
SETTINGS = ("name", "currency", "start_year", "years", "discount_rate", "objective",
            "cost_sharing")
SETTING_CHOICES = {"objective": OBJECTIVES, "cost_sharing": ("optimise", "benefit_share",
                                                              "fixed", "core")}
LIST_FIELDS = ("funders", "requires", "excludes", "interventions", "themes")
RED_LINE_FIELDS = tuple(c.name for c in SHEET["RedLines"].columns)
