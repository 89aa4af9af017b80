"""Red-line sensitivity (SPEC section 4): what each red line costs the partnership.

The model is built once and loaded into HiGHS once (per worker: the relaxations run on the
ensemble runner, pbo.optimizer.analyses.sensitivity_job). Each red line is relaxed by freeing
its rows in the loaded HiGHS model (the same direct, undone edit `plan.check_binding` uses,
which is equivalent to deactivating the Pyomo rows), re-solved from the base plan as a MIP
start, and its rows restored. Nothing is rebuilt.

`value` is the objective gained by relaxing the red line (for min_cost: the cost saved). When
the base scenario is infeasible and relaxing a red line makes it feasible, the status is
`unblocks` and `value` is None (JSON null): there is no base objective to measure against,
and such a red line ranks above every finite value.
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from pbo.models.io.loading import scenario_sha256
from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario
from pbo.optimizer.analyses.marginals import Marginal, marginal_values
from pbo.optimizer.formulation.build import BuiltModel
from pbo.optimizer.solving.binding import Verdict, run_against
from pbo.optimizer.solving.highs import HighsSession, Outcome, SolverOptions, restore
from pbo.optimizer.solving.plan import (
    FAIRNESS_TOLERANCE,
    fairness_stage,
    make_result,
    objective_value,
    red_line_rows,
    with_manifest,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class BaseSolve:
    status: str
    objective: float | None


@dataclass(frozen=True)
class RedLineValue:
    """One red line relaxed on its own."""

    id: str
    rule: str
    owner: str
    negotiable: bool
    status: str
    """optimal | unblocks | infeasible | time_limit | unbounded | error."""
    objective: float | None
    value: float | None
    """Objective gained by relaxing it (min_cost: cost saved); None when not measurable."""
    description: str = ""
    partner_gains: dict[str, float] | None = None
    """Each partner's change in discounted net cashable savings, the cost-sharing rule
    re-applied to the relaxed plan (None when there is no base plan or relaxed plan)."""
    verdict: str | None = None
    """no_change | all_gain | all_gain_if_resplit | someone_loses."""
    smallest_gain: float | None = None
    """The largest smallest partner gain any split of the relaxed plan gives."""
    resplit: dict[str, float] | None = None
    """Under that split, what each partner pays (NPV) more than under the rule."""
    partners_words: str = ""
    partners_short: str = ""


@dataclass(frozen=True)
class PairValue:
    """Two red lines relaxed together; interaction = pair value - the two single values."""

    first: str
    second: str
    status: str
    objective: float | None
    value: float | None
    interaction: float | None
    """Positive: complements (worth more together); negative: substitutes."""


@dataclass(frozen=True)
class SensitivityResult:
    objective_name: str
    base: BaseSolve
    red_lines: tuple[RedLineValue, ...]
    pairs: tuple[PairValue, ...] = ()
    marginals: tuple[Marginal, ...] = ()
    currency: str = "GBP"
    timings: dict[str, float] = field(default_factory=dict)
    """build, load (into HiGHS), highs (HiGHS run time over every solve), total seconds."""
    plan: PlanResult | None = None
    """The base plan as `pbo solve` gives it (when asked for), for the results workbook."""
    annuity: float = 1.0
    """Sum of the discount factors: a horizon value / annuity is its equivalent a year."""
    owners: dict[str, str] = field(default_factory=dict)
    """Red line id -> 'description (owner)' for labels."""
    headline: str = ""

    def table(self) -> pd.DataFrame:
        """One row per red line, ranked by value."""
        return _frame(self.red_lines, ["id", "rule", "owner", "negotiable", "status",
                                       "objective", "value", "description", "verdict",
                                       "smallest_gain", "partners_words"])

    def pairs_table(self) -> pd.DataFrame:
        return _frame(self.pairs, ["first", "second", "status", "objective", "value",
                                   "interaction"])

    def marginals_table(self) -> pd.DataFrame:
        return _frame(self.marginals, ["kind", "id", "period", "bound", "level", "dual",
                                       "range_low", "range_high", "words"])

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables: base (one row), red_lines (ranked), pairs, marginals."""
        base = _frame([self], ["objective_name", "status", "objective"],
                      {"status": lambda r: r.base.status, "objective": lambda r: r.base.objective})
        return {"base": base, "red_lines": self.table(), "pairs": self.pairs_table(),
                "marginals": self.marginals_table()}

    def to_json(self, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
        """SPEC section 4: {base, red_lines} (plus pairs, marginals and timings); its schema
        is `pbo.result_schema("sensitivity")`. `manifest` (`audit.analysis_manifest`): what
        `pbo audit` needs to re-run it."""
        def clean(row: dict[str, Any]) -> dict[str, Any]:
            return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in row.items()}

        return {
            **({"manifest": manifest} if manifest else {}),
            "objective_name": self.objective_name,
            "headline": self.headline,
            "base": {"status": self.base.status, "objective": self.base.objective},
            "red_lines": [clean(vars(r)) for r in self.red_lines],
            "pairs": [clean(vars(p)) for p in self.pairs],
            "marginals": [clean(vars(m)) for m in self.marginals],
            "timings": self.timings,
        }


