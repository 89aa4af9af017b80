"""Cooperative fair shares: what each partner brings to the pool (docs/FORMULATION.md).

- Shapley value, exactly by enumerating every coalition (up to EXACT_UP_TO partners) or by
  sampling orders of arrival (seeded), with a standard error;
- the least core by row generation: a master LP over the payoffs (highspy) and a separation
  problem that finds the most violated coalition (core_separation: a MILP with a membership
  binary per partner; or, for few partners, enumeration).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

import numpy as np

from pbo.models.errors import UsageError
from pbo.models.scenario import Scenario
from pbo.optimizer.analyses.coalitions import CoalitionGame
from pbo.optimizer.solving.highs import SolverOptions

EXACT_UP_TO = 12
"""Partners up to which the Shapley value is computed exactly (2^n coalitions)."""
ENUMERATE_UP_TO = 10
"""Partners up to which the least core's separation enumerates coalitions (else a MILP)."""
CONFIDENCE_Z = 1.96
"""A sampled Shapley value is given with a 95% interval: estimate +/- 1.96 standard errors."""


@dataclass(frozen=True)
class Shapley:
    values: dict[str, float]
    se: dict[str, float]
    """Standard error of each value (0 when exact)."""
    exact: bool
    samples: int = 0


def shapley_exact(game: CoalitionGame) -> Shapley:
    """phi_p = sum over S not containing p of |S|!(n-|S|-1)!/n! (v(S+p) - v(S))."""
    partners = game.partners
    n = len(partners)
    weight = [math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
              for k in range(n)]
    phi = dict.fromkeys(partners, 0.0)
    for p in partners:
        others = [q for q in partners if q != p]
        for k in range(n):
            for rest in combinations(others, k):
                s = frozenset(rest)
                phi[p] += weight[k] * (game.value(s | {p}) - game.value(s))
    return Shapley(values=phi, se=dict.fromkeys(partners, 0.0), exact=True)


def shapley_sampled(game: CoalitionGame, samples: int, seed: int = 0) -> Shapley:
    """The mean marginal contribution over `samples` random orders of arrival (seeded);
    coalitions met twice are solved once."""
    if samples < 2:
        raise UsageError("--samples: at least 2 orders of arrival")
    partners = game.partners
    draws: dict[str, list[float]] = {p: [] for p in partners}
    for order in arrival_orders(partners, samples, seed):
        before: frozenset[str] = frozenset()
        v_before = 0.0
        for p in order:
            now = before | {p}
            v_now = game.value(now)
            draws[p].append(v_now - v_before)
            before, v_before = now, v_now
    values = {p: float(np.mean(x)) for p, x in draws.items()}
    se = {p: float(np.std(x, ddof=1) / math.sqrt(len(x))) for p, x in draws.items()}
    return Shapley(values=values, se=se, exact=False, samples=samples)


def arrival_orders(partners: tuple[str, ...], samples: int, seed: int) -> list[list[str]]:
    """The sampled Shapley value's orders of arrival (seeded)."""
    rng = np.random.default_rng(seed)
    return [[partners[k] for k in rng.permutation(len(partners))] for _ in range(samples)]


def coalitions_needed(partners: tuple[str, ...], method: str, exact: bool, samples: int,
                      seed: int, enumerate_core: bool) -> list[frozenset[str]]:
    """Every coalition value the shares will ask for that is known in advance (in a fixed
    order): all of them for the exact Shapley value or an enumerated least core; each order
    of arrival's prefixes for a sampled one; the least core's first cuts."""
    n = len(partners)
    out: list[frozenset[str]] = [frozenset(partners)]
    out += [frozenset([p]) for p in partners]
    if method in ("shapley", "both") and exact or method in ("core", "both") and enumerate_core:
        out += [frozenset(c) for k in range(2, n) for c in combinations(partners, k)]
    elif method in ("shapley", "both"):
        for order in arrival_orders(partners, samples, seed):
            out += [frozenset(order[:k]) for k in range(2, n)]
    if method in ("core", "both") and n > 1:
        out += [frozenset(partners) - {p} for p in partners]
    return out


@dataclass(frozen=True)
class LeastCore:
    payoffs: dict[str, float]
    epsilon: float
    """Largest shortfall any coalition is left with: x(S) >= v(S) - epsilon for every S."""
    most_violated: tuple[str, ...]
    """The certificate: the coalition with the largest shortfall under the payoffs."""
    shortfall: float
    """v(S) - x(S) for that coalition (at most epsilon, up to the tolerance)."""
    rounds: int
    cuts: int
    oracle: str
    separation_solves: int = 0
    cut_sets: tuple[frozenset[str], ...] = ()
    """The coalitions in the master LP at the end (those that shape the least core)."""


