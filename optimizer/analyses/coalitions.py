"""The partnership as a cooperative game (docs/FORMULATION.md, "Cooperative fair shares").

The value v(S) of a coalition S of partners is the best total discounted net cashable saving
its members can reach by pooling only their own budgets, under the red lines and targets that
concern them alone:

- non-members pay nothing (their funding columns are fixed at 0) and their benefits are left
  out of the objective (they still receive them, but they are not the coalition's);
- a row that names a partner (its budget, its targets, a red line on it) holds only when that
  partner is a member;
- prohibitions that name no partner (exclude_intervention, spend_cap) hold for every
  coalition; obligations that name no partner (must_fund, partnership-wide targets) hold only
  for the whole partnership;
- the scenario's cost-sharing rule does not bind a coalition (its members split as they wish);
- a coalition other than the whole partnership may always do nothing and net 0, so
  v(S) = max(0, its best plan), and 0 when its members' targets cannot be met alone.

The grand model is built and loaded into HiGHS once; each coalition is a set of direct, undone
edits of that model (column bounds, freed rows, objective costs) and a re-solve with no warm
state from the last. Many coalitions at once run on the ensemble runner (coalition_job).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyomo.core as pyo

from pbo.models.errors import InfeasibleError, SolverError
from pbo.models.scenario import Scenario
from pbo.optimizer.formulation.build import BuiltModel, build_model
from pbo.optimizer.solving.held import net_rows
from pbo.optimizer.solving.highs import HighsSession, SolverOptions

ALL, GRAND, NEVER = "all", "grand", "never"
"""Row scopes that name no partner: every coalition, the whole partnership only, none."""
PROHIBITIONS = {"exclude_intervention", "spend_cap"}


@dataclass(frozen=True)
class Scope:
    kind: str
    """ALL, GRAND, NEVER or 'partner'."""
    partner: str = ""

    def applies(self, members: frozenset[str], grand: bool) -> bool:
        if self.kind == "partner":
            return self.partner in members
        return self.kind == ALL or (self.kind == GRAND and grand)


def row_scopes(built: BuiltModel) -> dict[Any, Scope]:
    """Every constraint row of the model whose scope is not ALL, with its scope."""
    m, sc = built.m, built.data.scenario
    target = {t.id: t for t in sc.targets}
    red = {r.id: r for r in sc.red_lines}
    out: dict[Any, Scope] = {}
    for con in m.component_objects(pyo.Constraint, active=True):
        name = con.local_name
        for key, row in con.items():
            if name == "cost_sharing":
                out[row] = Scope(NEVER)
            elif name == "budget_limit":
                out[row] = Scope("partner", key[0])
            elif name == "target":
                owner = target[key[0]].partner
                out[row] = Scope("partner", owner) if owner else Scope(GRAND)
            elif name == "red_line":
                rule = red[key[0]]
                owner = getattr(rule, "partner", None)
                if owner:
                    out[row] = Scope("partner", owner)
                elif rule.rule not in PROHIBITIONS:
                    out[row] = Scope(GRAND)
    return out


def member_costs(session: HighsSession, members: frozenset[str]) -> dict[int, float]:
    """Objective of a coalition, by HiGHS column: its members' discounted cashable benefit
    per unit, less their discounted payments."""
    coef: dict[int, float] = defaultdict(float)
    for p, row in net_rows(session).items():
        if p in members:
            for c, k in row.items():
                coef[c] += k
    return dict(coef)


@dataclass
class CoalitionGame:
    """v(S) for any coalition S, each solved once on one loaded model and remembered."""

    scenario: Scenario
    options: SolverOptions = field(default_factory=lambda: SolverOptions(check_binding=False))
    values: dict[frozenset[str], float] = field(default_factory=dict)
    unreachable: set[frozenset[str]] = field(default_factory=set)
    """Coalitions whose members' targets and red lines cannot all be met by them alone."""
    seconds: float = 0.0
    remote_solves: int = 0
    """Coalitions solved in other processes (coalition_job): not in this session's runs."""

    def __post_init__(self) -> None:
        started = time.perf_counter()
        self.built = build_model(self.scenario, "net_cashable_savings", "full")  # fund[p,i,t]
        self.session = HighsSession(self.built, self.options)
        self.partners: tuple[str, ...] = tuple(p.id for p in self.scenario.partners)
        self.grand = frozenset(self.partners)
        self._scopes = [(self.session.row_of(row), scope)
                        for row, scope in row_scopes(self.built).items()]
        m = self.built.m
        self._fund_cols: dict[str, list[int]] = defaultdict(list)
        for p, i, t in self.built.data.fund_index:
            self._fund_cols[p].append(self.session.col_of(m.fund[p, i, t]))
        self.values[frozenset()] = 0.0
        self.seconds = time.perf_counter() - started

    @property
    def solves(self) -> int:
        return self.session.runs + self.remote_solves

    def value(self, members: frozenset[str] | set[str] | tuple[str, ...]) -> float:
        members = frozenset(members)
        if members not in self.values:
            started = time.perf_counter()
            self.values[members] = self._solve(members)
            self.seconds += time.perf_counter() - started
        return self.values[members]

    def _solve(self, members: frozenset[str]) -> float:
        grand = members == self.grand
        session = self.session
        outsiders = [c for p in self.partners if p not in members for c in self._fund_cols[p]]
        freed = [row for row, scope in self._scopes if not scope.applies(members, grand)]
        costs = member_costs(session, members)
        session.highs.clearSolver()  # no warm state: a value does not depend on the last
        with session.edits() as edits:
            edits.set_col_bounds(outsiders, [0.0] * len(outsiders), [0.0] * len(outsiders))
            edits.free_rows(freed)
            edits.set_objective(costs, maximise=True)
            outcome = session.run()
            if outcome.has_solution:
                x = session.highs.getSolution().col_value
                best = sum(k * x[c] for c, k in costs.items())
        if not outcome.has_solution:
            if outcome.status not in ("infeasible", "unbounded") or grand:
                if grand and outcome.status == "infeasible":
                    raise InfeasibleError("the partnership as a whole has no plan that meets "
                                          "its targets and red lines: no shares to compute "
                                          "(`pbo explain` says why)")
                raise SolverError(f"HiGHS stopped without a plan for the coalition "
                                  f"{', '.join(sorted(members))} ({outcome.message})")
            self.unreachable.add(members)
            return 0.0
        return best if grand else max(0.0, best)
