"""Scenario statements in words, for conflict sets, shortfalls and binding constraints."""

from __future__ import annotations

from pbo.models.scenario import Scenario, Target
from pbo.optimizer.present.tables import money, number

MEASURE_WORDS = {
    "net_cashable_savings": "net cashable savings",
    "net_fiscal_value": "net fiscal value",
    "cashable_benefit": "cashable benefit",
    "gross_fiscal_benefit": "gross fiscal benefit",
    "spend": "spend",
}


def _partner(sc: Scenario, pid: str | None) -> str:
    if pid is None:
        return "the partnership"
    partner = sc.partner.get(pid)
    return partner.label if partner is not None else pid


def _intervention(sc: Scenario, iid: str) -> str:
    iv = sc.intervention.get(iid)
    return iv.label if iv is not None else iid


def target_amount(sc: Scenario, target: Target, value: float | None) -> str:
    return number(value) if target.measure == "outcome" else money(value, sc.currency)


def target_text(sc: Scenario, target: Target) -> str:
    """e.g. 'City council's net cashable savings over the horizon (discounted) at least £5.00m'."""
    if target.measure == "outcome":
        what = f"outcome '{target.outcome}'"
    else:
        what = f"{_partner(sc, target.partner)}'s {MEASURE_WORDS[target.measure]}"
        if target.period == "horizon":
            what += " over the horizon" + (" (discounted)" if target.discounted else "")
        elif target.period == "each_year":
            what += " in every year"
        else:
            what += f" in {target.period}"
    bounds = []
    if target.min is not None:
        bounds.append(f"at least {target_amount(sc, target, target.min)}")
    if target.max is not None:
        bounds.append(f"at most {target_amount(sc, target, target.max)}")
    return f"target {target.id}: {what} {' and '.join(bounds)}"


def red_line_text(sc: Scenario, rule) -> str:
    """The red line's own description (if any), then what its rule says."""
    cur = sc.currency
    p = _partner(sc, getattr(rule, "partner", None)) if hasattr(rule, "partner") else ""
    if rule.rule == "no_pooling":
        says = f"{p} may not pool any budget" + (
            f" from {rule.from_year}" if rule.from_year is not None else "")
    elif rule.rule == "funding_window":
        first = rule.first_year if rule.first_year is not None else sc.horizon[0]
        last = rule.last_year if rule.last_year is not None else sc.horizon[-1]
        says = f"{p} may fund only in {first}–{last}"
    elif rule.rule == "ring_fence":
        says = f"{p} may fund only themes {', '.join(rule.themes)}"
    elif rule.rule == "no_funding":
        says = f"{p} may not fund {', '.join(_intervention(sc, i) for i in rule.interventions)}"
    elif rule.rule == "max_share":
        says = f"{p} may pool at most {rule.share:.0%} of its poolable budget each year"
    elif rule.rule == "no_worse_off":
        says = f"{p} must not be worse off (net cashable savings >= 0, " + (
            "over the horizon)" if rule.period == "horizon" else "in every year)")
    elif rule.rule == "exclude_intervention":
        says = f"{_intervention(sc, rule.intervention)} may not be funded"
    elif rule.rule == "must_fund":
        iv = sc.intervention[rule.intervention]
        least = rule.min_units if rule.min_units is not None else iv.min_units
        says = f"{iv.label} must be funded" + (
            f" (at least {units(least, iv.unit)})" if least > 0 else "")
    else:  # spend_cap
        says = f"total spend at most {money(rule.amount, cur)} " + (
            f"in {rule.year}" if rule.year is not None else "in every year")
    owner = f" ({rule.owner})" if rule.owner else ""
    head = f"red line {rule.id}{owner}: "
    return head + (f"{rule.description} — {says}" if rule.description else says)


def budget_text(sc: Scenario, pid: str, year: int) -> str:
    partner = sc.partner[pid]
    k = year - sc.start_year
    if partner.carry_over:
        total = sum(partner.poolable_budget[: k + 1])
        text = (f"{partner.label}'s poolable budget, running total {sc.start_year}–{year}: "
                f"{money(total, sc.currency)}")
    else:
        text = (f"{partner.label}'s poolable budget in {year}: "
                f"{money(partner.poolable_budget[k], sc.currency)}")
    if partner.reinvest_savings and k > 0:
        text += f", plus {partner.reinvest_savings:.0%} of its realised cashable savings"
    return text


def link_text(sc: Scenario, sid: str) -> str:
    a, verb, b = sid.split(" ")
    if verb == "requires":
        return f"{_intervention(sc, a)} is funded only if {_intervention(sc, b)} is"
    return f"{_intervention(sc, a)} and {_intervention(sc, b)} are never funded together"


def price(x: float) -> str:
    """A shadow price: whole numbers from 1,000 up, four significant figures below."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.4g}"


BINDING_HEAD = "What binds in the optimal plan"


def binding_line(b) -> str:
    """A binding row as a sentence's bullet: its statement and shadow price."""
    return f"  - {b.detail}: {price(b.shadow_price)}"


def units(n: float, unit: str) -> str:
    """'1 family', '2 families', '3 persons' (regular English plurals only)."""
    if abs(n - 1) < 1e-9 or unit.endswith("s"):
        return f"{number(n)} {unit}"
    if unit.endswith("y") and unit[-2:-1] not in tuple("aeiou"):
        return f"{number(n)} {unit[:-1]}ies"
    return f"{number(n)} {unit}s"


def unit_limit_text(sc: Scenario, component: str, iid: str) -> str:
    iv = sc.intervention[iid]
    if component == "unit_max":
        return f"{iv.label} at its most, {units(iv.max_units, iv.unit)}"
    return f"{iv.label} at its least, {units(iv.min_units, iv.unit)}"
