"""The cost-sharing rule `core`: who pays, so that each partner's net cashable saving is as
near its least-core payoff as budgets and eligibility allow (docs/FORMULATION.md).

After stage 1 the plan (every selection and unit) is held and, on the loaded HiGHS model, a
linear programme chooses who pays and which least-core split x to aim at, together: the
weighted sum n*D + sum_p |net_p - x_p| (D the largest gap) is minimised, x kept in the least
core (coalitions added as the separation problem finds x short of one). Whatever gap remains
is reported in plain words. `split_to_payoffs` aims at given payoffs instead.
"""

from __future__ import annotations

from typing import Any

from pbo.optimizer.analyses.shares import least_core
from pbo.optimizer.solving.held import hold_plan, net_rows
from pbo.optimizer.solving.highs import HighsSession, restore, values

REPORT_ABOVE = 0.5
"""A gap between a partner's net saving and its payoff is reported above this many £."""


def split_to_payoffs(session: HighsSession, payoffs: dict[str, float]) -> dict[str, float]:
    """Re-divide who pays for the plan in `session` (held) so that each partner's net
    cashable saving is nearest its payoff (min max gap, then min total gap); returns each
    partner's remaining gap (net saving - payoff). The plan's funding is left as found when
    the LP has no answer."""
    m = session.built.m
    rows = net_rows(session)
    before = values(m)
    inf = float("inf")
    with session.edits() as edits:
        hold_plan(session, edits)
        widest = edits.add_col(0.0, inf)
        gaps = {}
        for p, row in rows.items():
            over, under = edits.add_col(0.0, inf), edits.add_col(0.0, inf)
            gaps[p] = (over, under)
            edits.add_row(payoffs[p], payoffs[p], {**row, over: -1.0, under: 1.0})
            edits.add_row(-inf, 0.0, {over: 1.0, under: 1.0, widest: -1.0})
        edits.set_objective({widest: 1.0}, maximise=False)
        first = session.run()
        if not first.has_solution:
            restore(m, before)
            return {}
        largest = session.highs.getSolution().col_value[widest]
        edits.set_col_bounds([widest], [0.0], [largest * (1 + 1e-9) + 1e-9])
        edits.set_objective({c: 1.0 for pair in gaps.values() for c in pair}, maximise=False)
        if not session.run().has_solution:
            restore(m, before)
            edits.set_col_bounds([widest], [0.0], [inf])
            edits.set_objective({widest: 1.0}, maximise=False)
            session.run()
        x = session.highs.getSolution().col_value
        return {p: x[over] - x[under] for p, (over, under) in gaps.items()}


def split_to_least_core(session: HighsSession, game: Any, core: Any, finder: Any,
                        max_rounds: int = 50) -> tuple[dict[str, float], dict[str, float]]:
    """Who pays for the plan in `session` (held), and which least-core split to aim at, chosen
    together: payoffs x with sum v(N) and x(S) >= v(S) - eps* for every coalition, each
    partner's net saving as near its x_p as budgets allow (min n*D + sum of gaps, D the
    largest gap). Coalitions are added as the separation problem finds x short of one.
    Returns (gaps, x); ({}, payoffs) when the LP has no answer (funding left as found)."""
    m = session.built.m
    rows = net_rows(session)
    partners = list(rows)
    n = len(partners)
    eps = core.epsilon
    tol = 1e-6 * max(1.0, abs(sum(core.payoffs.values())))
    before = values(m)
    inf = float("inf")
    with session.edits() as edits:
        hold_plan(session, edits)
        widest = edits.add_col(0.0, inf)
        x_col = {p: edits.add_col(-inf, inf) for p in partners}
        grand = sum(core.payoffs.values())
        edits.add_row(grand, grand, {x_col[p]: 1.0 for p in partners})

        def cut(s: frozenset[str]) -> None:
            edits.add_row(game.value(s) - eps, inf, {x_col[p]: 1.0 for p in s})

        for s in core.cut_sets:
            cut(s)
        gaps = {}
        for p, row in rows.items():
            over, under = edits.add_col(0.0, inf), edits.add_col(0.0, inf)
            gaps[p] = (over, under)
            edits.add_row(0.0, 0.0, {**row, over: -1.0, under: 1.0, x_col[p]: -1.0})
            edits.add_row(-inf, 0.0, {over: 1.0, under: 1.0, widest: -1.0})
        edits.set_objective({widest: float(n), **{c: 1.0 for pair in gaps.values()
                                                  for c in pair}}, maximise=False)
        for _ in range(max_rounds):
            if not session.run().has_solution:
                restore(m, before)
                return {}, dict(core.payoffs)
            sol = session.highs.getSolution().col_value
            x = {p: float(sol[c]) for p, c in x_col.items()}
            worst = finder(x, eps, tol)
            if finder.shortfall(worst, x) <= eps + tol:
                break
            cut(worst)
        return {p: sol[over] - sol[under] for p, (over, under) in gaps.items()}, x


def core_stage(session: HighsSession) -> list[str]:
    """Under `cost_sharing: {rule: core}`: the least core of the partnership's game, then the
    split nearest it. Returns plain-word notes for the result's warnings."""
    sc = session.built.data.scenario
    if sc.cost_sharing.rule != "core" or not session.built.data.fund_index:
        return []
    from pbo.optimizer.analyses.coalitions import CoalitionGame
    from pbo.optimizer.analyses.shares import WorstCoalition

    game = CoalitionGame(sc, session.options)
    finder = WorstCoalition(game)
    core = least_core(game, finder=finder)
    gaps, _ = split_to_least_core(session, game, core, finder)
    cur = sc.currency
    from pbo.optimizer.present.tables import money

    group = ", ".join(core.most_violated) or "none"
    notes = [f"Cost sharing 'core': under the least-core split no group of partners could "
             f"reach more than {money(max(core.epsilon, 0.0), cur)} more on its own (the "
             f"group worst served: {group})."
             if core.epsilon > -REPORT_ABOVE else
             "Cost sharing 'core': under the least-core split every group of partners does "
             f"better in the partnership than alone, by at least {money(-core.epsilon, cur)}."]
    if not gaps:
        notes.append("Cost sharing 'core': the split could not be re-divided; the plan's "
                     "funding is stage 1's.")
        return notes
    off = {p: g for p, g in gaps.items() if abs(g) > REPORT_ABOVE}
    names = {p.id: p.label for p in sc.partners}
    if off:
        notes.append("Cost sharing 'core': budgets and who may fund what leave "
                     + "; ".join(f"{names[p]} {money(abs(g), cur)} "
                                 f"{'above' if g > 0 else 'below'} its fair share"
                                 for p, g in off.items()) + ".")
    return notes
