"""The decision pack: one self-contained HTML file for a board (no network to view it)."""

from __future__ import annotations

import html
import json
from typing import Any

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.present.charts import bar_chart_svg, flow_diagram_svg, line_chart_svg
from pbo.optimizer.present.pack_partners import target_met
from pbo.optimizer.present.tables import money, number

CSS = """
body{font-family:Georgia,serif;max-width:60rem;margin:2rem auto;color:#222;line-height:1.45}
h1,h2{font-family:Helvetica,Arial,sans-serif}h2{border-bottom:2px solid #ddebf7;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-family:Helvetica,Arial,sans-serif;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
th{background:#ddebf7}td:first-child,th:first-child{text-align:left}
.met{color:#2c7a2c}.missed{color:#b22}.lead{font-size:1.1rem}.small{font-size:.8rem;color:#666}
@media print{body{max-width:none;margin:0}table,svg,figure,.partner{break-inside:avoid;
page-break-inside:avoid}h2,h3{break-after:avoid;page-break-after:avoid}tr{break-inside:avoid}}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(head: list[str], rows: list[list[object]]) -> str:
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


IRREGULAR = {"child": "children", "person": "people", "young person": "young people"}


def plural(unit: str, n: float) -> str:
    if n == 1 or unit.endswith("s"):
        return unit
    if unit in IRREGULAR:
        return IRREGULAR[unit]
    if unit.endswith("y") and unit[-2:-1] not in "aeiou":
        return unit[:-1] + "ies"
    return unit + "s"


def plan_in_words(result: PlanResult, scenario: Scenario, explained: bool = False
                  ) -> list[str]:
    """The plan as sentences a finance director would say to a board."""
    cur = scenario.currency
    if not result.has_plan:
        return [f"No plan satisfies every target and red line (status: {result.status}). "
                + ("Below: why, and the nearest plan that works." if explained else
                   "`pbo explain` says why and shows the nearest plan that works.")]
    chosen = [r for r in result.interventions if r.selected]
    units = {iv.id: iv.unit for iv in scenario.interventions}
    said = [f"Fund {len(chosen)} of {len(result.interventions)} interventions: " + "; ".join(
        f"{r.name} ({number(r.units)} {plural(units[r.id], r.units)})"
        for r in chosen) + "." if chosen else "Fund none of the interventions."]
    cost = sum(r.cost_npv for r in chosen)
    benefit = sum(r.benefit_npv for r in chosen)
    said.append(f"Over {scenario.years} years ({scenario.start_year}–{scenario.horizon[-1]}) the "
                f"plan costs {money(cost, cur)} and returns {money(benefit, cur)} of adjusted "
                f"fiscal benefit (both discounted at {scenario.discount_rate:.1%}); its "
                f"{result.objective_name.replace('_', ' ')} is {money(result.objective, cur)}.")
    for p in result.partners:
        if p.contribution_npv < 0.5 and abs(p.net_cashable_savings_npv) < 0.5:
            continue
        verdict = ("comes out ahead" if p.net_cashable_savings_npv > 0.5 else
                   "breaks even" if p.net_cashable_savings_npv > -0.5 else "is out of pocket")
        payback = f", paying back in {p.payback_year}" if p.payback_year else ""
        by = "" if verdict == "breaks even" else \
            f" by {money(abs(p.net_cashable_savings_npv), cur)}"
        said.append(f"{p.name} pays {money(p.contribution_npv, cur)} and {verdict}{by} in "
                    f"cashable terms{payback}.")
    missed = [t.id for t in result.targets if target_met(t) is False]
    if result.targets:
        said.append("Every target is met." if not missed else
                    f"Targets missed: {', '.join(missed)}.")
    binding = [r for r in result.red_lines if r.binding]
    described = {r.id: r.description for r in scenario.red_lines}
    for r in binding:
        low, high = result.relaxation_range(r) or (0.0, 0.0)
        price = money(abs(low), cur)
        if money(abs(high), cur) != price:
            price = f"at least {price} (at most {money(abs(high), cur)})"
        said.append(f"The red line '{described.get(r.id) or r.id}' "
                    f"({r.owner or 'owner not given'}) costs the "
                    f"partnership {price}: worth raising with Whitehall.")
    return said


def _paragraphs(sentences: list[str]) -> list[str]:
    """Sentences as paragraphs, and each run of '  - ' lines as one bulleted list."""
    out: list[str] = []
    items: list[str] = []
    for s in [*sentences, ""]:
        if s.startswith("  - "):
            items.append(f"<li>{_e(s[4:])}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if s:
            out.append(f"<p>{_e(s)}</p>")
    return out


def _plan_sections(result: PlanResult, scenario: Scenario, fmt) -> list[str]:
    """Who pays for what, each partner's position by year, and targets against achievement."""
    cur = scenario.currency
    if not result.has_plan:
        return []
    body: list[str] = []
    flows: dict[tuple[str, str], float] = {}
    names = {p.id: p.name for p in result.partners}
    labels = {r.id: r.name for r in result.interventions}
    for f in result.funding:
        key = (names[f.partner], labels[f.intervention])
        flows[key] = flows.get(key, 0.0) + f.amount
    body += ["<h2>Who pays for what</h2>",
             "<p class='small'>All years, undiscounted; hover a band for its amount.</p>",
             flow_diagram_svg([(s, t, v) for (s, t), v in flows.items()], fmt),
             _table(["intervention", "units", "cost (NPV)", "fiscal benefit (NPV)"],
                    [[r.name, number(r.units), fmt(r.cost_npv), fmt(r.benefit_npv)]
                     for r in result.interventions if r.selected])]
    years = list(scenario.horizon)
    series = {p.name: [r.net_cashable_savings for r in result.partner_years
                       if r.partner == p.id] for p in result.partners}
    body += ["<h2>Each partner's net position by year</h2>",
             line_chart_svg(years, series, "year", f"net cashable savings ({cur})", fmt),
             _table(["partner", "pays (NPV)", "cashable benefit (NPV)",
                     "net cashable savings (NPV)", "payback year"],
                    [[p.name, fmt(p.contribution_npv), fmt(p.cashable_benefit_npv),
                      fmt(p.net_cashable_savings_npv), p.payback_year or "—"]
                     for p in result.partners])]
    if result.targets:
        body += ["<h2>Targets against achievement</h2>", _table(
            ["target", "measure", "required", "achieved", "met"],
            [[t.id, t.measure + (f" ({t.partner})" if t.partner else ""),
              ("≥ " if t.min is not None else "≤ ") + (number(t.required) if t.measure ==
                                                       "outcome" else fmt(t.required)),
              "—" if t.achieved is None else (number(t.achieved) if t.measure == "outcome"
                                              else fmt(t.achieved)),
              {True: "yes", False: "NO", None: "—"}[target_met(t)]] for t in result.targets]),
                 "<p class='small'>A money target counts as met within £1 (or 0.01% of the "
                 "target, if larger), an outcome target within 0.01.</p>"]
    return body


