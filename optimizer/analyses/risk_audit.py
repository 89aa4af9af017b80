"""Re-run some samples of a `pbo risk` result and confirm them (the audit of a risk run).

From the scenario and the result's manifest (samples, seed, method, the draws), the same
draws are made again, the point plan is solved again, and the chosen samples are evaluated
and re-optimised afresh; each is compared with what the result recorded. (A separate function
from pbo.optimizer.analyses.audit, which audits a plan; `pbo audit` may call it.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pbo.models.scenario import Scenario
from pbo.optimizer.analyses.risk import make_job
from pbo.optimizer.solving.highs import SolverOptions

REL = 1e-6


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=REL, abs_tol=1e-6)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def audit_risk(scenario: Scenario, recorded: Mapping[str, Any],
               indices: Iterable[int]) -> list[str]:
    """Problems found re-running samples `indices` of a risk result's JSON (none: confirmed)."""
    from pbo.optimizer.solving.plan import solve

    manifest = recorded["manifest"]
    options = SolverOptions(check_binding=False)
    point = solve(scenario, manifest["objective"], options)
    job, _dims, _drawn, payload = make_job(
        scenario, point, manifest["samples"], manifest["seed"], manifest["method"],
        manifest["reoptimised"], options)
    problems = []
    if payload["draws"] != manifest["draws"]:
        problems.append("the scenario's uncertain inputs differ from the result's manifest")
    if job.key != manifest["job_key"]:
        problems.append("the run's inputs (scenario, plan, options) differ from the result's")
    state = job.setup()
    for k in indices:
        if not 0 <= k < manifest["samples"]:
            problems.append(f"sample {k}: there are only {manifest['samples']} samples")
            continue
        again = job.run(state, k)
        if not _same(again, recorded["samples"][k]):
            problems.append(f"sample {k}: re-run gives different figures from the result's")
    return problems