def _frame(rows: Sequence[Any], cols: list[str],
           read: dict[str, Callable[[Any], Any]] | None = None) -> pd.DataFrame:
    """A table with a row per item of `rows` and its attributes `cols` (`read` says how to
    get those that are not attributes); pandas imported only here, when a table is asked
    for (the decision pack never asks)."""
    import pandas as pd

    get = read or {}
    return pd.DataFrame([[get[c](r) if c in get else getattr(r, c) for c in cols]
                         for r in rows], columns=cols)


def _gain(built: BuiltModel, base: float, relaxed: float) -> float:
    """Objective gained (maximise) or cost saved (min_cost); solver noise shown as 0."""
    gain = relaxed - base if built.maximise else base - relaxed
    return 0.0 if abs(gain) <= FAIRNESS_TOLERANCE * max(1.0, abs(base)) else gain


def _relaxed(session: HighsSession, ids: tuple[str, ...], base: BaseSolve,
             snapshot: dict[int, float | None]) -> tuple[str, float | None, float | None]:
    """(status, objective, value) with the rows of every red line in `ids` freed."""
    built, m = session.built, session.built.m
    rows = [session.row_of(r) for rid in ids for r in red_line_rows(m, rid)]
    restore(m, snapshot)
    if not rows and base.status != "infeasible":
        return base.status, base.objective, 0.0 if base.objective is not None else None
    with session.edits() as edits:
        edits.free_rows(rows)
        outcome: Outcome = (run_against(session, base.objective) if base.objective is not None
                            else session.run())
    objective = objective_value(built) if outcome.has_solution else None
    if objective is None:
        return outcome.status, None, None
    if base.objective is None:
        status = "unblocks" if base.status == "infeasible" else outcome.status
        return status, objective, None
    return outcome.status, objective, _gain(built, base.objective, objective)


def _rank_key(r: RedLineValue) -> tuple[int, float]:
    if r.status == "unblocks":
        return (0, 0.0)
    if r.value is None:
        return (2, 0.0)
    return (1, -r.value)


