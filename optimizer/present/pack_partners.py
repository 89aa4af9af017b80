"""The decision pack's partner sections: which red lines to fight for and who gains, fair
shares, and each partner's case (its years, its cumulative cash position, whose savings its
money buys)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from pbo.models.scenario import Scenario
from pbo.optimizer.analyses.partner_case import flows_in_words
from pbo.optimizer.present.charts import bar_chart_svg, heat_map_svg, line_chart_svg

Fmt = Callable[[float], str]


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(head: list[str], rows: list[list[object]], text: tuple[int, ...] = ()) -> str:
    """A table; the columns numbered in `text` hold words and are aligned left."""
    left = " style='text-align:left'"
    out = ["<table><tr>", *(f"<th{left if k in text else ''}>{_e(h)}</th>"
                            for k, h in enumerate(head)), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td{left if k in text else ''}>{_e(c)}</td>"
                                    for k, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def red_line_label(rule: Any) -> str:
    text = getattr(rule, "description", "") or rule.id
    owner = getattr(rule, "owner", "")
    return f"{text} ({owner})" if owner else text


def red_line_section(sens: Any, fmt: Fmt) -> list[str]:
    """Headline, then each red line: what it costs and what relaxing it means per partner."""
    rows = [r for r in sens.red_lines if r.value is not None or r.status == "unblocks"]
    if not rows:
        return []
    valued = [r for r in rows if r.value is not None]
    return [
        "<section id='red-lines'><h2>Which red lines to fight for</h2>",
        f"<p class='lead'>{_e(sens.headline)}</p>",
        bar_chart_svg([red_line_label(r) for r in valued], [float(r.value) for r in valued],
                      "Value of relaxing each red line", fmt),
        _table(["red line", "owner", "id", "value (NPV)", "a year", "for the partners"],
               [[r.description or r.id, r.owner or "—", r.id,
                 "unblocks the plan" if r.status == "unblocks" else fmt(r.value),
                 "—" if r.value is None else fmt(r.value / (sens.annuity or 1.0)),
                 r.partners_words or "—"] for r in rows], text=(0, 1, 2, 5)),
        "<p class='small'>Value: what the partnership's objective gains if the red line alone "
        "is relaxed. 'For the partners': each partner's discounted net cashable savings "
        "against today's, with the cost-sharing rule re-applied, and whether a different "
        "split of who pays could leave every partner better off.</p></section>"]


def shares_section(shares: Any, fmt: Fmt) -> list[str]:
    """Each partner alone, its Shapley value, its least-core payoff and its actual position."""
    body = ["<section id='shares'><h2>What each partner brings to the pool</h2>",
            f"<p>Pooling everything, the partnership can reach {fmt(shares.grand_value)} of "
            "discounted net cashable savings. Alone: what a partner could reach pooling only "
            "its own budget. Shapley: the average of what it adds to each group it joins. "
            "Least core: a split no group could beat on its own by more than the smallest "
            "possible margin.</p>",
            _table(["partner", "alone", "Shapley", "least core", "in the plan"],
                   [[p.name, fmt(p.standalone),
                     "—" if p.shapley is None else fmt(p.shapley),
                     "—" if p.core is None else fmt(p.core),
                     "—" if p.actual is None else fmt(p.actual)] for p in shares.partners])]
    if shares.epsilon is not None:
        group = ", ".join(shares.most_violated) or "none"
        body.append(f"<p>Under the least-core split the group nearest walking away ({_e(group)}) "
                    + (f"gets {fmt(shares.epsilon)} less than it could reach alone; no split "
                       "does better.</p>" if shares.epsilon > 0.5 else
                       f"still gets {fmt(max(0.0, -shares.epsilon))} more than alone.</p>"))
    return [*body, "</section>"]


def partner_sections(cases: Any, scenario: Scenario, fmt: Fmt) -> list[str]:
    """The cumulative cash position chart, the wrong-pocket heat map, a section per partner."""
    names = {s.id: s.name for s in cases.statements}
    years = list(scenario.horizon)
    series = {s.name: [y.cumulative_net for y in s.years] for s in cases.statements
              if any(abs(y.pays) > 0.5 or abs(y.cashable_benefit) > 0.5 for y in s.years)}
    cols = [c for c in cases.columns()
            if any(row.get(c, 0.0) > 0.5 for row in cases.matrix.values())]
    payers = [p for p, row in cases.matrix.items() if any(v > 0.5 for v in row.values())]
    body = ["<section id='partners'><h2>Each partner's case</h2>",
            "<h3>Cumulative cash position</h3>",
            "<p class='small'>Each partner's running total of cashable savings less what it "
            "pays, undiscounted; it pays back in the first year from which the line stays at "
            "or above zero.</p>",
            line_chart_svg(years, series, "year",
                           f"cumulative net cashable savings ({scenario.currency})", fmt)]
    if payers and cols:
        body += ["<h3 id='wrong-pocket'>Who pays for whose savings</h3>",
                 "<p class='small'>Each £ a partner pays towards an intervention (discounted) "
                 "is attributed to the intervention's beneficiaries in proportion to their "
                 "shares of its benefit. Rows pay; columns gain.</p>",
                 "<figure class='heat'>" + heat_map_svg(
                     [names.get(p, p) for p in payers], [names.get(c, c) for c in cols],
                     {(names.get(p, p), names.get(c, c)): cases.matrix[p].get(c, 0.0)
                      for p in payers for c in cols},
                     "Who pays for whose savings", fmt, row_title="Who pays",
                     column_title="Whose savings") + "</figure>"]
    for s in cases.statements:
        if not series.get(s.name):
            continue
        ret = ("pays nothing" if s.return_per_pound is None else
               f"each £1 it pays returns £{s.return_per_pound:,.2f} in cashable savings")
        payback = (f"pays back in {s.payback_year}" if s.payback_year else
                   "does not pay back within the horizon" if s.pays_npv > 0.5 else "")
        body += [f"<div class='partner' id='partner-{_e(s.id)}'><h3>{_e(s.name)}</h3>",
                 f"<p>Pays {fmt(s.pays_npv)} and gains {fmt(s.cashable_benefit_npv)} in "
                 f"cashable savings (both discounted), netting {fmt(s.net_npv)}; {_e(ret)}"
                 + (f"; {_e(payback)}." if payback else ".") + "</p>",
                 *(f"<p>{_e(line)}</p>" for line in flows_in_words(cases, s.id, fmt)),
                 _table(["year", "pays", "cashable benefit", "net", "cumulative net"],
                        [[y.year, fmt(y.pays), fmt(y.cashable_benefit), fmt(y.net),
                          fmt(y.cumulative_net)] for y in s.years]), "</div>"]
    return [*body, "</section>"]


def unfunded_section(unfunded: Any) -> list[str]:
    """The interventions not funded, each with why."""
    if not unfunded:
        return []
    return ["<section id='unfunded'><h2>What is not funded, and why</h2>",
            _table(["intervention", "why not"], [[u.name, u.why] for u in unfunded],
                   text=(0, 1)),
            "</section>"]


TARGET_TOLERANCE = 1.0
"""A money target counts as met within £1 (or 0.01% of the target, if larger); an outcome
target within 0.01 of a unit."""


def target_met(t: Any) -> bool | None:
    """Met within the stated tolerance (solver rounding is not a miss)."""
    if t.achieved is None:
        return None
    tol = (0.01 if t.measure == "outcome" else TARGET_TOLERANCE)
    tol = max(tol, 1e-4 * abs(t.required))
    low = t.min is None or t.achieved >= t.min - tol
    high = t.max is None or t.achieved <= t.max + tol
    return low and high


def title_words(result: Any, scenario: Scenario) -> str:
    """The scenario's name and the what-ifs applied, for the pack's title."""
    changes = "; ".join(f"{p} = {v}" for p, v in result.meta.overrides)
    return scenario.name + (f" (what-if: {changes})" if changes else "")
