"""Each partner's case: what it pays, what it gains, when it pays back, whose savings its
money buys (docs/FORMULATION.md, "Each partner's statement").

Computed from a plan and its scenario alone (no solve): each year's payments and cashable
benefit, the net and cumulative net position, the payback year, the return per £1 paid, and
the wrong-pocket matrix, where each £ partner p pays towards intervention i (discounted) is
attributed to i's beneficiaries in proportion to their shares of i's discounted adjusted
fiscal benefit (a dis-benefit counts as 0; with no positive benefit, to nobody).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario

NOBODY = "(no partner)"
"""Column of the matrix for money spent on interventions that benefit no partner."""


@dataclass(frozen=True)
class StatementYear:
    year: int
    pays: float
    cashable_benefit: float
    net: float
    cumulative_net: float


@dataclass(frozen=True)
class PartnerStatement:
    id: str
    name: str
    years: tuple[StatementYear, ...]
    pays_npv: float
    cashable_benefit_npv: float
    net_npv: float
    payback_year: int | None
    return_per_pound: float | None
    """Discounted cashable benefit per £1 it pays (discounted); None when it pays nothing."""


@dataclass(frozen=True)
class PartnerCases:
    statements: tuple[PartnerStatement, ...]
    matrix: dict[str, dict[str, float]]
    """payer -> beneficiary -> discounted £ of the payer's money attributed to it."""
    currency: str = "GBP"

    def statement(self, partner: str) -> PartnerStatement:
        for s in self.statements:
            if s.id == partner:
                return s
        raise KeyError(partner)

    def columns(self) -> list[str]:
        seen = [s.id for s in self.statements]
        extra = sorted({q for row in self.matrix.values() for q in row} - set(seen))
        return seen + extra

    def to_json(self, partner: str | None = None) -> dict[str, Any]:
        chosen = [s for s in self.statements if partner is None or s.id == partner]
        return {
            "currency": self.currency,
            "statements": [{
                "id": s.id, "name": s.name, "pays_npv": s.pays_npv,
                "cashable_benefit_npv": s.cashable_benefit_npv, "net_npv": s.net_npv,
                "payback_year": s.payback_year, "return_per_pound": s.return_per_pound,
                "years": [vars(y) for y in s.years]} for s in chosen],
            "wrong_pocket": [{"payer": p, "beneficiary": q, "amount_npv": v}
                             for p, row in self.matrix.items() for q, v in row.items()
                             if partner is None or partner in (p, q)],
        }

    def tables(self, partner: str | None = None) -> dict[str, Any]:
        """Statement (partner-years), Summary (a row per partner), WrongPocket (payer x
        beneficiary)."""
        import pandas as pd

        chosen = [s for s in self.statements if partner is None or s.id == partner]
        years = pd.DataFrame([{"partner": s.id, **vars(y)} for s in chosen for y in s.years])
        summary = pd.DataFrame([{
            "partner": s.id, "name": s.name, "pays_npv": s.pays_npv,
            "cashable_benefit_npv": s.cashable_benefit_npv, "net_npv": s.net_npv,
            "payback_year": s.payback_year, "return_per_pound": s.return_per_pound}
            for s in chosen])
        cols = self.columns()
        matrix = pd.DataFrame([{"payer": p, **{q: self.matrix.get(p, {}).get(q, 0.0)
                                               for q in cols}}
                               for p in [s.id for s in self.statements]])
        return {"Statement": years, "Summary": summary, "WrongPocket": matrix}


