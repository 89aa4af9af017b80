"""How sure are we? The chosen plan, and the choice itself, under uncertain inputs.

1. The plan held fixed: each sample's scenario is evaluated with the point-estimate plan
   (pbo.optimizer.analyses.risk_evaluate): targets met, partners' net positions, budgets
   breached, the objective.
2. Re-optimised: each sample is solved afresh; how often each intervention is chosen, and the
   regret of the point-estimate plan (what re-optimising would have gained in that sample).
3. Optionally a robust plan (pbo.optimizer.analyses.risk_robust), evaluated on the same samples.

Samples are independent solves of one model: they run on the ensemble runner
(pbo.optimizer.ensemble), each worker building the model once.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbo.models.errors import InfeasibleError, SolverError, UsageError
from pbo.models.io.loading import scenario_sha256
from pbo.models.scenario import Scenario
from pbo.models.uncertainty import CONFIDENCE_SOURCE, Dimension, resolve
from pbo.optimizer.analyses.risk_evaluate import FixedPlan, evaluate
from pbo.optimizer.analyses.risk_result import RiskResult
from pbo.optimizer.analyses.risk_sampling import (
    Method,
    describe,
    member_values,
    point_data,
    point_values,
    sample_changes,
    sampled_scenario,
    uniforms,
)
from pbo.optimizer.ensemble.runner import run_ensemble
from pbo.optimizer.solving.highs import SolverOptions


@dataclass(frozen=True)
class RiskJob:
    """Every sample of one risk run (sent whole to each worker; see ensemble.worker.Job)."""

    key: str
    base: dict[str, Any]
    dims: tuple[Dimension, ...]
    values: tuple[tuple[float, ...], ...]
    """Per sample, every member's drawn value (risk_sampling.member_values)."""
    objective: str
    plan: dict[str, Any]
    reoptimise: bool
    options: dict[str, Any]

    def scenario(self, k: int, points: list[Any] | None = None) -> Scenario:
        return sampled_scenario(self.base, sample_changes(self.base, self.dims,
                                                          self.values[k], points))

    def setup(self) -> dict[str, Any]:
        return {"plan": FixedPlan.from_dict(self.plan), "loaded": None,
                "points": point_values(self.base, self.dims)}

    def run(self, state: dict[str, Any], k: int) -> dict[str, Any]:
        from pbo.optimizer.formulation.data import ModelData

        sc = self.scenario(k, state["points"])
        new = None
        if self.reoptimise:
            from pbo.optimizer.formulation.build import build_model

            new = build_model(sc, self.objective)
        d = new.data if new is not None else ModelData.from_scenario(sc)
        ev = evaluate(sc, state["plan"], self.objective, d)
        out: dict[str, Any] = {
            "objective": ev["objective"],
            "targets": {t: [v["value"], v["met"]] for t, v in ev["targets"].items()},
            "partners": {p: [v["net_npv"], v["cumulative"], v["breached"]]
                         for p, v in ev["partners"].items()}}
        if new is not None:
            out["reoptimised"] = self._reoptimise(state, new)
        return out

    def _reoptimise(self, state: dict[str, Any], new: Any) -> dict[str, Any]:
        """Solve the sample on the worker's loaded HiGHS model, its numbers swapped in
        (risk_inplace); the first sample, or one of another shape, loads its own model."""
        from pbo.optimizer.analyses.risk_inplace import Loaded
        from pbo.optimizer.solving.highs import HighsSession
        from pbo.optimizer.solving.plan import make_result, solve_built

        options = SolverOptions(**self.options)
        loaded = state["loaded"]
        if loaded is None or not loaded.load(new):
            loaded = state["loaded"] = Loaded.of(new, HighsSession(new, options))
        loaded.session.highs.clearSolver()  # no warm state: a sample's answer is its own
        outcome, session, _ = solve_built(loaded.built, options, loaded.session)
        if not outcome.has_solution:
            return {"status": outcome.status, "objective": None, "chosen": []}
        if loaded.built is not new:
            loaded.copy_values(new)
        if loaded.built is new:
            result = make_result(new, outcome, session, {}, options, time.perf_counter(), "",
                                 [])
            value, status = result.objective, result.status
            chosen = [r.id for r in result.interventions if r.selected]
        else:  # solved on the worker's model with this sample's numbers: read from `new`
            # (make_result would reconcile against the worker's model, built for another)
            from pbo.optimizer.solving.plan import objective_value
            from pbo.optimizer.solving.results import clean_values, must_fund_of, plan_rows

            clean_values(new.m)
            rows = plan_rows(new.m, new.data, must_fund_of(new.data))[0]
            value, status = objective_value(new), outcome.status
            chosen = [r.id for r in rows if r.selected]
        # 12 significant figures: a solve on a model loaded afresh and one whose numbers were
        # swapped in may differ in the last bits; the record does not depend on the worker.
        objective = None if value is None else float(f"{value:.12g}")
        return {"status": status, "objective": objective, "chosen": chosen}