def sensitivity(scenario: Scenario, *, include_non_negotiable: bool = False, pairs: int = 0,
                objective: str | None = None, options: SolverOptions | None = None,
                marginals: bool = True, plan: bool = False, progress: Callable[[int, int], None] | None = None,
                input_sha256: str | None = None, overrides: Iterable[tuple[str, Any]] = (),
                input_file: str | None = None, workers: int = 1,
                scheduler: str | None = None) -> SensitivityResult:
    """The base solve, then each (negotiable) red line relaxed on its own, ranked by value.

    `pairs` = K > 1: every pair among the top K red lines is also relaxed together.
    `marginals`: the duals of budgets, targets and max_share / spend_cap red lines from the
    LP with the integer decisions fixed at the base optimum (when the base has a plan).
    `progress(done, total)` is called after each re-solve.
    `plan`: also return the base plan as `pbo.optimizer.solving.highs` would (who pays, which red lines
    bind; the red lines left out of the ranking are relaxed once more for that), with the
    manifest built from `input_sha256`, `overrides` and `input_file`.
    `workers` / `scheduler`: run the relaxations on local worker processes or a Dask cluster
    (pbo.optimizer.analyses.sensitivity_job); by default, in this process. Same results.
    """
    from pbo.optimizer.analyses.sensitivity_job import RelaxJob, base_state
    from pbo.optimizer.ensemble.runner import check_workers, run_ensemble, start_workers

    check_workers(workers)
    if not scheduler:
        start_workers(workers)  # worker processes' imports while the base is solved
    options = options or SolverOptions(check_binding=False)
    started = time.perf_counter()
    state = base_state(scenario, objective, options)
    built, session, first, base = state.built, state.session, state.first, state.base
    snapshot = state.snapshot
    chosen = [r for r in scenario.red_lines if r.negotiable or include_non_negotiable]
    top = min(pairs, len(chosen)) if pairs > 1 else 0
    total = len(chosen) + top * (top - 1) // 2
    remote = {"highs": 0.0, "runs": 0.0}

    def tick(done: int) -> Callable[[int, int], None] | None:
        """The runner's (k, n) as (done + k, total), once per relaxation (not the k = 0)."""
        if progress is None:
            return None
        report = progress
        return lambda k, _n: report(done + k, total) if k else None

    def relax_all(tasks: Sequence[tuple[str, ...]], done: int) -> list[dict[str, Any]]:
        """Every task's relaxation on the ensemble runner (this process by default)."""
        if not tasks:
            return []
        job = RelaxJob.of(scenario, objective, options, tasks)
        run = run_ensemble(job, len(tasks), workers=workers, scheduler=scheduler,
                           state=state, progress=tick(done))
        away = [r for r in run.results if r["pid"] != os.getpid()]  # not in this session
        remote["highs"] += sum(r["highs"] for r in away)
        remote["runs"] += sum(r["runs"] for r in away)
        return run.results

    singles = [row["value"] for row in relax_all([(r.id,) for r in chosen], 0)]
    ranked = tuple(sorted(singles, key=_rank_key))
    pair_rows = []
    if top:
        single = {r.id: r for r in ranked}
        both = list(itertools.combinations([r.id for r in ranked[:top]], 2))
        for (a, b), row in zip(both, relax_all(both, len(chosen)), strict=True):
            status, obj, value = row["relaxed"]
            va, vb = single[a].value, single[b].value
            inter = (value - va - vb if value is not None and va is not None
                     and vb is not None else None)
            pair_rows.append(PairValue(first=a, second=b, status=status, objective=obj,
                                       value=value, interaction=inter))
    restore(built.m, snapshot)
    duals: tuple[Marginal, ...] = ()
    if marginals and base.objective is not None:
        duals = tuple(marginal_values(session, snapshot))
        restore(built.m, snapshot)
    result = None
    if plan:
        binding = {r.id: Verdict(r.value is not None and r.value > 0, r.objective, r.objective)
                   for r in singles}  # relaxed optima proved: bound = objective
        if base.objective is not None:
            for rule in scenario.red_lines:
                if rule.id not in binding:
                    _, obj, value = _relaxed(session, (rule.id,), base, snapshot)
                    binding[rule.id] = Verdict(value is not None and value > 0, obj, obj)
            restore(built.m, snapshot)
            fairness_stage(session)
        result = with_manifest(
            make_result(built, first, session, binding, options, started,
                        input_sha256 or scenario_sha256(scenario), list(overrides)),
            scenario, input_file)
    timings = {"build": built.build_seconds, "load": session.load_seconds,
               "highs": session.highs_seconds + remote["highs"],
               "runs": float(session.runs) + remote["runs"],
               "total": time.perf_counter() - started}
    from pbo.optimizer.analyses.redline_gains import headline, label

    out = SensitivityResult(objective_name=built.objective, base=base, red_lines=ranked,
                            pairs=tuple(pair_rows), marginals=duals,
                            currency=scenario.currency, timings=timings, plan=result,
                            annuity=sum(built.data.discount.values()),
                            owners={r.id: label(r) for r in scenario.red_lines})
    return replace(out, headline=headline(out, scenario))


def _for_partners(session: HighsSession, rule: Any, base: BaseSolve, today: dict[str, float],
                  snapshot: dict[int, float | None], apply_rule: Any) -> RedLineValue:
    """One red line relaxed, with who gains and whether a re-split makes everyone gain."""
    from pbo.optimizer.analyses.redline_gains import in_words, relax_for_partners
    from pbo.optimizer.present.tables import money

    built = session.built
    sc = built.data.scenario
    outcome, obj, gains = relax_for_partners(session, rule.id, today, snapshot, apply_rule)
    value = None if obj is None or base.objective is None else _gain(built, base.objective, obj)
    words, short = ("", "") if gains is None else in_words(
        gains, {p.id: p.label for p in sc.partners}, lambda v: money(v, sc.currency))
    return RedLineValue(
        id=rule.id, rule=rule.rule, owner=rule.owner, negotiable=rule.negotiable,
        status=outcome.status, objective=obj, value=value, description=rule.description,
        partner_gains=None if gains is None else gains.gains,
        verdict=None if gains is None else gains.verdict,
        smallest_gain=None if gains is None else gains.smallest,
        resplit=None if gains is None else gains.split_pays, partners_words=words,
        partners_short=short)