def partner_cases(result: PlanResult, scenario: Scenario) -> PartnerCases:
    """Every partner's statement and the wrong-pocket matrix of `result`."""
    disc = scenario.discount
    statements = []
    by_partner: dict[str, list[Any]] = defaultdict(list)
    for row in result.partner_years:
        by_partner[row.partner].append(row)
    for p in result.partners:
        running, years = 0.0, []
        for r in sorted(by_partner[p.id], key=lambda r: r.year):
            running += r.net_cashable_savings
            years.append(StatementYear(year=r.year, pays=r.contribution,
                                       cashable_benefit=r.cashable_benefit,
                                       net=r.net_cashable_savings, cumulative_net=running))
        ret = (p.cashable_benefit_npv / p.contribution_npv if p.contribution_npv > 1e-6
               else None)
        statements.append(PartnerStatement(
            id=p.id, name=p.name, years=tuple(years), pays_npv=p.contribution_npv,
            cashable_benefit_npv=p.cashable_benefit_npv, net_npv=p.net_cashable_savings_npv,
            payback_year=p.payback_year, return_per_pound=ret))
    share: dict[str, dict[str, float]] = {}
    for iv in scenario.interventions:
        value = {q: max(0.0, sum(disc[t] * b for t, b in zip(scenario.horizon, profile,
                                                              strict=True)))
                 for q, profile in iv.benefits.items()}
        total = sum(value.values())
        share[iv.id] = ({q: v / total for q, v in value.items() if v > 0} if total > 0
                        else {NOBODY: 1.0})
    matrix: dict[str, dict[str, float]] = {p.id: defaultdict(float) for p in result.partners}
    for f in result.funding:
        for q, s in share[f.intervention].items():
            matrix[f.partner][q] += disc[f.year] * f.amount * s
    return PartnerCases(statements=tuple(statements),
                        matrix={p: dict(row) for p, row in matrix.items()},
                        currency=scenario.currency)


def partner_view(cases: PartnerCases, partner: str) -> Any:
    """One partner's case for the terminal: its years, its return, whose savings it buys."""
    from rich.console import Group
    from rich.table import Table

    from pbo.optimizer.present.tables import money
    from pbo.optimizer.present.terminal import safe_text

    cur = cases.currency
    s = cases.statement(partner)
    table = Table(title=f"{s.name}: its case, year by year (undiscounted)",
                  title_justify="left")
    for col in ("year", "pays", "cashable benefit", "net", "cumulative net"):
        table.add_column(col, justify="right")
    for y in s.years:
        table.add_row(str(y.year), money(y.pays, cur), money(y.cashable_benefit, cur),
                      money(y.net, cur), money(y.cumulative_net, cur))
    ret = ("it pays nothing" if s.return_per_pound is None else
           f"each £1 it pays returns £{s.return_per_pound:,.2f} of cashable savings")
    payback = (f"it pays back in {s.payback_year}" if s.payback_year else
               "it does not pay back within the horizon" if s.pays_npv > 1e-6 else "")
    said = [f"Over the horizon (discounted) {s.name} pays {money(s.pays_npv, cur)}, gains "
            f"{money(s.cashable_benefit_npv, cur)} in cashable savings and nets "
            f"{money(s.net_npv, cur)}; {ret}" + (f"; {payback}." if payback else ".")]
    said.extend(flows_in_words(cases, partner, lambda v: money(v, cur)))
    return Group(table, safe_text("\n".join(said)))


def flows_in_words(cases: PartnerCases, partner: str, money: Any) -> list[str]:
    """Whose savings the partner's money buys, and who pays towards its savings."""
    names = {x.id: x.name for x in cases.statements}
    said = []
    pays = {q: v for q, v in cases.matrix.get(partner, {}).items() if v > 0.5}
    if pays:
        said.append("Its money buys savings for: " + "; ".join(
            f"{names.get(q, q)} {money(v)}"
            for q, v in sorted(pays.items(), key=lambda kv: -kv[1])) + ".")
    funded = {p: row.get(partner, 0.0) for p, row in cases.matrix.items()
              if p != partner and row.get(partner, 0.0) > 0.5}
    if funded:
        said.append("Others pay towards its savings: " + "; ".join(
            f"{names.get(p, p)} {money(v)}"
            for p, v in sorted(funded.items(), key=lambda kv: -kv[1])) + ".")
    return said
