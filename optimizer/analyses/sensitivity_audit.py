"""`pbo audit` of a red-line sensitivity (`pbo sensitivity --out FILE.json`): its input file
is the one analysed (by SHA-256), and the analysis re-run from it, with the recorded changes,
objective, time limit and what was asked (`--all`, `--pairs`), gives the same base solve, the
same status, objective and value for each red line relaxed and each pair, and the same
marginal values ("£ per £").

A file written without a manifest (from data in code) names no input, so it cannot be re-run:
that fails, since nothing it says could be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.analyses.audit import AuditReport, not_fitting, rerun_input
from pbo.optimizer.solving.figures import agree, shown_apart

FIGURES = ("status", "objective", "value")
"""What is checked for each red line relaxed, and each pair."""


def is_sensitivity(payload: dict[str, Any]) -> bool:
    """A sensitivity's JSON (with or without a manifest), by its own fields."""
    return {"base", "red_lines", "marginals"} <= payload.keys() and "status" not in payload


def audit_sensitivity(payload: dict[str, Any], input_file: str | None = None,
                      progress: Callable[[int, int], None] | None = None) -> AuditReport:
    """Every check of a sensitivity file (see the module's doc); `input_file`: the auditor's
    own copy of the scenario file, in place of the one it names; `progress(done, total)` is
    called as the red lines are relaxed again."""
    from pbo.optimizer.analyses.sensitivity import sensitivity
    from pbo.optimizer.present.result_schemas import SensitivityJSON
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        recorded = SensitivityJSON.model_validate(payload)
    except ValidationError as exc:
        raise not_fitting(exc, payload, "a pbo sensitivity file") from None
    report = AuditReport()
    data = rerun_input(report, recorded.manifest, input_file, "red lines reproduce",
                       "sensitivity analysis")
    if data is None:
        return report
    m = recorded.manifest
    assert m is not None
    again = sensitivity(scenario_from_data(data),
                        include_non_negotiable=m.include_non_negotiable, pairs=m.pairs,
                        objective=m.objective,
                        options=SolverOptions(time_limit=m.time_limit, check_binding=False),
                        progress=progress).to_json()
    currency = data.get("currency")
    money = currency if isinstance(currency, str) else "GBP"
    old = recorded.model_dump()
    findings = _rows({"base": old["base"]}, {"base": again["base"]}, ("status", "objective"),
                     money)
    findings += _rows(_by(old, "red_lines", "id"), _by(again, "red_lines", "id"), FIGURES,
                      money)
    findings += _rows(_by(old, "pairs", "first", "second"),
                      _by(again, "pairs", "first", "second"), FIGURES, money)
    report.compare("red lines reproduce", findings,
                   f"the base and {len(again['red_lines'])} red line(s) relaxed"
                   + (f", {len(again['pairs'])} pair(s)" if again["pairs"] else "")
                   + ": the same status, objective and value")
    marginal = ("kind", "id", "period", "bound")
    report.compare("marginal values reproduce", _rows(
        _by(old, "marginals", *marginal), _by(again, "marginals", *marginal), ("dual",),
        money, per_pound=True), f"{len(again['marginals'])} marginal value(s), the same")
    return report


def _by(payload: dict[str, Any], table: str, *keys: str) -> dict[str, dict[str, Any]]:
    """The rows of `payload[table]` by where a finding names them: 'red_lines[cap]',
    'pairs[cap/police_out]'."""
    return {f"{table}[{'/'.join(str(row[k]) for k in keys)}]": row for row in payload[table]}


def _rows(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]],
          fields: tuple[str, ...], currency: str, per_pound: bool = False) -> list[str]:
    """Each row (by place) missing from one side, and each of its `fields` that differs
    (money shown as money, with more digits only where the two would read the same)."""
    findings = [f"{place}: recorded, not in the re-run" for place in old if place not in new]
    findings += [f"{place}: in the re-run, not recorded" for place in new if place not in old]
    for place in (p for p in old if p in new):
        for name in fields:
            a, b = old[place].get(name), new[place].get(name)
            if not agree(a, b, 0.0):
                shown = shown_apart(a, b, name != "status" and not per_pound, currency)
                findings.append(f"{place}.{name}: recorded {shown[0]}, re-run {shown[1]}"
                                + (" (£ per £)" if per_pound else ""))
    return findings
