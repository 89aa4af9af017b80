"""Conflict sets and the cheapest unblock: model rows mapped back to scenario statements.

A *statement* is what a user wrote and could change: a target, a red line (a must_fund one
is reported as kind must_fund), a partner's budget in one year, a requires/excludes link.
Every other row (unit limits, cost met, cost sharing) is structural: always kept, never
listed. Relaxing a statement frees its rows in the loaded HiGHS model (pbo.optimizer.solving.edits.Edits)
and re-solves; nothing is rebuilt.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np

from pbo.models.scenario import Scenario
from pbo.optimizer.explain.text import budget_text, link_text, red_line_text, target_text
from pbo.optimizer.explain.types import StatementKind, Unblock
from pbo.optimizer.solving.highs import HighsSession
from pbo.optimizer.solving.plan import objective_value

IIS_STRATEGY = 6
"""HiGHS iis_strategy: kIisStrategyFromLp (2) | kIisStrategyIrreducible (4)."""


@dataclass(frozen=True)
class Statement:
    kind: StatementKind
    id: str
    year: int | None
    detail: str
    rows: tuple[int, ...]
    """HiGHS rows of the loaded model."""
    names: tuple[str, ...]
    """Model row names, e.g. red_line[rl,all]."""
    negotiable: bool = False
    """For red lines: may be relaxed by the unblock search and breached by the nearest plan."""


ORDER: dict[str, int] = {"budget": 0, "link": 1, "target": 2, "red_line": 3, "must_fund": 4}
"""Deletion filtering tries to drop budgets first and red lines last, so that among several
conflict sets it prefers the one naming the policies (targets, red lines) users negotiate."""


def _name(component: str, key: object) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return f"{component}[{','.join(str(k) for k in parts)}]"


def statements(session: HighsSession) -> list[Statement]:
    """Every statement with rows in the loaded model, in deletion-filter order."""
    m, sc = session.built.m, session.built.data.scenario
    groups: dict[tuple[str, str, int | None], list] = {}

    def add(kind: str, sid: str, year: int | None, component: str, key: object) -> None:
        con = getattr(m, component)[key]
        groups.setdefault((kind, sid, year), []).append((session.row_of(con),
                                                         _name(component, key)))

    for component, kind in (("budget_limit", "budget"), ("requires", "link"),
                            ("excludes", "link"), ("target", "target"),
                            ("red_line", "red_line")):
        if not hasattr(m, component):
            continue
        for key in getattr(m, component):
            if kind == "budget":
                add(kind, key[0], key[1], component, key)
            elif kind == "link":
                add(kind, f"{key[0]} {component} {key[1]}", None, component, key)
            else:
                add(kind, key[0], None, component, key)
    rules = {r.id: r for r in sc.red_lines}
    out = []
    for (kind, sid, year), rows in groups.items():
        negotiable = False
        if kind == "red_line":
            rule = rules[sid]
            kind = "must_fund" if rule.rule == "must_fund" else "red_line"
            negotiable = rule.negotiable
        out.append(Statement(kind=kind, id=sid, year=year,  # type: ignore[arg-type]
                             detail=describe(sc, kind, sid, year),
                             rows=tuple(r for r, _ in rows), names=tuple(n for _, n in rows),
                             negotiable=negotiable))
    out.sort(key=lambda s: ORDER[s.kind])
    return out


def describe(sc: Scenario, kind: str, sid: str, year: int | None) -> str:
    if kind == "budget":
        assert year is not None
        return budget_text(sc, sid, year)
    if kind == "link":
        return link_text(sc, sid)
    if kind == "target":
        return target_text(sc, next(t for t in sc.targets if t.id == sid))
    return red_line_text(sc, next(r for r in sc.red_lines if r.id == sid))


def feasible(session: HighsSession, relaxed_rows: Iterable[int]) -> bool | None:
    """Is the model feasible with these rows freed? None: HiGHS stopped at a limit."""
    with session.edits() as edits:
        edits.free_rows(sorted(set(relaxed_rows)))
        edits.set_objective({}, maximise=True)
        outcome = session.run()
    if outcome.status == "infeasible":
        return False
    return True if outcome.has_solution else None


def lp_iis_rows(session: HighsSession) -> set[int] | None:
    """Rows of HiGHS's IIS of the LP relaxation (None when the relaxation is feasible or
    HiGHS finds no IIS). Computed on a copy, so the session's model is untouched."""
    lp = session.highs.getLp()
    lp.integrality_ = []
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.setOptionValue("iis_strategy", IIS_STRATEGY)
    if session.options.time_limit is not None:
        h.setOptionValue("time_limit", session.options.time_limit)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
        return None
    status, iis = h.getIis()
    if status != highspy.HighsStatus.kOk or not iis.valid_ or not len(iis.row_index_):
        return None
    return {int(r) for r in np.asarray(iis.row_index_)}


