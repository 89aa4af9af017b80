"""The least core's separation problem: the coalition S with the largest v(S) - x(S), as one
MILP whose partners' membership is a binary z_p (so it scales past enumerating 2^n coalitions).

Built from a second copy of the grand model (docs/FORMULATION.md, "Least core"):
- fund[p,i,t] <= cap[i,t] z_p (cap: the most i can cost in t), so non-members pay nothing;
- w[p,i] = z_p units[i] (McCormick, exact for a binary z_p): members' benefits;
- a row that holds only for members of p is relaxed by big-M on the gate g_p = z_p and not
  idle, the bounds taken from the row's own variable bounds;
- `idle` lets a coalition do nothing (v(S) = max(0, best plan));
- 1 <= sum_p z_p <= n - 1 (a proper coalition); rows for the whole partnership only, and the
  cost-sharing rule, are dropped;
- maximise sum_{p,i} k[p,i] w[p,i] - sum d_t fund[p,i,t] - sum_p x_p z_p.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyomo.core as pyo
from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr

from pbo.models.errors import SolverError
from pbo.optimizer.analyses.coalitions import CoalitionGame, Scope, row_scopes
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.solving.highs import HighsSession

QUICK_SOLUTIONS = 3
"""Improving solutions after which a quick separation run stops."""


class Separation:
    """The MILP, built and loaded once; `most_violated(x)` changes only the z_p costs."""

    def __init__(self, game: CoalitionGame):
        sc = game.scenario
        built = build_model(sc, "net_cashable_savings", "full")  # fund[p,i,t] per partner
        m, d = built.m, built.data
        partners = list(d.partners)
        self.partners = partners
        m.objective.deactivate()
        upper = {iv.id: iv.max_units for iv in sc.interventions}
        for (_p, i, t), var in m.fund.items():
            var.setub(d.fixed_cost.get((i, t), 0.0) + d.unit_cost.get((i, t), 0.0) * upper[i])
        m.z = pyo.Var(partners, domain=pyo.Binary)
        m.idle = pyo.Var(domain=pyo.Binary)
        m.gate = pyo.Var(partners, bounds=(0, 1))
        m.gate_z = pyo.Constraint(partners, rule=lambda _m, p: m.gate[p] <= m.z[p])
        m.gate_busy = pyo.Constraint(partners, rule=lambda _m, p: m.gate[p] <= 1 - m.idle)
        m.gate_both = pyo.Constraint(partners,
                                     rule=lambda _m, p: m.gate[p] >= m.z[p] - m.idle)
        m.idle_select = pyo.Constraint(list(d.interventions),
                                       rule=lambda _m, i: m.select[i] <= 1 - m.idle)
        m.idle_units = pyo.Constraint(
            list(d.interventions), rule=lambda _m, i: m.units[i] <= upper[i] * (1 - m.idle))
        m.member_pays = pyo.Constraint(
            list(d.fund_index), rule=lambda _m, p, i, t: m.fund[p, i, t]
            <= (m.fund[p, i, t].ub or 0.0) * m.z[p])
        n = len(partners)
        m.proper = pyo.Constraint(expr=pyo.inequality(1, pyo.quicksum(m.z.values()), n - 1))
        k: dict[tuple[str, str], float] = defaultdict(float)
        for (p, i, t), c in d.cashable.items():
            k[p, i] += d.discount[t] * c
        pairs = [key for key, v in k.items() if v]
        m.w = pyo.Var(pairs, bounds=lambda _m, p, i: (0, upper[i]))
        m.w_z = pyo.Constraint(pairs, rule=lambda _m, p, i: m.w[p, i] <= upper[i] * m.z[p])
        m.w_units = pyo.Constraint(pairs, rule=lambda _m, p, i: m.w[p, i] <= m.units[i])
        m.w_low = pyo.Constraint(pairs, rule=lambda _m, p, i: m.w[p, i]
                                 >= m.units[i] - upper[i] * (1 - m.z[p]))
        self._gate_rows(m, row_scopes(built))
        m.separation = pyo.Objective(
            expr=pyo.quicksum(k[key] * m.w[key] for key in pairs)
            - pyo.quicksum(d.discount[t] * m.fund[p, i, t] for p, i, t in d.fund_index),
            sense=pyo.maximize)
        self.m = m
        self.session = HighsSession(built, game.options)
        self.z_cols = {p: self.session.col_of(m.z[p]) for p in partners}

    @staticmethod
    def _gate_rows(m: pyo.ConcreteModel, scopes: dict[Any, Scope]) -> None:
        """Rows for members only become big-M rows on their partner's gate; rows for the
        whole partnership only (and the cost-sharing rule) are dropped."""
        gated: list[Any] = []
        for row, scope in scopes.items():
            row.deactivate()
            if scope.kind != "partner":
                continue
            body = row.body
            low, high = compute_bounds_on_expr(body)
            g = m.gate[scope.partner]
            if row.has_lb():
                lb = pyo.value(row.lower)
                big = lb - (low if low is not None else -1e12)
                gated.append(body >= lb - max(0.0, big) * (1 - g))
            if row.has_ub():
                ub = pyo.value(row.upper)
                big = (high if high is not None else 1e12) - ub
                gated.append(body <= ub + max(0.0, big) * (1 - g))
        if gated:
            m.gated = pyo.Constraint(range(len(gated)), rule=lambda _m, k: gated[k])

    def most_violated(self, x: dict[str, float], quick: bool = False) -> frozenset[str]:
        """The proper coalition with the largest v(S) - x(S) (its members' z_p = 1). With
        `quick`, HiGHS stops at its QUICK_SOLUTIONS-th improving solution: a good coalition,
        not proven the worst (enough for a cut)."""
        h = self.session.highs
        for p, col in self.z_cols.items():
            h.changeColCost(col, -x[p])
        h.setOptionValue("mip_max_improving_sols", QUICK_SOLUTIONS if quick else 2 ** 31 - 1)
        outcome = self.session.run()
        if not outcome.has_solution:
            raise SolverError(f"the search for the coalition worst served found no answer "
                              f"({outcome.message})")
        return frozenset(p for p in self.partners if (self.m.z[p].value or 0.0) > 0.5)
