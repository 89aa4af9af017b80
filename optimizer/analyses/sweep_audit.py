"""`pbo audit` of a sweep (`pbo sweep --out FILE.json`): its input file is the one swept (by
SHA-256), and the sweep re-run from it, with the recorded changes, objective and time limit,
gives the same status and objective at every point.

A point's plan may differ at the same objective (two plans of equal value); that is said, and
is no failure. A sweep written without a manifest (from data in code) names no input, so it
cannot be re-run: that fails, since nothing it says could be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from pbo.optimizer.analyses.audit import AuditReport, not_fitting, rerun_input
from pbo.optimizer.solving.figures import agree, shown_apart


def is_sweep(payload: dict[str, Any]) -> bool:
    """A sweep's JSON (with or without a manifest), by its own fields."""
    return "parameters" in payload and "points" in payload and "status" not in payload


def audit_sweep(payload: dict[str, Any], input_file: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> AuditReport:
    """Every check of a sweep file (see the module's doc); `input_file`: the auditor's own
    copy of the scenario file, in place of the one it names; `progress(done, total)` is
    called as the points are re-run."""
    from pbo.optimizer.analyses.sweep import SweepParam, sweep
    from pbo.optimizer.present.result_schemas import SweepJSON
    from pbo.optimizer.solving.highs import SolverOptions

    try:
        recorded = SweepJSON.model_validate(payload)
    except ValidationError as exc:
        raise not_fitting(exc, payload, "a pbo sweep file") from None
    report = AuditReport()
    data = rerun_input(report, recorded.manifest, input_file, "points reproduce", "sweep")
    if data is None:
        return report
    m = recorded.manifest
    assert m is not None
    params = [SweepParam(p.path, p.start, p.stop, p.points) for p in recorded.parameters]
    again = sweep(data, params,
                  objective=m.objective,
                  options=SolverOptions(time_limit=m.time_limit, check_binding=False),
                  progress=progress)
    points = again.to_json()["points"]
    currency = data.get("currency")
    findings, other_plans = _point_differences(recorded.points, points, params,
                                               currency if isinstance(currency, str) else "GBP")
    report.compare("points reproduce", findings,
                   f"{len(points)} points: the same status and objective at each")
    report.add("plans reproduce", True, "the same interventions at every point" if not
               other_plans else f"{other_plans} point(s) fund other interventions at the same "
               "objective (plans of equal value)")
    return report


def _point_differences(recorded: list[Any], again: list[dict[str, Any]], params: list[Any],
                       currency: str) -> tuple[list[str], int]:
    """Each point whose swept values, status or objective differ, and how many points have
    another plan at the same objective."""
    if len(recorded) != len(again):
        return [f"points: recorded {len(recorded)}, re-run {len(again)}"], 0
    findings, other_plans = [], 0
    for k, (old, new) in enumerate(zip(recorded, again, strict=True)):
        old = old.model_dump()
        at = f"points[{k}] (" + ", ".join(f"{p.path}={new[p.path]:g}" for p in params) + ")"
        moved = [p.path for p in params if not agree(old.get(p.path), new[p.path], 0.0)]
        if moved:
            findings.append(f"{at}: {', '.join(moved)} recorded "
                            f"{', '.join(str(old.get(p)) for p in moved)}")
        elif old["status"] != new["status"]:
            findings.append(f"{at}.status: recorded {old['status']}, re-run {new['status']}")
        elif not agree(old["objective"], new["objective"], 0.0):
            a, b = shown_apart(old["objective"], new["objective"], True, currency)
            findings.append(f"{at}.objective: recorded {a}, re-run {b}")
        elif old["interventions"] != new["interventions"]:
            other_plans += 1
    return findings, other_plans

