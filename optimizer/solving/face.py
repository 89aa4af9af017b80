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
   no MIP runs (`fairness_runs["mip_skipped"]`). When every lumpy column is whole in its
   solution (always so when there is none: a gate's relaxation is exact, it can be 1
   wherever its intervention has units), that solution is on the face and optimal for it:
   it is the fairer plan, and no MIP runs either.
3. **Which columns can move** (reduced-cost fixing, as MIP solvers do it): the
   objective f maximised over the same relaxation, value fLP, reduced costs d. Every point
   x of the relaxation has f(x) <= fLP - sum_j |d_j| |x_j - x*_j| (optimal duals), and the
   face asks f(x) >= f* - tol; so a column can move by at most (fLP - f* + tol) / |d_j|
   from x*_j. Its bounds are tightened to that range, a lumpy column's rounded in to whole
   numbers (run 1's value always kept, one more tol of margin for round-off). Runs 4 and 5
   keep these bounds: both stay on the face.
4. **MIP over the face** on those bounds: integrality kept for the lumpy columns (gates
   relaxed), z >= z1 + worth, z maximised, with an absolute gap of worth. Only a plan
   fairer than run 1's by more than worth would be taken, so the search asks for nothing
   less. When it is infeasible, no such plan exists and stage 1's plan stands
   (`fairness_runs["cut_off"]`): HiGHS often proves that in presolve or at the root. When
   it finds one, no plan fairer than the one kept by more than worth is missed. Limited to
   `mip_seconds`; when the limit is reached, the result says so and names the split kept.
5. **Polish**, only when the fairer plan beats z1 by more than worth, an LP: its lumpy
   columns held whole, z held at its value (less what that rounding costs, less 1e-9 of it)
   and the objective maximised again, so that the fairer plan loses nothing to the
   tolerance (no 299.9997 families); then who pays re-divided for the polished plan (as in
   run 1), so the split is the fairest for the plan shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from pbo.models.base import currency_symbol
from pbo.optimizer.solving.edits import Edits
from pbo.optimizer.solving.held import hold_plan
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
    lumpy_at: list[float]
    """Each lumpy column's value in stage 1's plan (a whole number)."""
    gates: list[int]
    savings: dict[str, dict[int, float]]
    """Each beneficiary's saving as {column: coefficient}."""
    smallest: Callable[[], float]

    @property
    def worth(self) -> float:
        """How much fairer than run 1's a plan must be to be taken (FAIRNESS_WORTH of the
        objective, at least that share of 1)."""
        return FAIRNESS_WORTH * max(1.0, abs(self.optimum))


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


def _count(session: HighsSession, key: str) -> None:
    runs = session.report.fairness_runs
    runs[key] = runs.get(key, 0) + 1


def search_face(session: HighsSession, face: Face) -> None:
    """Runs 2 to 5 (module docstring); the model ends holding the plan and split chosen."""
    m = session.built.m
    worth = face.worth
    with session.edits() as relaxed:
        relaxed.relax_integrality()
        bound_run = session.run(start={face.floor: face.fair_held})
        _count(session, "lp")
        if bound_run.status != "optimal":
            restore(m, face.run1)
            session.report.warnings.append(
                f"The fairness stage's search for an equally good plan {stopped(bound_run)}. "
                "The split shown is the fairest for the plan as first chosen; an equally "
                "good plan may share more fairly.")
            return
        bound = face.smallest()
        if bound <= face.fair_held + worth:
            restore(m, face.run1)
            if face.lumpy:
                _count(session, "mip_skipped")
            return
        if all(abs(v - round(v)) <= WHOLE for v in _now(session, face.lumpy)):
            if face.lumpy:  # the relaxation's optimum is whole: the face's optimum
                _count(session, "mip_skipped")
            _polish(session, face, bound, values(m), relaxed)
            return
        narrowed = _fixed_on_face(session, face)
    restore(m, face.run1)
    with session.edits() as tight:
        tight.set_col_bounds(*narrowed)
        best, fair = _mip(session, face, bound)
        if fair > face.fair_held + worth:
            restore(m, best)
            tight.relax_integrality()
            _polish(session, face, fair, best, tight)
        else:
            restore(m, face.run1)


WHOLE = 1e-9
"""How near a whole number a lumpy column of an LP solution must be to count as whole."""


def _now(session: HighsSession, cols: list[int]) -> list[float]:
    now = {c: v.value or 0.0 for v, c in session.columns()}
    return [now[c] for c in cols]


def _fixed_on_face(session: HighsSession, face: Face
                   ) -> tuple[list[int], list[float], list[float]]:
    """Run 3 (in the caller's LP relaxation): the objective f maximised (minimised for
    min_cost) over the relaxation, and the range on the face of every column with a reduced
    cost, by that cost (module docstring): (columns, lower, upper). A lumpy column's range is
    rounded in to whole numbers. Run 1's value is always kept in range, so stage 1's plan
    and split stay on the face as the MIP sees it. The range of a continuous column (a
    scale, a payment) narrows the MIP too: the filed 5,000-intervention case of issue 12
    narrows 9,547 of 21,363 columns (2,220 to one value) and its MIP takes 0.35 s against
    0.53 s when only the lumpy columns are narrowed."""
    h = session.highs
    maximise = session.built.maximise
    with session.edits() as best:
        best.set_objective(face.costs, maximise=maximise)
        run = session.run(start={}, load=False)
        _count(session, "lp")
        solution = h.getSolution()
    if run.status != "optimal":  # hold stage 1's lumpy choices
        return face.lumpy, face.lumpy_at, face.lumpy_at
    x, d = solution.col_value, solution.col_dual
    lp = h.getLp()
    lows, ups = lp.col_lower_, lp.col_upper_
    value = sum(k * x[c] for c, k in face.costs.items())
    scale = max(1.0, abs(face.optimum))
    room = ((value - face.optimum if maximise else face.optimum - value)
            + 2 * FAIRNESS_TOLERANCE * scale)
    lumpy = set(face.lumpy)
    run1 = {c: face.run1.get(id(var)) for var, c in session.columns()}
    run1.update(zip(face.lumpy, face.lumpy_at, strict=True))
    cols, lower, upper = [], [], []
    for c in range(len(x)):
        gain = d[c] if maximise else -d[c]  # objective gained per unit up
        if abs(gain) <= 1e-9 and c not in lumpy:
            continue
        lo, hi = float(lows[c]), float(ups[c])
        if abs(gain) > 1e-9:
            reach = room / abs(gain)
            if gain > 0:
                lo = max(lo, x[c] - reach)
            else:
                hi = min(hi, x[c] + reach)
        if c in lumpy:
            lo, hi = math.ceil(lo - 1e-6), math.floor(hi + 1e-6)
        at = run1.get(c)
        if at is not None:
            lo, hi = min(lo, at), max(hi, at)
        cols.append(c)
        lower.append(float(lo))
        upper.append(float(hi))
    return cols, lower, upper


def _mip(session: HighsSession, face: Face, bound: float) -> tuple[Snapshot, float]:
    """Run 4: the face as a MIP (lumpy columns integer, gates relaxed, z >= z1 + worth); the
    fairest plan found and its smallest saving (run 1's plan and value when it finds none).
    `bound`, the LP bound, is for the warning when time runs out."""
    m = session.built.m
    worth = face.worth
    seconds = mip_seconds(session)
    best, fair = face.run1, face.fair_held
    with session.edits() as mip:
        mip.relax_integrality(face.gates)
        mip.set_col_bounds([face.floor], [fair + worth], [float("inf")])
        mip.set_option("time_limit", float(seconds))
        mip.set_option("mip_abs_gap", float(worth))
        run = session.run()
        _count(session, "mip")
    if run.status == "infeasible":  # no plan fairer by more than worth
        _count(session, "cut_off")
        return best, fair
    found = run.has_solution and face.smallest() > fair
    if found:
        best, fair = values(m), face.smallest()
    if run.status != "optimal":
        top = max(fair, min(bound, run.bound if run.bound is not None else bound))
        kept = ("that of the fairest plan it found in time" if found else
                "the fairest for the plan as first chosen")
        session.report.warnings.append(
            f"The fairness stage's search over lumpy choices (whole units, fixed costs, "
            f"minimum scales, links) {stopped(run)} after {seconds:g} s. The split shown is "
            f"{kept}: its smallest partner saving is {_money(session, fair)}; an equally "
            f"good plan might give up to {_money(session, top)}.")
    return best, fair


def _polish(session: HighsSession, face: Face, fair: float, fairer: Snapshot,
            relaxed: Edits) -> None:
    """Run 5, an LP: on the caller's relaxed model (`relaxed`, integrality off), the lumpy
    columns held at the whole values of the fairer plan now loaded, z >= fair (less what
    that rounding costs, less 1e-9 of it) and the objective maximised again; then who pays
    re-divided for the plan as polished. Keeps `fairer` when the polish finds nothing."""
    m = session.built.m
    now = {c: v.value or 0.0 for v, c in session.columns()}
    whole = {c: float(round(now[c])) for c in face.lumpy}
    relaxed.set_col_bounds(face.lumpy, list(whole.values()), list(whole.values()))
    rounded = min(sum(k * whole.get(c, now[c]) for c, k in row.items())
                  for row in face.savings.values())
    floor = min(fair, rounded) - 1e-9 * max(1.0, abs(fair))
    with session.edits() as polish:
        polish.set_col_bounds([face.floor], [floor], [float("inf")])
        polish.set_objective(face.costs, maximise=session.built.maximise)
        run = session.run(start={})
        _count(session, "lp")
    if not run.has_solution:
        restore(m, fairer)
        session.report.warnings.append(
            f"The fairness stage's last run (holding the objective exactly) {stopped(run)}. "
            "The plan and split shown are the fairer ones it found, within the SPEC's "
            "tolerance of the best objective.")
        return
    polished = values(m)
    with session.edits() as held:  # who pays, re-divided for the plan as polished
        hold_plan(session, held)
        split = session.run(fresh=True)
        _count(session, "lp")
    if split.status != "optimal":
        restore(m, polished)


def _money(session: HighsSession, x: float) -> str:
    symbol = currency_symbol(session.built.data.scenario.currency)
    return f"{'-' if x < -0.005 else ''}{symbol}{abs(x):,.0f}"
