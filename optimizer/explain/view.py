"""Rich views of an explanation: plain-English sentences, then tables."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pbo.optimizer.explain.text import BINDING_HEAD, MEASURE_WORDS, binding_line, price, units
from pbo.optimizer.explain.types import Explanation, InterventionExplanation
from pbo.optimizer.present.tables import money, number, plan_summary
from pbo.optimizer.present.terminal import safe_text


def _sentences(lines: list[str]) -> list[Text]:
    return [safe_text(line, style="" if line.startswith("  ") else "bold") for line in lines]


def explanation_view(e: Explanation) -> Group:
    """Sentences, the conflict set, shortfalls, unblock options and the nearest plan."""
    cur = e.currency
    if e.status != "infeasible":
        style = "green" if e.status == "feasible" else "yellow"
        return Group(safe_text(e.message, style=style))
    parts: list = _sentences(e.sentences)
    conflicts = Table(title=f"Conflict set ({e.conflict_method})", title_justify="left")
    for col in ("kind", "id", "year", "what it says"):
        conflicts.add_column(col, overflow="fold")
    for c in e.conflicts:
        conflicts.add_row(c.kind, c.id, str(c.year or ""), c.detail)
    parts.append(conflicts)
    if e.shortfalls:
        short = Table(title="What the nearest feasible plan gives up", title_justify="left")
        alone = any(s.best_alone is not None for s in e.shortfalls)
        numbers = ("required", "achievable", *(("best on its own",) if alone else ()))
        for col in ("kind", "id", "period", *numbers):
            short.add_column(col, justify="right" if col in numbers else "left", overflow="fold")
        for s in e.shortfalls:
            fmt = (lambda v: money(v, cur)) if s.money else number
            best = [fmt(s.best_alone) if s.best_alone is not None else ""] if alone else []
            short.add_row(s.kind, s.id, s.period, fmt(s.required), fmt(s.achievable), *best)
        parts.append(short)
    if e.unblock:
        unblock = Table(title="Cheapest unblock: negotiable red lines to relax",
                        title_justify="left")
        unblock.add_column("red lines", overflow="fold")
        unblock.add_column("objective", justify="right", overflow="fold")
        for u in e.unblock:
            unblock.add_row(", ".join(u.red_lines), money(u.objective, cur))
        parts.append(unblock)
    if e.nearest_plan is not None:
        parts.append(Text("The nearest feasible plan:", style="bold"))
        parts.append(plan_summary(e.nearest_plan))
    weights = ", ".join(f"{k} {v:g}" for k, v in e.weights.items())
    parts.append(Text(f"Violation prices (per £ of shortfall or breach): {weights}.",
                      style="dim"))
    return Group(*parts)


def intervention_view(x: InterventionExplanation) -> Group:
    """The sentences, then tables: forced in/out, and what binds (listed once, in the table)."""
    cur = x.currency
    listed = {binding_line(b) for b in x.binding}
    parts: list = _sentences([s for s in x.sentences
                              if s not in listed and not s.startswith(BINDING_HEAD)])
    if x.objective is None:
        return Group(*parts)
    what = MEASURE_WORDS.get(x.objective_name, x.objective_name.replace("_", " "))
    options = Table(title=f"{x.intervention}: forced in or out", title_justify="left")
    for col in ("plan", "status", what):
        options.add_column(col, justify="right" if col == what else "left", overflow="fold")
    options.add_row("optimal", x.status, money(x.objective, cur))
    options.add_row(f"forced in ({units(x.forced_in_units, 'unit')})", x.forced_in_status or "—",
                    money(x.forced_in_objective, cur))
    options.add_row("forced out", x.forced_out_status or "—", money(x.forced_out_objective, cur))
    parts.append(options)
    if x.binding:
        binding = Table(title=f"{BINDING_HEAD} (shadow price: the objective gained per £, or "
                        "per unit, the limit is relaxed)", title_justify="left")
        for col in ("kind", "id", "year", "shadow price", "what it says"):
            binding.add_column(col, justify="right" if col == "shadow price" else "left", overflow="fold")
        for b in x.binding:
            binding.add_row(b.kind, b.id, str(b.year or ""), price(b.shadow_price), b.detail)
        parts.append(binding)
    return Group(*parts)
