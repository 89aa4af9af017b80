"""Every reported figure of a plan by name, and the figures in which two plans differ.

One comparison serves the check after every solve (the figures against those recomputed from
the plan's own decisions) and `pbo audit` (a result against its recomputation and against a
re-solve), so each names a figure the same way: 'targets[council_savings].achieved'.
"""

from __future__ import annotations

import math
from typing import Any

from pbo.models.base import currency_symbol
from pbo.models.results import PlanResult

RELATIVE = 1e-6
"""Two figures agree when they differ by at most this share of the larger (or of 1) ..."""
OF_PLAN = 1e-9
"""... plus this share of the plan's largest money figure (round-off in its sums)."""

KEYS: dict[str, tuple[str, ...]] = {
    "interventions": ("id",),
    "funding": ("partner", "intervention", "year"),
    "partners": ("id",),
    "partner_years": ("partner", "year"),
    "targets": ("id",),
    "red_lines": ("id",),
}
"""Each table of a result and the fields that name its rows."""
MONEY = {"objective", "cost_npv", "benefit_npv", "cashable_benefit_npv", "amount",
         "contribution_npv", "gross_benefit_npv", "net_cashable_savings_npv", "contribution",
         "gross_benefit", "cashable_benefit", "net_cashable_savings", "required", "min", "max",
         "achieved", "relaxed_objective", "relaxed_bound"}
"""Fields shown as money (a target's bounds only when it measures money)."""
DECISIONS = ("interventions", "funding")
ABSENT = object()


def figures(result: PlanResult) -> tuple[dict[str, Any], list[str]]:
    """{name: value} of every reported figure, and the rows named twice (a table can hold a
    row only once: 'funding[council,hub,2015]' given twice is itself a problem)."""
    out: dict[str, Any] = {"status": result.status, "objective_name": result.objective_name,
                           "objective": result.objective, "mip_gap": result.mip_gap}
    twice = []
    for section, key in KEYS.items():
        seen: set[str] = set()
        for row in getattr(result, section):
            name = f"{section}[{','.join(str(getattr(row, f)) for f in key)}]"
            if name in seen:
                twice.append(f"{name}: appears more than once")
            seen.add(name)
            for field, value in row.__dict__.items():  # flat rows: model_dump's values
                if field not in key:
                    out[f"{name}.{field}"] = value
    return out, twice


def plan_scale(values: dict[str, Any]) -> float:
    """The largest money figure of a plan (what round-off in its sums is relative to)."""
    money = [abs(v) for k, v in values.items() if k.rsplit(".", 1)[-1] in MONEY
             and isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    return max(money, default=0.0)


def tolerance(a: float, b: float, scale: float) -> float:
    """How far two figures may differ and still agree."""
    return RELATIVE * max(1.0, abs(a), abs(b)) + OF_PLAN * scale


def agree(a: Any, b: Any, scale: float) -> bool:
    number = (int, float)
    if isinstance(a, bool) or isinstance(b, bool) or not (
            isinstance(a, number) and isinstance(b, number)):
        return a == b and type(a) is type(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        return a == b  # inf only agrees with itself; nan with nothing
    return abs(a - b) <= tolerance(a, b, scale)


def show(value: Any, money: bool, currency: str = "GBP", precise: bool = False) -> str:
    """A figure as a reader takes it in: £2.10m, 1,500, yes/no, 2016, none."""
    if value is ABSENT:
        return "no such row"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if money:
        symbol = currency_symbol(currency)
        sign = "-" if value < 0 else ""
        x = abs(value)
        if precise:
            return f"{sign}{symbol}{x:,.6f}".rstrip("0").rstrip(".")
        if x >= 999_500:
            return f"{sign}{symbol}{x / 1e6:,.2f}m"
        return f"{sign}{symbol}{x:,.2f}"
    return f"{value:.12g}" if precise else f"{value:,.6g}"


def shown_apart(a: Any, b: Any, money: bool, currency: str = "GBP") -> tuple[str, str]:
    """Two figures that do not agree, as `show` gives them, with every digit where the two
    would read the same (£527,039.81 against £527,039.81 is no finding)."""
    text = (show(a, money, currency), show(b, money, currency))
    if text[0] == text[1]:
        text = (show(a, money, currency, precise=True), show(b, money, currency, precise=True))
    return text


def differences(result: PlanResult, other: PlanResult, how: str,
                only: tuple[str, ...] | None = None, said: str = "recorded") -> list[str]:
    """'NAME: SAID X, HOW Y' for each figure of `result` that `other` does not agree
    with (a funding row only one of them has is compared with 0). `only`: just the figures
    whose names start with one of these."""
    mine, twice = figures(result)
    theirs, _ = figures(other)
    if only is not None:
        mine = {k: v for k, v in mine.items() if k.startswith(only)}
        theirs = {k: v for k, v in theirs.items() if k.startswith(only)}
    scale = max(plan_scale(mine), plan_scale(theirs))
    currency = result.meta.currency
    problems = list(twice)
    counts = tuple(f"targets[{t.id}]." for t in (*result.targets, *other.targets)
                   if t.measure == "outcome")
    for name in [*mine, *(k for k in theirs if k not in mine)]:
        a, b = mine.get(name, ABSENT), theirs.get(name, ABSENT)
        if a == b and type(a) is type(b):  # most figures: the same number
            continue
        if name.startswith("funding["):
            a, b = (0.0 if v is ABSENT else v for v in (a, b))
        if agree(a, b, scale):
            continue
        money = name.rsplit(".", 1)[-1] in MONEY and not name.startswith(counts)
        text = shown_apart(a, b, money, currency)
        problems.append(f"{name}: {said} {text[0]}, {how} {text[1]}")
    return problems