def sensitivity_view(result: SensitivityResult) -> Any:
    """Rich tables: red lines ranked by value, pairs, and marginal values in words."""
    from rich.console import Group
    from rich.table import Table

    from pbo.optimizer.present.tables import money

    cur = result.currency
    head = (f"Base: {result.base.status}, {result.objective_name} = "
            f"{money(result.base.objective, cur)}")
    ranked = Table(title="Red lines ranked by value of relaxing them", title_justify="left",
                   caption=head)
    for col in ("red line", "owner", "value", "for the partners"):
        ranked.add_column(col, justify="right" if col == "value" else "left",
                          overflow="fold", no_wrap=col == "value")
    for r in result.red_lines:
        value = "unblocks" if r.status == "unblocks" else money(r.value, cur)
        if r.status not in ("optimal", "unblocks"):
            value += f" ({r.status})"
        name = f"{r.description} [{r.id}]" if r.description else r.id
        if not r.negotiable:
            name += " (not negotiable)"
        ranked.add_row(name, r.owner, value, r.partners_words)
    from rich.text import Text

    from pbo.optimizer.present.terminal import safe_text

    parts: list[Any] = [safe_text(result.headline, style="bold")] if result.headline else []
    parts.append(ranked)
    if result.base.status == "infeasible" and not any(r.status == "unblocks"
                                                      for r in result.red_lines):
        parts.append(Text("No single red line, relaxed alone, makes the scenario feasible. "
                          "`pbo explain` names the conflicting statements and the smallest "
                          "set of red lines whose relaxation does.", style="yellow"))
    if result.pairs:
        pairs = Table(title="Pairs relaxed together (interaction > 0: complements, < 0: "
                      "substitutes)", title_justify="left")
        for col in ("red lines", "status", "value", "interaction"):
            pairs.add_column(col, justify="left" if col in ("red lines", "status") else "right", overflow="fold")
        for p in result.pairs:
            pairs.add_row(f"{p.first} + {p.second}", p.status, money(p.value, cur),
                          money(p.interaction, cur))
        parts.append(pairs)
    binding = [mv for mv in result.marginals if mv.dual != 0.0]
    if binding:
        slack = len(result.marginals) - len(binding)
        marg = Table(title="What one more £ (or unit) is worth, with this plan's choices held",
                     title_justify="left", caption=f"{slack} other budgets, targets and caps "
                     "have room to spare: one more is worth nothing." if slack else None)
        for col in ("what", "year", "meaning"):
            marg.add_column(col, overflow="fold")
        for mv in sorted(binding, key=lambda x: -abs(x.dual)):
            marg.add_row(f"{mv.kind.replace('_', ' ')} {mv.id}", mv.period, mv.words)
        parts.append(marg)
    return Group(*parts)


def write_tornado(result: SensitivityResult, path: Any) -> None:
    """A tornado-style bar chart of the values: .html (inline SVG) or .png."""
    from pbo.optimizer.present.charts import write_bar_chart
    from pbo.optimizer.present.tables import money

    rows = [r for r in result.red_lines if r.value is not None]
    gain = "cost saved" if result.objective_name == "min_cost" else "objective gained"
    write_bar_chart(path, [tornado_label(r) for r in rows],
                    [float(r.value or 0.0) for r in rows],
                    result.headline or "Value of relaxing each red line",
                    lambda v: money(v, result.currency),
                    f"{gain} by relaxing it ({result.objective_name.replace('_', ' ')})")


def tornado_label(r: RedLineValue, width: int = 60) -> str:
    """'description (owner) [id]', cut to `width` characters."""
    text = r.description or r.id
    text = f"{text} ({r.owner})" if r.owner else text
    if r.description:
        text += f" [{r.id}]"
    return text if len(text) <= width else text[:width - 1] + "…"
