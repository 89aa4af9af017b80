"""The Excel scenario workbook's layout: one place that names every sheet and column, and
which sheets a scenario workbook must have.

The reader, the writer and the template all work from this table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pbo.models.checks import did_you_mean
from pbo.models.errors import InputError
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
    text: bool = False
    """Free text, read exactly as typed (leading and trailing spaces kept); other cells are
    read with surrounding spaces trimmed."""


@dataclass(frozen=True)
class Sheet:
    name: str
    note: str
    columns: tuple[Column, ...]
    required: bool = False
    """Must be in every scenario workbook: without it every budget, cost or benefit would be
    0 without a word. A sheet that is not required may be left out, meaning it has no rows."""

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
        _c("value", "The setting's value.", text=True),
    ), required=True),
    Sheet("Partners", "One row per partner.", (
        _c("id", "How every other sheet refers to this partner."),
        _c("name", "Display name.", text=True),
        _c("carry_over", "TRUE: unspent pool money may be used in later years.", choices=YES_NO),
        _c("reinvest_savings", "Share (0-1) of realised cashable savings added to later "
           "budgets.", number=True),
    ), required=True),
    Sheet("Budgets", "One row per partner and year: the most it may put into the pool.", (
        _c("partner", "A partner id.", ids_from="Partners"),
        _c("year", "A horizon year.", number=True),
        _c("poolable_budget", "Money.", number=True),
    ), required=True),
    Sheet("Interventions", "One row per intervention; costs and benefits are on their own "
          "sheets.", (
        _c("id", "How every other sheet refers to this intervention."),
        _c("name", "Display name.", text=True),
        _c("theme", "Theme, used by ring_fence red lines.", text=True),
        _c("unit", "What one unit is (family, place, person).", text=True),
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
    ), required=True),
    Sheet("Costs", "One row per intervention and year (blank cells are 0).", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("year", "A horizon year.", number=True),
        _c("fixed_cost", "Paid that year if the intervention is funded.", number=True),
        _c("unit_cost", "Per unit that year.", number=True),
        _c("economic_value", "Value to the wider economy per unit.", number=True),
        _c("social_value", "Social value per unit.", number=True),
    ), required=True),
    Sheet("Benefits", "One row per intervention, partner and year: gross fiscal benefit per "
          "unit.", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("partner", "The partner whose budget benefits.", ids_from="Partners"),
        _c("year", "A horizon year.", number=True),
        _c("benefit", "Gross fiscal benefit per unit.", number=True),
    ), required=True),
    Sheet("Outcomes", "One row per intervention and outcome: outcome per unit.", (
        _c("intervention", "An intervention id.", ids_from="Interventions"),
        _c("outcome", "Outcome name, e.g. families_turned_around.", text=True),
        _c("per_unit", "Outcome per unit.", number=True),
    )),
    Sheet("Targets", "One row per target.", (
        _c("id", "Target id."),
        _c("partner", "A partner id; blank for the whole partnership.", ids_from="Partners"),
        _c("measure", "What is measured.", choices=MEASURES),
        _c("outcome", "With measure outcome: the outcome's name.", text=True),
        _c("min", "Lower bound.", number=True),
        _c("max", "Upper bound.", number=True),
        _c("period", "horizon, each_year, or a year."),
        _c("discounted", "For horizon targets (default TRUE).", choices=YES_NO),
    )),
    Sheet("RedLines", "One row per red line; fill the columns its rule uses.", (
        _c("id", "Red line id."),
        _c("rule", "The rule.", choices=RED_LINE_RULES),
        _c("description", "What Whitehall will not relax.", text=True),
        _c("owner", "The owning department.", text=True),
        _c("negotiable", "FALSE: sensitivity never relaxes it (default TRUE).", choices=YES_NO),
        _c("active", "FALSE: lifted for a what-if; it constrains nothing (default TRUE).",
           choices=YES_NO),
        _c("partner", "no_pooling, funding_window, ring_fence, no_funding, max_share, "
           "no_worse_off.", ids_from="Partners"),
        _c("intervention", "exclude_intervention, must_fund.", ids_from="Interventions"),
        _c("interventions", "no_funding: intervention ids, comma-separated."),
        _c("themes", "ring_fence: themes, comma-separated.", text=True),
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
TEXT_SETTINGS = ("name", "currency")
"""Settings read exactly as typed; the others' values are trimmed."""
SETTING_CHOICES = {"objective": OBJECTIVES, "cost_sharing": ("optimise", "benefit_share",
                                                              "fixed", "core")}
LIST_FIELDS = ("funders", "requires", "excludes", "interventions", "themes")
RESULT_SHEETS = ("Summary", "Manifest")
"""Sheets of pbo's results workbook (pbo solve --out x.xlsx), which is not a scenario."""
RED_LINE_FIELDS = tuple(c.name for c in SHEET["RedLines"].columns)


def check_sheets(path: Path, names: list[str], charts: Iterable[str] = ()) -> None:
    """The workbook is a scenario workbook: each sheet is a scenario sheet, and every required
    one is there; a workbook that is something else gets one sentence."""
    known = [n for n in names if n in SHEET]
    if "Scenario" not in names and 2 * len(known) <= len(names):
        if all(n in names for n in RESULT_SHEETS):
            raise InputError(f"{path}: a pbo results workbook (written by pbo solve --out), "
                             "not a scenario; give pbo the scenario it was solved from (its "
                             "Manifest sheet names the input file)")
        raise InputError(f"{path}: not a pbo scenario workbook (its sheets are "
                         f"{_listed(names)}, and a scenario workbook's are {_listed(SHEET)}); "
                         "pbo template FILE.xlsx writes an empty one to fill in")
    problems: list[str] = []
    absent = [s.name for s in SHEETS if s.name not in names]
    suggested: set[str] = set()
    for k, name in enumerate(names):
        if name in names[:k]:
            problems.append(f"sheet {name}: appears twice in the workbook; keep one")
        elif name in SHEET and name in charts:
            problems.append(f"sheet {name}: a chart sheet, not a sheet of cells")
        elif name not in SHEET:
            hint = did_you_mean(name, absent)
            suggested.add(hint.removeprefix(" — did you mean '").removesuffix("'?"))
            problems.append(f"sheet '{name}': not a scenario sheet" + (
                hint or f" (a scenario workbook's sheets are {_listed(SHEET)})"))
    problems += [f"no sheet {s.name}: every scenario workbook has one, even with no rows "
                 "(pbo template FILE.xlsx writes every sheet)"
                 for s in SHEETS if s.required and s.name in absent and s.name not in suggested]
    if problems:
        raise InputError(problems)


def _listed(names: Iterable[str]) -> str:
    return ", ".join(str(n) for n in names) or "none"
