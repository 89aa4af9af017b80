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


AUDITED_SAMPLES = 5
"""How many of a risk result's samples `pbo audit` re-runs (spread over the run)."""


def sample_subset(n: int, k: int = AUDITED_SAMPLES) -> list[int]:
    """k sample indices spread evenly over 0..n-1 (the first and the last included)."""
    if n <= k:
        return list(range(n))
    return sorted({round(j * (n - 1) / (k - 1)) for j in range(k)})


def audit_risk_run(scenario: Scenario, recorded: Mapping[str, Any]) -> tuple[list[int],
                                                                              list[str]]:
    """`pbo audit` of a risk result: the scenario it was run on (by its hash), then a spread
    of its samples re-run and compared. Returns (the samples re-run, the problems)."""
    from pbo.models.io.loading import scenario_sha256

    manifest = recorded["manifest"]
    if scenario_sha256(scenario) != manifest.get("input_sha256"):
        return [], ["the scenario differs from the one the risk run used (its SHA-256 does "
                    "not match the manifest's; a run made with --set or --scenario is "
                    "audited against a file holding those changes)"]
    indices = sample_subset(int(manifest["samples"]))
    return indices, audit_risk(scenario, recorded, indices)