def _key(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def make_job(scenario: Scenario, point: Any, samples: int, seed: int, method: Method,
             reoptimise: bool, options: SolverOptions
             ) -> tuple[RiskJob, list[Dimension], tuple[tuple[float, ...], ...], dict[str, Any]]:
    """The job of a risk run (also rebuilt by risk_audit to re-run chosen samples)."""
    from pbo.optimizer.formulation.data import ModelData

    dims, _ = resolve(scenario.model_dump(by_alias=True))
    base = point_data(scenario)
    u = uniforms(samples, len(dims), seed, method)
    plan = FixedPlan.from_result(point, ModelData.from_scenario(scenario))
    opts = {k: v for k, v in options.as_dict().items() if k != "check_binding"}
    opts["check_binding"] = False
    if opts.get("threads") is None:  # parallel across samples, not inside each: one HiGHS
        opts["threads"] = 1          # thread a task, on any number of workers alike
    payload = {"scenario": base, "draws": describe(dims), "samples": samples, "seed": seed,
               "method": method, "objective": point.objective_name, "plan": plan.as_dict(),
               "reoptimise": reoptimise, "options": opts}
    drawn = tuple(tuple(row) for row in member_values(dims, u))
    job = RiskJob(key=_key(payload), base=base, dims=tuple(dims), values=drawn,
                  objective=point.objective_name, plan=plan.as_dict(), reoptimise=reoptimise,
                  options=opts)
    return job, dims, drawn, payload


def risk(scenario: Scenario, samples: int, seed: int = 0, *, method: Method = "lhs",
         objective: str | None = None, options: SolverOptions | None = None,
         reoptimise: bool = True, robust: float | None = None, robust_samples: int = 50,
         workers: int | None = None, scheduler: str | None = None,
         checkpoint: Path | None = None, resume: bool = False,
         progress: Callable[[int, int], None] | None = None,
         input_file: str | None = None) -> RiskResult:
    """The point plan under `samples` draws of the scenario's uncertain inputs (and, with
    `reoptimise`, the choices; with `robust`, a plan meeting every target in that share of
    `robust_samples` draws)."""
    if samples < 1:
        raise UsageError(f"--samples {samples}: at least 1")
    if robust is not None and not 0 < robust <= 1:
        raise UsageError(f"--robust {robust:g}: a share of samples, above 0 and at most 1")
    from pbo.optimizer.solving.plan import solve

    started = time.perf_counter()
    if not scheduler:
        from pbo.optimizer.ensemble.runner import start_workers

        start_workers(workers)  # local workers' imports while the point is solved
    options = options or SolverOptions(check_binding=False)
    point = solve(scenario, objective, options)
    if point.status == "infeasible":
        raise InfeasibleError("the point-estimate scenario is infeasible: there is no plan to "
                              "test (see pbo explain)")
    if point.objective is None:
        raise SolverError(f"no point-estimate plan: {point.message or point.status}")
    objective = point.objective_name
    job, dims, drawn, payload = make_job(scenario, point, samples, seed, method, reoptimise,
                                         options)
    draws, opts, base = payload["draws"], payload["options"], payload["scenario"]
    run = run_ensemble(job, samples, workers=workers, scheduler=scheduler,
                       checkpoint=checkpoint, resume=resume, progress=progress)
    firsts = [sum(len(d.members) for d in dims[:j]) for j in range(len(dims))]
    values = [[row[j] for j in firsts] for row in drawn]
    robust_part = None
    if robust is not None:
        from pbo.optimizer.analyses.risk_robust import robust_plan
        from pbo.optimizer.formulation.data import ModelData

        robust_part = robust_plan(scenario, base, dims, robust, robust_samples, seed + 1,
                                  method, objective, options)
        if robust_part["plan"].objective is not None:
            rplan = FixedPlan.from_result(robust_part["plan"], ModelData.from_scenario(scenario))
            rjob = RiskJob(key=_key({**payload, "plan": rplan.as_dict(), "reoptimise": False}),
                           base=base, dims=tuple(dims), values=drawn, objective=objective,
                           plan=rplan.as_dict(), reoptimise=False, options=opts)
            robust_part["samples"] = run_ensemble(rjob, samples, workers=workers,
                                                  scheduler=scheduler).results
    manifest = {
        "samples": samples, "seed": seed, "method": method, "objective": objective,
        "draws": draws, "input_sha256": scenario_sha256(scenario), "job_key": job.key,
        "input_file": input_file, "reoptimised": reoptimise, "backend": run.backend,
        "workers": run.workers, "chunks": run.chunks, "resumed": run.resumed,
        "restarts": run.restarts, "checkpoint": str(checkpoint) if checkpoint else None,
        "confidence_source": CONFIDENCE_SOURCE + " (default table: placeholder figures)",
        "robust": None if robust is None else {"level": robust, "samples": robust_samples,
                                               "seed": seed + 1},
        "seconds": time.perf_counter() - started}
    warnings = []
    if not dims:
        warnings.append("The scenario has no uncertain inputs (no `uncertainty:` section and "
                        "no confidence grades): every sample is the point estimate.")
    return RiskResult(scenario=scenario, point=point, samples=run.results, values=values,
                      manifest=manifest, robust=robust_part, warnings=warnings)
