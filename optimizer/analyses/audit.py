"""Audit a result: re-solve its recorded input and re-check that every figure adds up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pbo.models.errors import InputError
from pbo.models.io.loading import scenario_from_data
from pbo.models.results import PlanResult
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.solving.highs import SolverOptions, highs_version
from pbo.optimizer.solving.plan import ENGINE_VERSION, solve
from pbo.optimizer.solving.results import reconciliation_problems

RELATIVE = 1e-6


@dataclass
class AuditReport:
    checks: list[tuple[str, bool | None, str]] = field(default_factory=list)
    """(check, passed, detail) in the order run; passed None: could not be checked here."""

    @property
    def passed(self) -> bool:
        return all(ok is not False for _, ok, _ in self.checks)

    def add(self, name: str, ok: bool | None, detail: str = "") -> None:
        self.checks.append((name, ok, detail))

    def tables(self) -> dict[str, Any]:
        """One tidy table, checks: check, passed (None: not checked here), detail."""
        import pandas as pd

        return {"checks": pd.DataFrame(self.checks, columns=["check", "passed", "detail"])}

    def to_json(self) -> dict[str, Any]:
        """The audit as JSON data; its schema is `pbo.result_schema("audit")`."""
        return {"passed": self.passed, "checks": [
            {"check": name, "passed": ok, "detail": detail} for name, ok, detail in self.checks]}


def _close(a: float | None, b: float | None, scale: float) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= RELATIVE * max(1.0, abs(scale))


def audit(payload: dict[str, Any] | PlanResult) -> AuditReport:
    """Every check a forensic auditor would make of a result file: `payload` is the JSON a
    result was written as (`pbo solve --out FILE.json`), or the result itself."""
    if isinstance(payload, PlanResult):
        payload = payload.model_dump(mode="json")
    try:
        recorded = PlanResult.model_validate(payload)
    except ValidationError as exc:
        raise InputError(f"not a pbo result file ({exc.error_count()} fields do not fit)") from None
    meta = recorded.meta
    if meta.scenario is None:
        raise InputError("the result carries no manifest scenario (written by an older pbo?)")
    report = AuditReport()
    report.add("engine version", meta.engine_version == ENGINE_VERSION,
               f"recorded {meta.engine_version}, running {ENGINE_VERSION}")
    report.add("HiGHS version", meta.solver == highs_version(),
               f"recorded {meta.solver}, running {highs_version()}")
    if meta.input_file:
        path = Path(meta.input_file)
        if path.exists():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            report.add("input file unchanged", digest == meta.input_sha256,
                       f"{path}: sha256 {digest[:12]}… (recorded {meta.input_sha256[:12]}…)")
        else:
            report.add("input file unchanged", None, f"{path} is not here, so it cannot be "
                       "compared; the scenario recorded in the result is re-solved")
    scenario = scenario_from_data(meta.scenario)
    d = ModelData.from_scenario(scenario)
    problems = reconciliation_problems(recorded, d)
    report.add("figures reconcile", not problems, "; ".join(problems) or
               "funding sums to cost; partners sum to the partnership; NPVs from years")
    known = {f for f in SolverOptions.__dataclass_fields__}
    options = SolverOptions(**{k: v for k, v in meta.solver_options.items() if k in known})
    again = solve(scenario, recorded.objective_name, options)
    report.add("status reproduces", again.status == recorded.status,
               f"recorded {recorded.status}, re-solved {again.status}")
    report.add("objective reproduces",
               _close(again.objective, recorded.objective, recorded.objective or 0.0),
               f"recorded {recorded.objective}, re-solved {again.objective}")
    scale = max([abs(r.units) for r in recorded.interventions] + [1.0])
    units_a = {r.id: r.units for r in recorded.interventions}
    moved = [i for i, r in ((r.id, r) for r in again.interventions)
             if not _close(units_a.get(i), r.units, scale)]
    report.add("decisions reproduce", not moved,
               "every intervention's units match" if not moved else f"units differ: {moved}")
    money = max([abs(p.contribution_npv) for p in recorded.partners] + [1.0])
    pay_a = {p.id: p.contribution_npv for p in recorded.partners}
    shifted = [p.id for p in again.partners if not _close(pay_a.get(p.id), p.contribution_npv,
                                                          money)]
    report.add("contributions reproduce", not shifted,
               "every partner's contribution NPV matches" if not shifted
               else f"contributions differ: {shifted}")
    return report