class WorstCoalition:
    """The separation problem: a proper coalition S with v(S) - x(S) above eps (the most
    violated, once none is above): enumeration of the remembered values for few partners,
    the membership MILP (core_separation) beyond."""

    def __init__(self, game: CoalitionGame,
                 oracle: Literal["auto", "enumerate", "milp"] = "auto"):
        from pbo.optimizer.analyses.core_separation import Separation

        self.game = game
        if oracle == "auto":
            oracle = "enumerate" if len(game.partners) <= ENUMERATE_UP_TO else "milp"
        self.separation = Separation(game) if oracle == "milp" else None

    @property
    def kind(self) -> str:
        return "milp" if self.separation is not None else "enumerate"

    @property
    def solves(self) -> int:
        return self.separation.session.runs if self.separation is not None else 0

    def shortfall(self, s: frozenset[str], x: dict[str, float]) -> float:
        return self.game.value(s) - sum(x[p] for p in s)

    def __call__(self, x: dict[str, float], eps: float, tol: float) -> frozenset[str]:
        if len(self.game.partners) < 2:
            return frozenset()  # no proper coalition
        if self.separation is not None:
            worst = self.separation.most_violated(x, quick=True)  # any violated one is a cut
            if self.shortfall(worst, x) <= eps + tol:
                worst = self.separation.most_violated(x)  # none found quickly: prove it
            return worst
        partners = self.game.partners
        return max((frozenset(c) for k in range(1, len(partners))
                    for c in combinations(partners, k)), key=lambda s: self.shortfall(s, x))


def least_core(game: CoalitionGame, oracle: Literal["auto", "enumerate", "milp"] = "auto",
               max_rounds: int = 500, finder: WorstCoalition | None = None) -> LeastCore:
    """min eps s.t. sum_p x_p = v(N), x(S) >= v(S) - eps for every proper coalition S, by
    row generation: the master LP holds the coalitions found so far (at first, every partner
    alone, and every partner leaving); the separation problem finds a coalition short by more
    than eps; it joins the master until none is."""
    import highspy

    partners = game.partners
    n = len(partners)
    grand = game.value(game.grand)
    tol = 1e-6 * max(1.0, abs(grand))
    if n == 1:  # no proper coalition: the one partner gets everything
        return LeastCore(payoffs={partners[0]: grand}, epsilon=0.0, most_violated=(),
                         shortfall=0.0, rounds=0, cuts=0, oracle="none")
    finder = finder or WorstCoalition(game, oracle)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    for _ in range(n + 1):  # x_p free, then eps free; minimise eps
        h.addVar(-inf, inf)
    h.changeColCost(n, 1.0)
    h.addRow(grand, grand, n, np.arange(n, dtype=np.int32), np.ones(n))
    index = {p: k for k, p in enumerate(partners)}

    def cut(s: frozenset[str]) -> None:
        cols = np.array([index[p] for p in s] + [n], dtype=np.int32)
        h.addRow(game.value(s), inf, len(cols), cols, np.ones(len(cols)))

    # start from every partner alone and every partner leaving (all the others together):
    # cheap coalition solves that save separation rounds
    cuts = {frozenset([p]) for p in partners} | {game.grand - {p} for p in partners}
    for s in cuts:
        cut(s)
    rounds = 0
    while True:
        rounds += 1
        h.run()
        sol = list(h.getSolution().col_value)
        x = {p: sol[index[p]] for p in partners}
        eps = sol[n]
        worst = finder(x, eps, tol)
        gap = finder.shortfall(worst, x)
        if gap <= eps + tol or worst in cuts or rounds >= max_rounds:
            break
        cuts.add(worst)
        cut(worst)
    return LeastCore(payoffs=x, epsilon=eps, most_violated=tuple(sorted(worst)),
                     shortfall=gap, rounds=rounds, cuts=len(cuts), oracle=finder.kind,
                     separation_solves=finder.solves, cut_sets=tuple(cuts))


@dataclass(frozen=True)
class PartnerShare:
    id: str
    name: str
    standalone: float
    shapley: float | None
    shapley_se: float | None
    core: float | None
    actual: float | None


@dataclass(frozen=True)
class SharesResult:
    grand_value: float
    partners: tuple[PartnerShare, ...]
    epsilon: float | None
    most_violated: tuple[str, ...]
    shortfall: float | None
    method: str
    exact: bool
    samples: int
    confidence: str
    unreachable: int
    solves: int
    seconds: float
    currency: str = "GBP"
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "grand_value": self.grand_value,
            "partners": [{"id": p.id, "standalone": p.standalone, "shapley": p.shapley,
                          "shapley_se": p.shapley_se, "core": p.core, "actual": p.actual}
                         for p in self.partners],
            "epsilon": self.epsilon, "most_violated": list(self.most_violated),
            "shortfall": self.shortfall, "method": self.method, "exact": self.exact,
            "samples": self.samples, "confidence": self.confidence,
            "unreachable_coalitions": self.unreachable, "solves": self.solves,
            "seconds": self.seconds,
        }

    def tables(self) -> dict[str, Any]:
        import pandas as pd

        rows = [vars(p) for p in self.partners]
        summary = pd.DataFrame([{"grand_value": self.grand_value, "epsilon": self.epsilon,
                                 "most_violated": ", ".join(self.most_violated),
                                 "shortfall": self.shortfall, "method": self.method,
                                 "confidence": self.confidence, "solves": self.solves,
                                 "seconds": self.seconds}])
        return {"Shares": pd.DataFrame(rows), "Summary": summary}


