"""The fairness stage's search over the optimal face (SPEC 3.4): among every plan whose
objective is within the SPEC's tolerance of the optimum, lumpy choices included, the one whose
smallest beneficiary's saving is largest; then the objective re-maximised with that fairness
held.

Cheap first, exact when it must be. The runs, on the HiGHS model as `fairness._fairness`
left it (a column z below every beneficiary's saving, z maximised, the objective row held,
z >= z1, run 1's value with stage 1's plan held):

2. **Bound**: the face's LP relaxation (every integer column continuous, nothing held). Its
   optimum zLP is an upper bound on the smallest saving of every plan on the face: the
   relaxation has the same rows and more points. When zLP <= z1 + worth, no plan, lumpy or
   not, is fairer by more than `FAIRNESS_WORTH` of the objective: stage 1's plan stands and
   no MIP runs. When the model has no lumpy column (every integer column is a gate, whose
   relaxation is exact: a gate can be 1 wherever its intervention has units), the relaxation
   *is* the face, and its solution is the fairer plan.
3. **Lumpy held**: the lumpy choices as stage 1 made them (selections with a fixed cost,
   min_units or a link, whole-unit counts), every other scale free, as an LP: z3.
   When zLP <= max(z1, z3) + worth, the MIP cannot beat the better of the two by more than
   worth (its value is at most zLP): it is skipped (`fairness_runs["mip_skipped"]`).
4. **MIP over the face**: integrality kept for the lumpy columns (gates relaxed, which is
   exact), z >= the best so far, started from the best plan so far (run 1's or run 3's, both
   on the face). Limited to `mip_seconds` per run; when the limit is reached, the result says
   so and names the split kept.
5. **Polish**, only when the fairer plan beats z1 by more than worth: z held at its value
   (less 1e-9 of it) and the objective maximised again (an LP, or a MIP after run 4), so that
   the fairer plan loses nothing to the tolerance (no 299.9997 families).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pbo.models.base import currency_symbol
from pbo.optimizer.solving.highs import HighsSession, Outcome, restore, values

FAIRNESS_TOLERANCE = 1e-6
"""Relative improvement below which relaxing a red line does not count as binding (and the
SPEC 3.4 tolerance on the objective in the fairness stage, which holds it exactly)."""

FAIRNESS_WORTH = 1e-4
"""A plan other than stage 1's is taken only when it raises the smallest beneficiary's
savings by more than this share of the objective (else stage 1's plan is kept as found)."""

FAIRNESS_MIP_SECONDS = 10.0
"""Seconds for each MIP run of the fairness stage when `fairness_time_limit` is not given
(never more than the solve's `time_limit`)."""

Snapshot = dict[int, float | None]


@dataclass
class Face:
    """What the search needs from the stage: the floor column z, the objective's terms and
    optimum, run 1's value and plan, the lumpy and gate columns, and z's value now."""

    floor: int
    costs: dict[int, float]
    optimum: float
    fair_held: float
    run1: Snapshot
    lumpy: list[int]
    gates: list[int]
    smallest: Callable[[], float]


def stopped(outcome: Outcome) -> str:
    """How a run ended, in words."""
    if outcome.status == "time_limit":
        return "reached its time limit"
    return f"stopped without an answer ({outcome.message or outcome.status})"


def mip_seconds(session: HighsSession) -> float:
    """The time limit of each MIP run: fairness_time_limit, else FAIRNESS_MIP_SECONDS, never
    more than the solve's time_limit."""
    o = session.options
    limit = o.fairness_time_limit if o.fairness_time_limit is not None else FAIRNESS_MIP_SECONDS
    return min(limit, o.time_limit) if o.time_limit is not None else limit


@contextmanager
def _time_limit(session: HighsSession, seconds: float) -> Iterator[None]:
    h = session.highs
    h.setOptionValue("time_limit", float(seconds))
    try:
        yield
    finally:
        limit = session.options.time_limit
        h.setOptionValue("time_limit", float(limit) if limit is not None else float("inf"))


def _count(session: HighsSession, key: str) -> None:
    runs = session.report.fairness_runs
    runs[key] = runs.get(key, 0) + 1


def search_face(session: HighsSession, face: Face) -> None:
    """Runs 2 to 5 (module docstring); the model ends holding the plan and split chosen."""
    m = session.built.m
    warn = session.report.warnings.append
    worth = FAIRNESS_WORTH * max(1.0, abs(face.optimum))
    with session.edits() as relaxed:
        relaxed.relax_integrality()
        bound_run = session.run(start={face.floor: face.fair_held})
        _count(session, "lp")
        if bound_run.status != "optimal":
            restore(m, face.run1)
            warn(f"The fairness stage's search for an equally good plan "
                 f"{stopped(bound_run)}. The split shown is the fairest for the plan as "
                 "first chosen; an equally good plan may share more fairly.")
            return
        bound = face.smallest()
        if bound <= face.fair_held + worth:
            restore(m, face.run1)
            if face.lumpy:
                _count(session, "mip_skipped")
            return
        if not face.lumpy:  # the relaxation is the face
            _polish(session, face, bound, values(m), "")
            return
    best, fair = face.run1, face.fair_held
    with session.edits() as held:
        held.relax_integrality()
        counts = [float(round(m_value)) for m_value in _column_values(session, face.lumpy)]
        held.set_col_bounds(face.lumpy, counts, counts)
        held_run = session.run(start={face.floor: face.fair_held})
        _count(session, "lp")
        if held_run.status == "optimal" and face.smallest() > fair:
            best, fair = values(m), face.smallest()
            if bound <= fair + worth:  # no MIP can do better by more than worth
                _count(session, "mip_skipped")
                if fair > face.fair_held + worth:
                    _polish(session, face, fair, best, "")
                else:
                    restore(m, face.run1)
                return
    restore(m, best)
    if bound <= fair + worth:
        _count(session, "mip_skipped")
        return
    _mip(session, face, best, fair, bound)


def _column_values(session: HighsSession, cols: list[int]) -> list[float]:
    now = {c: v.value or 0.0 for v, c in session.columns()}
    return [now[c] for c in cols]


def _mip(session: HighsSession, face: Face, best: Snapshot, fair: float, bound: float) -> None:
    """Run 4: the face as a MIP (lumpy columns integer), started from `best` (value `fair`),
    then the polish; `bound` is the LP bound (for the warning when time runs out)."""
    m = session.built.m
    worth = FAIRNESS_WORTH * max(1.0, abs(face.optimum))
    seconds = mip_seconds(session)
    with session.edits() as mip:
        mip.relax_integrality(face.gates)
        mip.set_col_bounds([face.floor], [fair], [float("inf")])
        with _time_limit(session, seconds):
            run = session.run(start={face.floor: fair})
        _count(session, "mip")
        found = run.has_solution and face.smallest() > fair
        if found:
            best, fair = values(m), face.smallest()
        restore(m, best)
        if run.status != "optimal":
            top = max(fair, min(bound, run.bound if run.bound is not None else bound))
            kept = ("that of the fairest plan it found in time" if found else
                    "the fairest found without re-opening the lumpy choices")
            warn = session.report.warnings.append
            warn(f"The fairness stage's search over lumpy choices (whole units, fixed costs, "
                 f"minimum scales, links) {stopped(run)} after {seconds:g} s. The split shown is "
                 f"{kept}: its smallest partner saving is "
                 f"{_money(session, fair)}; an equally good plan might give up to "
                 f"{_money(session, top)}.")
        if fair > face.fair_held + worth:
            _polish(session, face, fair, best, f", limited to {seconds:g} s")
        else:
            restore(m, face.run1)


def _polish(session: HighsSession, face: Face, fair: float, fairer: Snapshot,
            limited: str) -> None:
    """Run 5, on the model as the caller's edits leave it: z >= fair (less 1e-9 of it) and
    the objective maximised again. Keeps `fairer` when it finds nothing."""
    m = session.built.m
    with session.edits() as polish:
        polish.set_col_bounds([face.floor], [fair - 1e-9 * max(1.0, abs(fair))],
                              [float("inf")])
        polish.set_objective(face.costs, maximise=session.built.maximise)
        if limited:
            with _time_limit(session, mip_seconds(session)):
                run = session.run(start={})
        else:
            run = session.run(start={})
        _count(session, "mip" if limited else "lp")
    if not run.has_solution:
        restore(m, fairer)
        session.report.warnings.append(
            f"The fairness stage's last run (holding the objective exactly{limited}) "
            f"{stopped(run)}. The plan and split shown are the fairer ones it found, within "
            "the SPEC's tolerance of the best objective.")


def _money(session: HighsSession, x: float) -> str:
    symbol = currency_symbol(session.built.data.scenario.currency)
    return f"{'-' if x < -0.005 else ''}{symbol}{abs(x):,.0f}"