def decision_pack(result: PlanResult, scenario: Scenario, explanation: Any = None,
                  sensitivity: Any = None, shares: Any = None, unfunded: Any = None,
                  risk: Any = None, alternatives: Any = None) -> str:
    """The pack: the plan in words, who pays, positions, targets, red-line values,
    assumptions, audit trail. With no plan, `explanation` (pbo.optimizer.explain.infeasible's) says why and
    shows the nearest plan that works."""
    cur = scenario.currency
    fmt = lambda v: money(v, cur)  # noqa: E731
    from pbo.optimizer.present import pack_partners as pp

    body = [f"<h1>{_e(pp.title_words(result, scenario))}: the plan</h1>",
            *(f"<p class='lead'>{_e(s)}</p>"
              for s in plan_in_words(result, scenario, explanation is not None))]
    if result.meta.warnings:
        body += ["<h2>Warnings</h2>",
                 "<ul>" + "".join(f"<li class='warning'>{_e(w)}</li>"
                                  for w in result.meta.warnings) + "</ul>"]
    body += _plan_sections(result, scenario, fmt)
    if not result.has_plan and explanation is not None and explanation.sentences:
        body += ["<h2>Why there is no plan</h2>", *_paragraphs(explanation.sentences)]
        if explanation.shortfalls:
            body.append(_table(["what gives", "required", "in the nearest plan"], [
                [s.id, fmt(s.required) if s.money else number(s.required),
                 fmt(s.achievable) if s.money else number(s.achievable)]
                for s in explanation.shortfalls]))
        nearest = explanation.nearest_plan
        if nearest is not None:
            body += ["<h2>The nearest plan that works</h2>",
                     *(f"<p>{_e(s)}</p>" for s in plan_in_words(nearest, scenario)),
                     *_plan_sections(nearest, scenario, fmt)]
    body += pp.unfunded_section(unfunded)
    if result.has_plan:
        from pbo.optimizer.analyses.partner_case import partner_cases

        body += pp.partner_sections(partner_cases(result, scenario), scenario, fmt)
    if shares is not None:
        body += pp.shares_section(shares, fmt)
    described = {r.id: pp.red_line_label(r) for r in scenario.red_lines}
    valued = [(described.get(r.id, r.id), gain) for r in result.red_lines
              if (gain := result.relaxation_gain(r)) is not None]
    if sensitivity is not None:
        body += pp.red_line_section(sensitivity, fmt)
    elif valued:
        valued.sort(key=lambda x: -x[1])
        body += ["<h2>What each red line costs</h2>",
                 "<p class='small'>Objective gained by relaxing each red line on its own.</p>",
                 bar_chart_svg([i for i, _ in valued], [v for _, v in valued],
                               "Value of relaxing each red line", fmt)]
    if alternatives is not None:  # a pbo.optimizer.analyses.alternatives.AlternativesResult
        body += alternatives_section(alternatives, fmt)
    if risk is not None:  # a pbo.optimizer.analyses.risk_result.RiskResult
        from pbo.optimizer.present.risk_section import how_sure_section

        body.append(how_sure_section(risk))
    body += ["<h2>Assumptions</h2>",
             f"<p>Discount rate {scenario.discount_rate:.1%} a year (HM Treasury Green Book "
             f"STPR is 3.5%); prices in {_e(cur)}; cost sharing rule "
             f"'{_e(scenario.cost_sharing.rule)}'.</p>",
             _table(["intervention", "optimism bias", "deadweight", "attribution", "cashable"],
                    [[iv.label, f"{iv.optimism_bias:.0%}", f"{iv.deadweight:.0%}",
                      f"{iv.attribution:.0%}",
                      f"{iv.cashable:.0%}" if not isinstance(iv.cashable, dict) else
                      ", ".join(f"{k} {v:.0%}" for k, v in iv.cashable.items())]
                     for iv in scenario.interventions]),
             "<h2>Audit trail</h2>", _table(["item", "value"], [
                 ["engine", result.meta.engine_version], ["solver", result.meta.solver],
                 ["input file", result.meta.input_file or "—"],
                 ["input SHA-256", result.meta.input_sha256],
                 ["overrides", "; ".join(f"{p} = {json.dumps(v)}" for p, v in
                                         result.meta.overrides) or "none"],
                 ["solver options", "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in
                                              result.meta.solver_options.items())],
                 ["MIP gap", "—" if result.mip_gap is None else f"{result.mip_gap:.4%}"],
                 ["timestamp", result.meta.timestamp]])]
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(pp.title_words(result, scenario))} — decision pack</title>"
            f"<style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def alternatives_section(found: Any, fmt: Any) -> list[str]:
    """Near-optimal alternatives side by side: each plan's objective, how far below the best,
    what it funds and what distinguishes it."""
    if not found.best.has_plan:
        return []
    best = found.best
    rows = [["best plan", fmt(best.objective), "—",
             ", ".join(r.name for r in best.interventions if r.selected), "—"]]
    for k, alt in enumerate(found.alternatives, start=1):
        r = alt.result
        rows.append([f"alternative {k}", fmt(r.objective),
                     fmt(abs((best.objective or 0.0) - (r.objective or 0.0))),
                     ", ".join(i.name for i in r.interventions if i.selected), alt.label])
    return ["<h2>Near-optimal alternatives</h2>",
            f"<p class='small'>{_e(found.message[:1].upper() + found.message[1:])}: plans "
            "that fund different interventions, each within that distance of the best.</p>",
            _table(["plan", "objective", "below the best", "funds", "what distinguishes it"],
                   rows)]
