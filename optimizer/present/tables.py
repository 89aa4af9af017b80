"""Rich tables for the terminal: what a finance director reads after a solve."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from pbo.models.base import currency_symbol
from pbo.models.results import PlanResult
from pbo.optimizer.present.terminal import safe_text


def money(x: float | None, currency: str = "GBP") -> str:
    if x is None:
        return "—"
    sign = "-" if x < -0.005 else ""
    symbol = currency_symbol(currency)
    x = abs(x)
    if x >= 999_500:
        return f"{sign}{symbol}{x / 1e6:,.2f}m"
    if x >= 1e4:
        return f"{sign}{symbol}{x / 1e3:,.0f}k"
    return f"{sign}{symbol}{x:,.0f}"


def number(x: float | None) -> str:
    """A count as people read it: whole when it is whole or in the hundreds (1,246 families,
    not 1,245.65; files keep every digit), else to two places (2.5 services)."""
    if x is None:
        return "—"
    return f"{x:,.0f}" if abs(x - round(x)) < 1e-6 or abs(x) >= 100 else f"{x:,.2f}"


TERMINAL_ROWS = 25
"""Longer lists are cut to the largest this many in the terminal; files (--out) hold all."""


def _more(shown: int, total: int, what: str) -> list:
    if total <= shown:
        return []
    return [Text(f"… and {total - shown} more {what} (largest shown; --out FILE.xlsx or .csv "
                 "lists every one)", style="dim")]


def _interventions(result: PlanResult, cur: str) -> list:
    chosen = Table(title="Interventions funded", title_justify="left")
    for col in ("intervention", "units", "cost (NPV)", "fiscal benefit (NPV)"):
        chosen.add_column(col, justify="left" if col == "intervention" else "right", overflow="fold")
    funded = [r for r in result.interventions if r.selected]
    if len(funded) > TERMINAL_ROWS:
        funded = sorted(funded, key=lambda r: -r.cost_npv)[:TERMINAL_ROWS]
    for r in funded:
        chosen.add_row(r.name, number(r.units), money(r.cost_npv, cur),
                       money(r.benefit_npv, cur))
    parts: list = [chosen]
    parts += _more(len(funded), sum(r.selected for r in result.interventions), "funded")
    left_out = [r.name for r in result.interventions if not r.selected]
    if left_out:
        names = ", ".join(left_out[:TERMINAL_ROWS])
        extra = len(left_out) - TERMINAL_ROWS
        parts.append(safe_text("Not funded: " + names + (f" and {extra} more" if extra > 0 else ""),
                          style="dim"))
    return parts


def money_range(pair: tuple[float | None, float | None] | None, cur: str) -> str:
    """'£18.6k' when both ends agree (or the upper is unknown), else '£18.6k to £22.6k'."""
    if pair is None or pair[0] is None:
        return money(None, cur)
    low, high = pair
    if high is None or money(high, cur) == money(low, cur):
        return money(low, cur)
    return f"{money(low, cur)} to {money(high, cur)}"


def _who_pays(result: PlanResult, cur: str) -> list:
    """Partner x intervention, summed over years (`PlanResult.funding_totals`: no pandas,
    which a solve does not load)."""
    paid = result.funding_totals()
    if not paid:
        return []
    partners = sorted({p for by_partner in paid.values() for p in by_partner})
    rows = sorted(paid)
    total = len(rows)
    if total > TERMINAL_ROWS:
        rows = sorted(rows, key=lambda i: -sum(paid[i].values()))[:TERMINAL_ROWS]
    pays = Table(title="Who pays what (all years, undiscounted)", title_justify="left")
    pays.add_column("intervention", overflow="fold")
    for partner in partners:
        pays.add_column(partner, justify="right", overflow="fold")
    for intervention in rows:
        pays.add_row(intervention, *(money(paid[intervention].get(p, 0.0), cur)
                                     for p in partners))
    return [pays, *_more(len(rows), total, "interventions paid for")]


def _positions(result: PlanResult, cur: str) -> list:
    pos = Table(title="Partner positions (NPV)", title_justify="left")
    for col in ("partner", "pays", "cashable benefit", "net cashable savings", "payback"):
        pos.add_column(col, justify="left" if col == "partner" else "right", overflow="fold")
    for p in result.partners:
        style = "red" if p.net_cashable_savings_npv < -0.5 else ""
        pos.add_row(p.name, money(p.contribution_npv, cur), money(p.cashable_benefit_npv, cur),
                    Text(money(p.net_cashable_savings_npv, cur), style=style),
                    str(p.payback_year or "—"))
    return [pos]


def _targets(result: PlanResult, cur: str) -> list:
    if not result.targets:
        return []
    targets = Table(title="Targets", title_justify="left")
    for col in ("target", "measure", "required", "achieved", "met"):
        targets.add_column(col, justify="left" if col in ("target", "measure") else "right", overflow="fold")
    for t in result.targets:
        fmt = number if t.measure == "outcome" else (lambda v: money(v, cur))
        bound = ("≥ " if t.min is not None else "≤ ") + fmt(t.required)
        met = "—" if t.met is None else ("yes" if t.met else "NO")
        targets.add_row(t.id, t.measure + (f" ({t.partner})" if t.partner else ""), bound,
                        fmt(t.achieved), Text(met, style="green" if t.met else "red"))
    return [targets]


def _red_lines(result: PlanResult, cur: str) -> list:
    binding = [r for r in result.red_lines if r.binding]
    if binding:
        lines = Table(title="Red lines that cost the partnership (pbo sensitivity ranks them)",
                      title_justify="left")
        for col in ("red line", "owner", "cost to the plan", "objective if relaxed alone"):
            lines.add_column(col, justify="left" if col in ("red line", "owner") else "right", overflow="fold")
        for r in sorted(binding, key=lambda r: -(result.relaxation_gain(r) or 0.0)):
            lines.add_row(r.id, r.owner, money_range(result.relaxation_range(r), cur),
                          money_range((r.relaxed_objective, r.relaxed_bound), cur))
        parts: list = [lines]
        if any(r.relaxed_bound != r.relaxed_objective for r in binding):
            parts.append(Text("A range: the checks stop at the first better plan that shows a "
                              "red line binds. pbo sensitivity (or --exact-red-lines) gives "
                              "the exact figure.", style="dim"))
        return parts
    if result.red_lines and result.has_plan and any(r.binding is False for r in result.red_lines):
        return [Text("No red line binds: relaxing any one alone would not improve the plan.",
                     style="dim")]
    return []


def plan_summary(result: PlanResult, explain_command: str | None = None) -> Group:
    """The plan's tables; with no plan, a hint to run `explain_command` (the `pbo explain`
    that keeps the flags given)."""
    cur = result.meta.currency
    head = safe_text(f"{result.meta.scenario_name}: ", style="bold")
    if result.has_plan:
        head.append(f"{result.status}, {result.objective_name.replace('_', ' ')} "
                    f"{money(result.objective, cur)} (discounted)")
        if result.status == "time_limit" and result.mip_gap is not None:
            pct = 100 * result.mip_gap
            head.append(f": the best plan found in time; the best possible may be up to "
                        f"{f'{pct:,.1f}' if pct >= 0.1 else f'{pct:.2g}'}% better (the MIP "
                        "gap)", style="yellow")
    else:
        head.append(f"{result.status} — no plan", style="bold red")
    parts: list = [head]
    if result.has_plan:
        parts += _interventions(result, cur) + _who_pays(result, cur) + _positions(result, cur)
    parts += _targets(result, cur) + _red_lines(result, cur)
    if result.status == "infeasible":
        run = f"`{explain_command}`" if explain_command else "`pbo explain` on this scenario"
        parts.append(Text(f"The targets and red lines cannot all hold. Run {run} to see why and "
                          "the nearest plan that works.", style="yellow"))
    return Group(*parts)


def print_plan(result: PlanResult, console: Console, explain_command: str | None = None) -> None:
    print_warnings(result.meta.warnings, console)
    console.print(plan_summary(result, explain_command))


def print_warnings(warnings: list[str], console: Console) -> None:
    """The warnings channel: each printed, never stopping anything (also kept in meta)."""
    for warning in warnings:
        console.print(Text("warning: ", style="bold yellow") + safe_text(warning))


def sweep_table(result) -> Table:
    table = Table(title=f"Sweep ({result.rebuilds} rebuilds, {result.seconds:.1f}s)",
                  title_justify="left")
    frame = result.table()
    paths = [p.path for p in result.params]
    for col in (*paths, "status", "objective", "change per unit", "interventions"):
        table.add_column(col, justify="left" if col in ("status", "interventions") else "right", overflow="fold")
    for _, row in frame.iterrows():
        change = row.get("objective_change_per_unit")
        table.add_row(*(number(row[p]) for p in paths), row["status"],
                      money(row["objective"]) if row["objective"] == row["objective"] else "—",
                      f"{change:,.3f}" if change == change and change is not None else "",
                      row["interventions"])
    return table


def comparison_view(comparison) -> Group:
    parts: list = []
    change = comparison.objective_change
    head = Text("Objective: ", style="bold")
    head.append(f"{money(comparison.first.objective)} → {money(comparison.second.objective)}")
    if change is not None:
        head.append(f" ({'+' if change >= 0 else ''}{money(change)})")
    parts.append(head)
    inputs = Table(title="What changed in the inputs", title_justify="left")
    for col in ("input", "first", "second"):
        inputs.add_column(col, overflow="fold")
    for row in comparison.input_changes:
        inputs.add_row(row["path"], *(str(row[side]) if row.get(f"in_{side}", True) else
                                      f"not in {side}" for side in ("first", "second")))
    parts.append(inputs if comparison.input_changes else Text("The inputs are the same."))
    moved = Table(title="Interventions", title_justify="left")
    for col in ("intervention", "first", "second", "change"):
        moved.add_column(col, justify="right" if col in ("first", "second") else "left", overflow="fold")
    for _, r in comparison.interventions().iterrows():
        if r["change"] != "same":
            moved.add_row(r["intervention"], number(r["units_first"]), number(r["units_second"]),
                          r["change"])
    parts.append(moved if moved.row_count else
                 Text("Interventions: the same interventions at the same scale in both."))
    pos = Table(title="Partners (NPV)", title_justify="left")
    for col in ("partner", "pays (first)", "pays (second)", "net (first)", "net (second)"):
        pos.add_column(col, justify="left" if col == "partner" else "right", overflow="fold")

    def cell(value, side: str) -> str:  # a partner one scenario does not have: absent, not £nan
        return f"not in {side}" if value is None or value != value else money(value)

    for _, r in comparison.partners().iterrows():
        pos.add_row(r["partner"], cell(r["contribution_first"], "first"),
                    cell(r["contribution_second"], "second"),
                    cell(r["net_savings_first"], "first"), cell(r["net_savings_second"], "second"))
    parts.append(pos)
    return Group(*parts)


def audit_table(report) -> Table:
    table = Table(title="Audit", title_justify="left")
    for col in ("check", "result", "detail"):
        table.add_column(col, overflow="fold")
    for name, ok, detail in report.checks:
        said = {True: ("pass", "green"), False: ("FAIL", "red"), None: ("skipped", "yellow")}
        table.add_row(name, Text(*said[ok]), detail)
    return table


def alternatives_table(found, currency: str = "GBP") -> Group:
    """The best plan and each alternative: its objective, how far below the best, and what
    distinguishes it."""
    head = safe_text(found.message[:1].upper() + found.message[1:] + ".", style="bold")
    if not found.best.has_plan:
        return Group(head)
    table = Table(title_justify="left")
    table.add_column("plan", justify="right")
    table.add_column("objective", justify="right")
    table.add_column("below best", justify="right")
    table.add_column("what distinguishes it", overflow="fold")
    table.add_row("best", money(found.best.objective, currency), "—",
                  ", ".join(r.name for r in found.best.interventions if r.selected))
    for k, alt in enumerate(found.alternatives, start=1):
        table.add_row(str(k), money(alt.result.objective, currency),
                      money(abs(found.best.objective - (alt.result.objective or 0.0)),
                            currency), alt.label)
    return Group(head, table)