def shares(scenario: Scenario, method: Literal["shapley", "core", "both"] = "both",
           samples: int | None = None, seed: int = 0, actual: dict[str, float] | None = None,
           options: SolverOptions | None = None,
           oracle: Literal["auto", "enumerate", "milp"] = "auto", workers: int = 1,
           scheduler: str | None = None,
           progress: Callable[[int, int], None] | None = None) -> SharesResult:
    """Stand-alone values, Shapley values and the least core, side by side with each
    partner's `actual` net cashable saving in the plan (when given).

    The coalition values known in advance are solved first on the ensemble runner
    (coalition_job): in this process by default, on `workers` local processes, or on a
    Dask cluster (`scheduler`), with the same values; `progress(done, total)` after each."""
    from pbo.optimizer.analyses.coalition_job import solve_coalitions
    from pbo.optimizer.ensemble.runner import check_workers, start_workers

    check_workers(workers)
    if not scheduler:
        start_workers(workers)  # worker processes' imports while the game is built
    started = time.perf_counter()
    game = CoalitionGame(scenario, options or SolverOptions(check_binding=False))
    n = len(game.partners)
    exact = samples is None and n <= EXACT_UP_TO
    enumerate_core = oracle == "enumerate" or oracle == "auto" and n <= ENUMERATE_UP_TO
    needed = coalitions_needed(game.partners, method, exact, samples or 200 * n, seed,
                               enumerate_core)
    game.remote_solves += solve_coalitions(game, needed, workers, scheduler, progress)
    grand = game.value(game.grand)
    standalone = {p: game.value({p}) for p in game.partners}
    shap: Shapley | None = None
    if method in ("shapley", "both"):
        shap = (shapley_exact(game) if exact
                else shapley_sampled(game, samples or 200 * n, seed))
    core = least_core(game, oracle) if method in ("core", "both") else None
    names = {p.id: p.label for p in scenario.partners}
    rows = tuple(PartnerShare(
        id=p, name=names[p], standalone=standalone[p],
        shapley=shap.values[p] if shap else None, shapley_se=shap.se[p] if shap else None,
        core=core.payoffs[p] if core else None,
        actual=None if actual is None else actual.get(p)) for p in game.partners)
    confidence = ("exact" if shap is None or shap.exact else
                  f"sampled over {shap.samples} orders of arrival (seed {seed}): each value "
                  f"within {CONFIDENCE_Z} standard errors with 95% confidence")
    return SharesResult(
        grand_value=grand, partners=rows, epsilon=core.epsilon if core else None,
        most_violated=core.most_violated if core else (),
        shortfall=core.shortfall if core else None, method=method,
        exact=shap.exact if shap else True, samples=shap.samples if shap else 0,
        confidence=confidence, unreachable=len(game.unreachable),
        solves=game.solves + (core.separation_solves if core else 0),
        seconds=time.perf_counter() - started, currency=scenario.currency)


def shares_view(result: SharesResult) -> Any:
    """The partners side by side: alone, Shapley, least core, actual; then the certificate."""
    from rich.console import Group
    from rich.table import Table

    from pbo.optimizer.present.tables import money
    from pbo.optimizer.present.terminal import safe_text

    cur = result.currency
    table = Table(title="What each partner brings to the pool (discounted net cashable "
                  "savings)", title_justify="left")
    for col in ("partner", "alone", "Shapley", "least core", "in the plan"):
        table.add_column(col, justify="left" if col == "partner" else "right")
    for p in result.partners:
        shap = money(p.shapley, cur)
        if p.shapley is not None and not result.exact:
            shap += f" ± {money(CONFIDENCE_Z * (p.shapley_se or 0.0), cur)}"
        table.add_row(p.name, money(p.standalone, cur), shap if p.shapley is not None else "—",
                      money(p.core, cur) if p.core is not None else "—",
                      money(p.actual, cur) if p.actual is not None else "—")
    lines = [f"The whole partnership can reach {money(result.grand_value, cur)}."]
    if not result.exact:
        lines.append(f"Shapley values {result.confidence}.")
    if result.epsilon is not None:
        group = ", ".join(result.most_violated) or "none"
        if result.epsilon > 0.5:
            lines.append(f"No split satisfies every group: under the least-core split the "
                         f"group worst served ({group}) gets {money(result.epsilon, cur)} "
                         "less than it could reach alone, and no split does better.")
        else:
            lines.append(f"Under the least-core split every group of partners gets at least "
                         f"{money(max(0.0, -result.epsilon), cur)} more than it could reach "
                         f"alone (the group nearest walking away: {group}).")
    if result.unreachable:
        lines.append(f"{result.unreachable} groups cannot meet their own targets alone and "
                     "count as doing nothing (£0).")
    lines.append(f"{result.solves} solves in {result.seconds:.1f} s.")
    return Group(table, safe_text("\n".join(lines)))
