"""Rich tables for the terminal: what a finance director reads after a solve."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from models.results import PlanResult


def money(x: float | None, currency: str = "GBP") -> str:
    if x is None:
        return "—"
    sign = "-" if x < -0.005 else ""
    symbol = {"GBP": "£", "EUR": "€", "USD": "$"}.get(currency, "")
    x = abs(x)
    if x >= 1e6:
        return f"{sign}{symbol}{x / 1e6:,.2f}m"
    if x >= 1e4:
        return f"{sign}{symbol}{x / 1e3:,.0f}k"
    return f"{sign}{symbol}{x:,.0f}"


def number(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 else f"{x:,.2f}"


def plan_summary(result: PlanResult) -> Group:
    cur = result.meta.currency
    parts: list = []
    head = Text(f"{result.meta.scenario_name}: ", style="bold")
    if result.has_plan:
        head.append(f"{result.status}, {result.objective_name.replace('_', ' ')} "
                    f"{money(result.objective, cur)} (discounted)")
    else:
        head.append(f"{result.status} — no plan", style="bold red")
    parts.append(head)
    if result.has_plan:
        chosen = Table(title="Interventions funded", title_justify="left")
        for col in ("intervention", "units", "cost (NPV)", "fiscal benefit (NPV)"):
            chosen.add_column(col, justify="left" if col == "intervention" else "right")
        for r in result.interventions:
            if r.selected:
                chosen.add_row(r.name, number(r.units), money(r.cost_npv, cur),
                               money(r.benefit_npv, cur))
        left_out = [r.name for r in result.interventions if not r.selected]
        parts.append(chosen)
        if left_out:
            parts.append(Text("Not funded: " + ", ".join(left_out), style="dim"))
        pivot = result.funding_pivot()
        if not pivot.empty:
            pivot = pivot.T
            pays = Table(title="Who pays what (all years, undiscounted)", title_justify="left")
            pays.add_column("intervention")
            for col in pivot.columns:
                pays.add_column(str(col), justify="right")
            for intervention, row in pivot.iterrows():
                pays.add_row(str(intervention), *(money(v, cur) for v in row))
            parts.append(pays)
        pos = Table(title="Partner positions (NPV)", title_justify="left")
        for col in ("partner", "pays", "cashable benefit", "net cashable savings", "payback"):
            pos.add_column(col, justify="left" if col == "partner" else "right")
        for p in result.partners:
            style = "red" if p.net_cashable_savings_npv < -0.5 else None
            pos.add_row(p.name, money(p.contribution_npv, cur), money(p.cashable_benefit_npv, cur),
                        Text(money(p.net_cashable_savings_npv, cur), style=style or ""),
                        str(p.payback_year or "—"))
        parts.append(pos)
    if result.targets:
        targets = Table(title="Targets", title_justify="left")
        for col in ("target", "measure", "required", "achieved", "met"):
            targets.add_column(col, justify="left" if col in ("target", "measure") else "right")
        for t in result.targets:
            fmt = number if t.measure == "outcome" else (lambda v: money(v, cur))
            bound = ("≥ " if t.min is not None else "≤ ") + fmt(t.required)
            met = "—" if t.met is None else ("yes" if t.met else "NO")
            targets.add_row(t.id, t.measure + (f" ({t.partner})" if t.partner else ""), bound,
                            fmt(t.achieved), Text(met, style="green" if t.met else "red"))
        parts.append(targets)
    binding = [r for r in result.red_lines if r.binding]
    if binding:
        lines = Table(title="Red lines that cost the partnership", title_justify="left")
        for col in ("red line", "owner", "objective if relaxed alone"):
            lines.add_column(col)
        for r in binding:
            lines.add_row(r.id, r.owner, money(r.relaxed_objective, cur))
        parts.append(lines)
    elif result.red_lines and result.has_plan:
        parts.append(Text("No red line binds: relaxing any one alone would not improve the plan.",
                          style="dim"))
    if result.status == "infeasible":
        parts.append(Text("The targets and red lines cannot all hold. Run `pbo explain` on this "
                          "scenario to see why and the nearest plan that works.", style="yellow"))
    return Group(*parts)


def print_plan(result: PlanResult, console: Console) -> None:
    console.print(plan_summary(result))
