"""The loaded plan as later stages use it: its decisions held, and the objective's terms.

The fairness stage, the core split, the re-split of who gains from a red line, the coalition
game and the near-optimal alternatives each re-solve the loaded HiGHS model around the plan now
in it, with each partner's net saving as a row."""

from __future__ import annotations

from collections import defaultdict

from pbo.optimizer.formulation.payments import spend_terms
from pbo.optimizer.solving.edits import Edits
from pbo.optimizer.solving.highs import HighsSession


def hold_plan(session: HighsSession, edits: Edits) -> None:
    """Fix every selection and scale at its value in the plan now loaded (who pays stays
    free), undone with `edits`. A column held at one value needs no integrality, so the held
    columns are made continuous: with the whole plan held (selections and units are the
    model's only integer columns) the run is an LP, which HiGHS solves without a MIP's
    presolve and root (0.10 s against 0.16 s for the split of the filed 5,000-intervention
    case of issue 12)."""
    m = session.built.m
    plan = [v for v in (*m.select.values(), *m.units.values()) if v.value is not None]
    kept = [float(v.value) for v in plan]
    cols = [session.col_of(v) for v in plan]
    edits.set_col_bounds(cols, kept, kept)
    edits.relax_integrality(cols)


def net_rows(session: HighsSession) -> dict[str, dict[int, float]]:
    """Each partner's discounted net cashable saving as {HiGHS column: coefficient}: its
    cashable benefit per unit, less what it pays, in whichever formulation the model has."""
    m, d = session.built.m, session.built.data
    col = session.col_of
    rows: dict[str, dict[int, float]] = {p: defaultdict(float) for p in d.partners}
    units = {i: col(m.units[i]) for i in d.interventions}
    for (p, i, t), c in d.cashable.items():
        rows[p][units[i]] += d.discount[t] * c
    for p in d.partners:
        for t in d.years:
            for k, var in spend_terms(m, d, p, t):
                rows[p][col(var)] -= d.discount[t] * k
    return rows


def objective_terms(session: HighsSession) -> tuple[dict[int, float], float]:
    """The loaded objective as {HiGHS column: coefficient}, and its value at the plan now in
    the model (without any constant term)."""
    lp = session.highs.getLp()
    costs = {c: float(k) for c, k in enumerate(lp.col_cost_) if k}
    now = {c: v.value or 0.0 for v, c in session.columns()}
    return costs, sum(k * now[c] for c, k in costs.items())
