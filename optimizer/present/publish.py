"""The decision pack as a library call: solve (and, without a plan, explain), then the
self-contained HTML page, returned and, given a path, written atomically."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.solving.highs import SolverOptions

Status = Callable[[str], Any]
"""Called with what is being done ("Relaxing each red line…"); returns a context manager (the
command line's spinner)."""


def pack_extras(scenario: Scenario, result: PlanResult, objective: str | None,
                options: SolverOptions | None, with_shares: bool = False,
                status: Status | None = None) -> tuple[Any, Any, Any]:
    """The pack's analyses beside the plan: the red-line sensitivity with who gains and why
    each left-out intervention is left out (when there is a plan), and with `with_shares`
    the fair shares (one solve per group of partners)."""
    if not result.has_plan:
        return None, None, None
    from dataclasses import replace

    from pbo.optimizer.analyses.sensitivity import sensitivity
    from pbo.optimizer.analyses.unfunded import unfunded_reasons

    step = status or (lambda _what: contextlib.nullcontext())
    options = replace(options or SolverOptions(), check_binding=False)
    with step("Relaxing each red line…"):
        sens = sensitivity(scenario, objective=objective, options=options, marginals=False) \
            if scenario.red_lines else None
    shares = None
    if with_shares:
        from pbo.optimizer.analyses.shares import shares as run_shares

        with step("Solving every group of partners…"):
            shares = run_shares(scenario, actual={p.id: p.net_cashable_savings_npv
                                                  for p in result.partners}, options=options)
    why = "Finding why each left-out intervention is left out"
    with step(f"{why}…") as shown:
        update = getattr(shown, "update", None)  # the command line's spinner: a count
        unfunded = unfunded_reasons(result, scenario, options, None if update is None else
                                    lambda k, n: update(f"{why} ({k} of {n})…"))
    return sens, shares, unfunded


def report(scenario: Scenario, out: Path | str | None = None, *, objective: str | None = None,
           options: SolverOptions | None = None, result: PlanResult | None = None,
           shares: bool = False, alternatives: int = 0, slack: float = 0.02,
           status: Status | None = None) -> str:
    """The decision pack of `scenario` (`pbo report`): one HTML page for a board, returned as
    text; with `out` (.html or .htm) also written there, atomically.

    `result` is a plan of `scenario` already solved (otherwise it is solved here, with
    `objective` and `options`); when it has no plan because the scenario is infeasible the
    page says why, as `pbo explain` would. The pack also relaxes each red line (who gains)
    and says why each left-out intervention is left out; `shares` adds the fair shares, and
    `alternatives` = K up to K near-optimal alternatives within `slack` of the best.

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
    step = status or (lambda _what: contextlib.nullcontext())
    why = None
    if result.status == "infeasible":
        from pbo.optimizer.explain.infeasible import explain

        with step("No plan: explaining why…"):
            why = explain(scenario, solver=options, objective=objective)
    found = None
    if alternatives and result.has_plan:
        from dataclasses import replace

        from pbo.optimizer.analyses.alternatives import alternatives as find

        with step("Finding near-optimal alternatives…"):
            found = find(scenario, slack=slack, count=alternatives, objective=objective,
                         options=replace(options or SolverOptions(), check_binding=False))
    page = decision_pack(result, scenario, why,
                         *pack_extras(scenario, result, objective, options, shares, status),
                         alternatives=found)
    if target is not None:
        write_atomic(target, lambda tmp: tmp.write_text(page, encoding="utf-8"))
    return page