@dataclass(frozen=True)
class ConflictSearch:
    statements: list[Statement]
    method: str
    irreducible: bool


def conflict_set(session: HighsSession, every: list[Statement], use_iis: bool = True
                 ) -> ConflictSearch:
    """An irreducible set of statements that cannot hold together (given the structural rows).

    Candidates are narrowed to the statements in HiGHS's IIS of the LP relaxation when that
    relaxation is already infeasible (the IIS rows with the integers put back are infeasible
    too). Then deletion filtering: relax each candidate in turn; if the rest are still
    infeasible it stays out, otherwise it is necessary and goes back. What remains is
    irreducible: relaxing any one listed statement makes the others feasible together.
    """
    candidates, method = every, "deletion filter"
    if use_iis:
        rows = lp_iis_rows(session)
        if rows is not None:
            narrowed = [s for s in every if rows.intersection(s.rows)]
            outside = [r for s in every if s not in narrowed for r in s.rows]
            if narrowed and feasible(session, outside) is False:
                candidates, method = narrowed, "LP IIS (HiGHS), then deletion filter"
    relaxed = [r for s in every if s not in candidates for r in s.rows]
    kept: list[Statement] = []
    irreducible = True
    for s in candidates:
        answer = feasible(session, relaxed + list(s.rows))
        if answer is False:
            relaxed += s.rows  # not needed for the conflict
        else:
            kept.append(s)
            irreducible = irreducible and answer is True
    return ConflictSearch(kept, method, irreducible)


def cheapest_unblock(session: HighsSession, every: list[Statement], conflict: list[Statement],
                     max_size: int, max_solves: int) -> tuple[list[Unblock], int]:
    """The smallest sets of negotiable red lines whose relaxation (all else kept) makes the
    scenario feasible, each with the objective it reaches; and the largest size searched.

    Every such set must contain a red line of the conflict set (otherwise the conflict set
    still holds), which prunes the enumeration; sets are tried by size, smallest first.
    """
    lines = [s for s in every if s.kind in ("red_line", "must_fund") and s.negotiable]
    hit = {s.id for s in conflict if s in lines}
    if not hit:
        return [], 0
    found: list[Unblock] = []
    solves = 0
    for size in range(1, min(max_size, len(lines)) + 1):
        for combo in itertools.combinations(lines, size):
            if not hit.intersection(s.id for s in combo):
                continue
            if solves >= max_solves:
                return found, size
            solves += 1
            with session.edits() as edits:
                edits.free_rows([r for s in combo for r in s.rows])
                outcome = session.run()
            if outcome.has_solution:
                found.append(Unblock(red_lines=[s.id for s in combo],
                                     objective=objective_value(session.built),
                                     status=outcome.status))
        if found:
            sign = -1.0 if session.built.maximise else 1.0
            found.sort(key=lambda u: sign * (u.objective or 0.0))
            return found, size
    return found, min(max_size, len(lines))
