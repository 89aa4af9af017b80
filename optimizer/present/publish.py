"""The decision pack as a library call: solve (and, without a plan, explain), then the
self-contained HTML page, returned and, given a path, written atomically."""

from __future__ import annotations

from pathlib import Path

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.solving.highs import SolverOptions


def report(scenario: Scenario, out: Path | str | None = None, *, objective: str | None = None,
           options: SolverOptions | None = None, result: PlanResult | None = None) -> str:
    """The decision pack of `scenario` (`pbo report`): one HTML page for a board, returned as
    text; with `out` (.html or .htm) also written there, atomically.

    `result` is a plan of `scenario` already solved (otherwise it is solved here, with
    `objective` and `options`); when it has no plan because the scenario is infeasible the
    page says why, as `pbo explain` would.

    >>> import pbo
    >>> page = pbo.report(pbo.load_scenario(pbo.example_path("tutorial")))
    >>> page.startswith("<!doctype html>")
    True
    """
    from pbo.models.io.export import check_output_path, write_atomic
    from pbo.optimizer.present.pack import decision_pack

    target = Path(out) if out is not None else None
    if target is not None:
        check_output_path(target, [], (".html", ".htm"))
    if result is None:
        from pbo.optimizer.solving.plan import solve

        result = solve(scenario, objective, options)
    why = None
    if result.status == "infeasible":
        from pbo.optimizer.explain.infeasible import explain

        why = explain(scenario, solver=options, objective=objective)
    page = decision_pack(result, scenario, why)
    if target is not None:
        write_atomic(target, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return page
