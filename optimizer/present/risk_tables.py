"""`pbo risk` in the terminal: readable at 80 columns, in words."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from pbo.optimizer.analyses.risk_result import RiskResult
from pbo.optimizer.present.tables import money as _money
from pbo.optimizer.present.tables import number
from pbo.optimizer.present.terminal import safe_text


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def risk_tables(result: RiskResult) -> Group:
    """The probability of each target, partners' positions, choices, and the objective."""
    m = result.manifest
    parts: list[Any] = [Text(f"{m['samples']} samples ({m['method']}, seed {m['seed']}), "
                             f"{len(m['draws'])} independent draws; the plan held fixed unless "
                             "said otherwise.")]
    targets = Table(title="Targets: how likely is each to be met?", title_justify="left")
    for col in ("target", "required", "P10", "P50", "P90", "P(met)"):
        targets.add_column(col, justify="left" if col == "target" else "right")
    frame = result.targets_table()
    robust = "robust_p_met" in frame
    if robust:
        targets.add_column("robust", justify="right")
    for row in frame.to_dict(orient="records"):
        shown = number if row["measure"] == "outcome" else _money  # a count, not money
        given = {k: row[k] for k in ("min", "max")  # (a missing bound reads NaN in the frame)
                 if row[k] is not None and row[k] == row[k]}
        required = " to ".join(f"{'≥' if k == 'min' else '≤'} {shown(v)}"
                               for k, v in given.items())
        cells = [row["target"], required, shown(row["p10"]), shown(row["p50"]),
                 shown(row["p90"]), _pct(row["p_met"])]
        if robust:
            cells.append(_pct(row["robust_p_met"]))
        targets.add_row(*cells)
    parts.append(targets)
    partners = Table(title="Partners: discounted net position", title_justify="left")
    for col in ("partner", "P10", "P50", "P90", "out of pocket", "over budget"):
        partners.add_column(col, justify="left" if col == "partner" else "right")
    for row in result.partners_table().to_dict(orient="records"):
        partners.add_row(row["partner"], _money(row["p10"]), _money(row["p50"]),
                         _money(row["p90"]), _pct(row["p_out_of_pocket"]),
                         _pct(row["p_budget_breached"]))
    parts.append(partners)
    frame = result.interventions_table()
    if frame["p_chosen"].notna().any():
        choices = Table(title="Choices when re-optimised per sample", title_justify="left")
        for col in ("intervention", "in plan", "chosen", "label"):
            choices.add_column(col, justify="left" if col in ("intervention", "label")
                               else "right")
        for row in frame.to_dict(orient="records"):
            choices.add_row(row["intervention"], "yes" if row["point_chosen"] else "no",
                            _pct(row["p_chosen"]), row["label"] or "-")
        parts.append(choices)
    o = result.objective_summary()
    line = (f"Objective ({o['name']}): point estimate {_money(o['point'])}; with the plan "
            f"held fixed, mean {_money(o['mean'])}, P10 {_money(o['p10'])}, P90 "
            f"{_money(o['p90'])}.")
    if "regret_mean" in o:
        line += (f" Re-optimising each sample would gain {_money(o['regret_mean'])} on "
                 f"average (P90 {_money(o['regret_p90'])}); a negative gain means the fixed "
                 "plan breaks a budget or target there that a re-optimised plan keeps.")
    parts.append(safe_text(line))
    comparison = result.comparison()
    if comparison is not None and result.robust is not None:
        table = Table(title=f"Point-estimate plan against the robust plan "
                      f"({_pct(result.robust['level'])} of {result.robust['samples_k']} "
                      "samples)", title_justify="left")
        for col in ("", "point plan", "robust plan"):
            table.add_column(col, justify="left" if not col else "right")
        for row in comparison.to_dict(orient="records"):
            fmt = _pct if row["measure"].startswith("P(") else _money
            table.add_row(row["measure"], fmt(row["point_plan"]), fmt(row["robust_plan"]))
        parts.append(table)
    elif result.robust:
        parts.append(Text(f"Robust plan: none found ({result.robust['status']})."))
    return Group(*parts)
