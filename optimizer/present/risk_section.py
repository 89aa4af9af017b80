"""The decision pack's "How sure are we?" section, from a `pbo risk` result."""

from __future__ import annotations

import html

from pbo.optimizer.analyses.risk_result import RiskResult
from pbo.optimizer.present.tables import money


def _e(text: object) -> str:
    return html.escape(str(text))


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def _table(head: list[str], rows: list[list[object]]) -> str:
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    out += ["<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows]
    return "".join([*out, "</table>"])


def how_sure_section(result: RiskResult, charts: bool = True) -> str:
    """HTML: the chance of meeting each target, partners' positions, safe choices and
    gambles, the objective's spread, and (with --robust) the robust plan side by side."""
    cur = result.scenario.currency
    m = result.manifest
    o = result.objective_summary()
    body = ["<h2>How sure are we?</h2>",
            f"<p>{m['samples']} draws of the uncertain inputs ({_e(m['method'])}, seed "
            f"{m['seed']}), the plan held as chosen. The objective is "
            f"{_e(money(o['point'], cur))} at the point estimates; across the draws its "
            f"middle 80% runs from {_e(money(o['p10'], cur))} to {_e(money(o['p90'], cur))} "
            f"(mean {_e(money(o['mean'], cur))}).</p>"]
    targets = result.targets_table()
    if not targets.empty:
        body.append(_table(["target", "chance it is met"],
                           [[r["target"], _pct(r["p_met"])]
                            for r in targets.to_dict(orient="records")]))
    body.append(_table(
        ["partner", "P10", "P50", "P90", "chance out of pocket", "chance over budget"],
        [[r["partner"], money(r["p10"], cur), money(r["p50"], cur), money(r["p90"], cur),
          _pct(r["p_out_of_pocket"]), _pct(r["p_budget_breached"])]
         for r in result.partners_table().to_dict(orient="records")]))
    choices = result.interventions_table()
    if choices["p_chosen"].notna().any():
        body += ["<p>Re-optimised for each draw: <b>core</b> interventions are chosen in at "
                 "least 90% of draws (safe whatever happens), <b>exterior</b> ones in at most "
                 "10%; the rest are <b>borderline</b> (a gamble on the figures).</p>",
                 _table(["intervention", "in the plan", "chosen in", "label"],
                        [[r["intervention"], "yes" if r["point_chosen"] else "no",
                          _pct(r["p_chosen"]), r["label"]]
                         for r in choices.to_dict(orient="records")])]
    comparison = result.comparison()
    if comparison is not None:
        body += ["<p>The robust plan against the point-estimate plan:</p>",
                 _table(["", "point-estimate plan", "robust plan"],
                        [[r["measure"], _pct(r["point_plan"]) if r["measure"].startswith("P(")
                          else money(r["point_plan"], cur),
                          _pct(r["robust_plan"]) if r["measure"].startswith("P(")
                          else money(r["robust_plan"], cur)]
                         for r in comparison.to_dict(orient="records")])]
    if charts:
        from pbo.optimizer.present.risk_charts import svg_figures

        body += list(svg_figures(result).values())
    return "".join(body)
