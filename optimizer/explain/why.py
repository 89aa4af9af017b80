""""Why isn't X funded?": the objective with X forced in or out, what binds, and the
break-even benefit (or cost) at which X enters the optimal plan."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Literal

import highspy
import numpy as np
import pyomo.core as pyo

from pbo.models.errors import InputError
from pbo.models.io.loading import scenario_from_data
from pbo.models.scenario import Scenario
from pbo.optimizer.explain.conflicts import conflict_set, statements
from pbo.optimizer.explain.text import (
    BINDING_HEAD,
    binding_line,
    unit_limit_text,
    units,
)
from pbo.optimizer.explain.types import BindingRow, BreakEven, Conflict, InterventionExplanation
from pbo.optimizer.formulation.build import BuiltModel, build_model
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.measures import discounted_value_per_unit
from pbo.optimizer.formulation.numerics import EntrySpread, check_numerics
from pbo.optimizer.present.tables import money
from pbo.optimizer.solving.feasibility import matrix_entries
from pbo.optimizer.solving.highs import HighsSession, SolverOptions
from pbo.optimizer.solving.plan import objective_value

DUAL_TOL = 1e-9
SLACK_TOL = 1e-6


def in_plan(built: BuiltModel, iid: str) -> bool:
    """Selected, and doing something (as pbo.optimizer.solving.results.plan_rows reports it)."""
    m, d = built.m, built.data
    if (m.select[iid].value or 0.0) < 0.5:
        return False
    iv = d.scenario.intervention[iid]
    fixed = any(d.fixed_cost.get((iid, t)) for t in d.years)
    must = any(r.rule == "must_fund" and r.intervention == iid for r in d.scenario.red_lines)
    return (m.units[iid].value or 0.0) > 1e-6 or fixed or iv.min_units > 0 or must


def binding_rows(session: HighsSession) -> list[BindingRow]:
    """Rows with zero slack and a non-zero dual in the LP with the plan's integers fixed,
    named by the scenario statement (or unit limit) they belong to."""
    h = session.highs
    lp = h.getLp()
    solution = np.asarray(h.getSolution().col_value, dtype=float)
    lower, upper = np.array(lp.col_lower_, dtype=float), np.array(lp.col_upper_, dtype=float)
    for j, kind in enumerate(lp.integrality_):
        if kind != highspy.HighsVarType.kContinuous:
            lower[j] = upper[j] = round(solution[j])
    lp.col_lower_, lp.col_upper_, lp.integrality_ = lower, upper, []
    fixed = highspy.Highs()
    fixed.setOptionValue("output_flag", False)
    fixed.passModel(lp)
    fixed.run()
    if fixed.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return []
    sol = fixed.getSolution()
    value, dual = np.asarray(sol.row_value), np.asarray(sol.row_dual)
    lo, up = np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)

    def tight(r: int) -> bool:
        scale = SLACK_TOL * max(1.0, abs(value[r]))
        return abs(dual[r]) > DUAL_TOL and (abs(value[r] - lo[r]) <= scale
                                            or abs(value[r] - up[r]) <= scale)

    out: list[BindingRow] = []
    for s in statements(session):
        rows = [r for r in s.rows if tight(r)]
        if rows:
            out.append(BindingRow(id=s.id, kind=s.kind, year=s.year, detail=s.detail,
                                  shadow_price=max(abs(dual[r]) for r in rows)))
    m, sc = session.built.m, session.built.data.scenario
    col_dual = np.asarray(sol.col_dual)
    for iid in m.units:
        if solution[session.col_of(m.select[iid])] < 0.5:
            continue  # not selected: its unit rows only say so
        c = session.col_of(m.units[iid])
        at_most = abs(solution[c] - sc.intervention[iid].max_units) <= SLACK_TOL * max(
            1.0, solution[c])
        duals = [abs(col_dual[c])] if at_most else []
        for component in ("unit_max", "unit_min"):
            if iid in getattr(m, component, ()):
                r = session.row_of(getattr(m, component)[iid])
                if tight(r):
                    duals.append(abs(dual[r]))
                    at_most = at_most or component == "unit_max"
        if duals and max(duals) > DUAL_TOL:
            out.append(BindingRow(id=iid, kind="unit_limit", shadow_price=max(duals),
                                  detail=unit_limit_text(sc, "unit_max" if at_most
                                                         else "unit_min", iid)))
    out.sort(key=lambda b: -b.shadow_price)
    return out


def _scaled(sc: Scenario, iid: str | list[str], lever: str, factor: float) -> Scenario:
    """The scenario with the benefits (or costs) of intervention `iid` (or of each listed)
    times `factor`."""
    data = sc.model_dump(mode="json")
    ids = {iid} if isinstance(iid, str) else set(iid)
    fields = ("fixed_cost", "unit_cost") if lever == "cost_scale" else (
        "economic_value", "social_value")
    for iv in data["interventions"]:
        if iv["id"] not in ids:
            continue
        for f in fields:
            iv[f] = [v * factor for v in iv[f]]
        if lever == "benefit_scale":
            iv["benefits"] = {p: [v * factor for v in b] for p, b in iv["benefits"].items()}
    return scenario_from_data(data)


Lever = Literal["benefit_scale", "cost_scale"]


def _enters_built(sc: Scenario, iid: str, lever: Lever, factor: float, objective: str,
                  solver: SolverOptions) -> bool:
    """X in the optimal plan with its benefits (or costs) times `factor`, by a model built
    for that factor."""
    try:
        built = build_model(_scaled(sc, iid, lever, factor), objective, solver.formulation)
    except InputError:  # scaled past what HiGHS solves reliably: counted as out of reach
        return False
    outcome = HighsSession(built, solver).solve()
    return outcome.has_solution and in_plan(built, iid)


class _Scaling:
    """X's benefits (or costs) times any factor f > 0 in a model loaded into HiGHS, for the
    search of `break_even`: one build and load for the whole search, not one for each factor
    tried (which took 1.2 s of the 1.7 s the decision pack spent on the break-evens of the
    bundled example). Made by `Scalings.of`, which can share one loaded model between the
    searches of many interventions.

    Benefits and costs enter the model linearly, through X's own columns (its units and its
    selection), so each matrix entry and objective coefficient the factor moves is affine
    in it: the models built at factors 1 and k give it at every f, set in HiGHS in place
    (tests/test_explain.py checks the model so set against one built at f)."""

    def __init__(self, scalings: Scalings, iid: str, lever: Lever,
                 moved: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]):
        self.scalings, self.iid, self.lever = scalings, iid, lever
        self.sc, self.solver, self.k = scalings.sc, scalings.solver, scalings.k[lever]
        self.built, self.session = scalings.built, scalings.session
        self.rows, self.cols, self.at_one, self.at_k, self.own = moved

    @classmethod
    def of(cls, sc: Scenario, iid: str, lever: Lever, objective: str,
           solver: SolverOptions) -> _Scaling | None:
        """X's search on a model of its own (two builds: at 1, and X's values times k)."""
        return Scalings(sc, objective, solver, only=iid).of(iid, lever)

    def enters(self, factor: float) -> bool:
        """X in the optimal plan at `factor` > 0 (as `_enters_built`)."""
        if not self.scalings.spread.within(self.iid, self.lever, factor):
            try:  # what a build at this factor would refuse, refused
                check_numerics(ModelData.from_scenario(_scaled(
                    self.sc, self.iid, self.lever, factor), self.solver.formulation))
            except InputError:
                return False
        self.set(factor)
        self.session.highs.clearSolver()  # no warm state: each factor's answer its model's
        outcome = self.session.run()
        return outcome.has_solution and in_plan(self.built, self.iid)

    def set(self, factor: float) -> None:
        """The loaded model made the model of X's benefits (or costs) times `factor` > 0
        (every other intervention's at 1: `set(1.0)` gives back the model as built)."""
        h, n = self.session.highs, len(self.rows)
        now = self.at_one + (factor - 1.0) / (self.k - 1.0) * (self.at_k - self.at_one)
        for row, col, value in zip(self.rows.tolist(), self.cols.tolist(), now[:n].tolist(),
                                   strict=True):
            h.changeCoeff(row, col, value)
        h.changeColsCost(len(self.own), self.own.astype(np.int32), now[n:])


class Scalings:
    """The break-even searches of many interventions of one scenario on one loaded model
    (`unfunded_reasons`: every left-out intervention of a plan). Built once: the model at
    factor 1, and for each lever used, one model with the benefits (or costs) of every
    intervention times k (with `only`, of that intervention alone). Each intervention's own
    columns carry only its own values, so X's entries of the second are X's entries at k,
    whoever else is scaled beside it; X's search sets X's entries in place and gives them
    back at 1 when it is done (`_Scaling.set`). `of` is None when the builds differ in
    anything else (the factor changes the model's structure, a bound or another column) or
    cannot be built; the caller then builds for each factor.

    At 500 interventions (302 left out), the pack's searches took 0.8 s each with a model
    of their own, two of them building the scenario again at every factor it tried."""

    k: dict[Lever, float] = {"benefit_scale": 2.0, "cost_scale": 0.5}

    def __init__(self, sc: Scenario, objective: str, solver: SolverOptions,
                 only: str | None = None):
        self.sc, self.objective, self.solver, self.only = sc, objective, solver, only
        self._at_k: dict[Lever, tuple[np.ndarray, ...] | None] = {}
        self._base: tuple[BuiltModel, HighsSession, tuple[np.ndarray, ...]] | None = None
        self._failed = False

    def _loaded(self) -> bool:
        if self._base is None and not self._failed:
            try:
                built = build_model(self.sc, self.objective, self.solver.formulation)
            except InputError:
                self._failed = True
                return False
            session = HighsSession(built, self.solver)
            lp = session.highs.getLp()
            self._base = built, session, (*matrix_entries(lp), np.asarray(lp.col_cost_))
            self.spread = EntrySpread(built.data)
            self.value = discounted_value_per_unit(built.data, self.objective)
        return self._base is not None

    @property
    def built(self) -> BuiltModel:
        assert self._base is not None
        return self._base[0]

    @property
    def session(self) -> HighsSession:
        assert self._base is not None
        return self._base[1]

    def own(self, session: HighsSession, built: BuiltModel, iid: str) -> list[int]:
        return [session.col_of(built.m.select[iid]), session.col_of(built.m.units[iid])]

    def _scaled_lp(self, lever: Lever) -> tuple[np.ndarray, ...] | None:
        """The matrix entries and costs at k (of every intervention, or of `only`), when
        they differ from the model at 1 only in the scaled interventions' own columns."""
        if lever in self._at_k:
            return self._at_k[lever]
        self._at_k[lever] = None
        ids = [self.only] if self.only else [iv.id for iv in self.sc.interventions]
        try:
            at_k = build_model(_scaled(self.sc, ids, lever, self.k[lever]), self.objective,
                               self.solver.formulation)
        except InputError:
            return None
        other = HighsSession(at_k, self.solver)
        own = np.array([c for i in ids for c in self.own(self.session, self.built, i)])
        if not np.array_equal(own, [c for i in ids for c in self.own(other, at_k, i)]):
            return None
        assert self._base is not None
        one, two = self.session.highs.getLp(), other.highs.getLp()
        rows, cols, v1, cost1 = self._base[2]
        r2, c2, v2 = matrix_entries(two)
        cost2 = np.asarray(two.col_cost_)
        mine = np.isin(cols, own)
        same = all(np.array_equal(getattr(one, name), getattr(two, name)) for name in (
            "col_lower_", "col_upper_", "row_lower_", "row_upper_", "integrality_"))
        if (same and np.array_equal(rows, r2) and np.array_equal(cols, c2)
                and np.array_equal(v1[~mine], v2[~mine])
                and np.array_equal(np.delete(cost1, own), np.delete(cost2, own))
                and one.offset_ == two.offset_ and one.sense_ == two.sense_):
            self._at_k[lever] = (v2, cost2)
        return self._at_k[lever]

    def of(self, iid: str, lever: Lever) -> _Scaling | None:
        """X's search on the shared model, or None (the class docstring)."""
        if not self._loaded():
            return None
        at_k = self._scaled_lp(lever)
        if at_k is None:
            return None
        assert self._base is not None
        rows, cols, v1, cost1 = self._base[2]
        v2, cost2 = at_k
        own = np.array(self.own(self.session, self.built, iid))
        mine = np.isin(cols, own)
        return _Scaling(self, iid, lever, (
            rows[mine], cols[mine], np.concatenate([v1[mine], cost1[own]]),
            np.concatenate([v2[mine], cost2[own]]), own))


def break_even(sc: Scenario, iid: str, objective: str, solver: SolverOptions,
               precision: float, max_scale: float, least: float,
               scalings: Scalings | None = None) -> BreakEven:
    """Bisection on a factor on X's benefits (or, for min_cost or X without value, its
    costs): the factor at which X enters the optimal plan, to within `precision` (relative).
    Assumes X's place in the plan is monotone in the factor. Each factor above 0 is solved
    on one loaded model (`_Scaling`), when the factor moves only X's own entries; `scalings`
    shares that model between the searches of many interventions."""
    shared = scalings or Scalings(sc, objective, solver, only=iid)
    if shared._loaded():
        value = shared.value[iid]
        d = shared.built.data
    else:
        d = ModelData.from_scenario(sc)
        value = discounted_value_per_unit(d, objective)[iid]
    lever: Lever = "cost_scale" if objective == "min_cost" or value <= 0 else "benefit_scale"
    scaling = shared.of(iid, lever)
    try:
        return _bisect(sc, iid, lever, objective, solver, precision, max_scale, least,
                       scaling, d, value)
    finally:
        if scaling is not None:
            scaling.set(1.0)  # the shared model as built, for the next search


def _bisect(sc: Scenario, iid: str, lever: Lever, objective: str, solver: SolverOptions,
            precision: float, max_scale: float, least: float, scaling: _Scaling | None,
            d: ModelData, value: float) -> BreakEven:
    def enters(factor: float) -> bool:
        if scaling is not None and factor > 0:
            return scaling.enters(factor)
        return _enters_built(sc, iid, lever, factor, objective, solver)

    if lever == "benefit_scale":
        out, inside = 1.0, 2.0
        while not enters(inside):
            out, inside = inside, inside * 2
            if inside > max_scale:
                return BreakEven(lever=lever, value=None, outside=out, precision=precision)
    else:
        out, inside = 1.0, 0.0
        if not enters(0.0):
            return BreakEven(lever=lever, value=None, outside=0.0, precision=precision)
    while abs(out - inside) > precision * max(abs(inside), abs(out)):
        mid = (out + inside) / 2
        if enters(mid):
            inside = mid
        else:
            out = mid
    if lever == "benefit_scale":
        per_unit = value * inside
    else:
        unit = sum(d.discount[t] * c for (i, t), c in d.unit_cost.items() if i == iid)
        fixed = sum(d.discount[t] * c for (i, t), c in d.fixed_cost.items() if i == iid)
        per_unit = inside * (unit + (fixed / least if least > 0 else 0.0))
    return BreakEven(lever=lever, value=inside, inside=inside, outside=out,
                     precision=abs(out - inside) / max(abs(inside), abs(out)),
                     per_unit=per_unit)


def _run_with(session: HighsSession, bounds: Callable) -> tuple[str, float | None]:
    with session.edits() as edits:
        bounds(edits)
        outcome = session.run()
    return outcome.status, objective_value(session.built) if outcome.has_solution else None


def _forced_in_conflicts(sc: Scenario, iid: str, least: float, objective: str,
                         solver: SolverOptions) -> list[Conflict]:
    """Why X cannot be funded at all: the conflict set with a must_fund red line for it."""
    data = sc.model_dump(mode="json")
    data["red_lines"] = [*data["red_lines"], {"id": f"_force_{iid}", "rule": "must_fund",
                                              "intervention": iid, "min_units": least}]
    built = build_model(scenario_from_data(data), objective, solver.formulation)
    session = HighsSession(built, solver)
    if session.solve().status != "infeasible":
        return []
    search = conflict_set(session, statements(session))
    asked = f"{sc.intervention[iid].label} funded at {units(least, sc.intervention[iid].unit)}" \
        " or more (the question asked)"
    return [Conflict(id=iid, kind="must_fund", detail=asked, year=s.year, rows=list(s.names))
            if s.id == f"_force_{iid}" else
            Conflict(id=s.id, kind=s.kind, detail=s.detail, year=s.year, rows=list(s.names))
            for s in search.statements]


def explain_intervention(scenario: Scenario, intervention: str,
                         solver: SolverOptions | None = None, objective: str | None = None,
                         precision: float = 1e-4, max_scale: float = 2.0 ** 20
                         ) -> InterventionExplanation:
    """Why `intervention` is (or is not) in the optimal plan of a feasible scenario."""
    sc = scenario
    if intervention not in sc.intervention:
        near = difflib.get_close_matches(intervention, list(sc.intervention), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise InputError(f"--intervention {intervention}: no such intervention{hint}")
    solver = SolverOptions(**{**(solver or SolverOptions()).as_dict(), "check_binding": False})
    iv = sc.intervention[intervention]
    least = iv.min_units if iv.min_units > 0 else min(1.0, iv.max_units)
    built = build_model(sc, objective, solver.formulation)
    session = HighsSession(built, solver)
    outcome = session.solve()
    common = {"intervention": intervention, "objective_name": built.objective,
              "forced_in_units": least, "currency": sc.currency}
    if not outcome.has_solution:
        return InterventionExplanation(
            status=outcome.status, objective=None, selected=None, units=None, **common,
            sentences=[f"{sc.name} has no plan (status {outcome.status}): run `pbo explain` "
                       "without --intervention to see why."])
    base = objective_value(built)
    chosen = in_plan(built, intervention)
    units = float(pyo.value(built.m.units[intervention])) if chosen else 0.0
    binding = binding_rows(session)
    sel, col_units = session.col_of(built.m.select[intervention]), session.col_of(
        built.m.units[intervention])
    in_status, in_obj = _run_with(session, lambda e: (
        e.set_col_bounds([sel], [1.0], [1.0]),
        e.set_col_bounds([col_units], [least], [iv.max_units])))
    out_status, out_obj = _run_with(session, lambda e: e.set_col_bounds([sel, col_units],
                                                                         [0.0, 0.0], [0.0, 0.0]))
    even = None
    conflicts: list[Conflict] = []
    if not chosen and in_obj is not None:
        even = break_even(sc, intervention, built.objective, solver, precision, max_scale, least)
    elif not chosen:
        conflicts = _forced_in_conflicts(sc, intervention, least, built.objective, solver)
    result = InterventionExplanation(
        status=outcome.status, objective=base, selected=chosen, units=units, **common,
        forced_in_status=in_status, forced_in_objective=in_obj, forced_out_status=out_status,
        forced_out_objective=out_obj, binding=binding, break_even=even)
    return result.model_copy(update={"sentences": _sentences(result, sc, conflicts)})


def _sentences(x: InterventionExplanation, sc: Scenario, conflicts: list[Conflict]) -> list[str]:
    cur = x.currency
    iv = sc.intervention[x.intervention]
    what = x.objective_name.replace("_", " ")
    out: list[str] = []
    if x.selected:
        out.append(f"{iv.label} is in the optimal plan at {units(x.units or 0.0, iv.unit)} "
                   f"({what} {money(x.objective, cur)}).")
        if x.forced_out_objective is not None and x.objective is not None:
            out.append(f"Leaving it out: {what} {money(x.forced_out_objective, cur)} "
                       f"({money(abs(x.objective - x.forced_out_objective), cur)} worse).")
        else:
            out.append("Leaving it out is infeasible: the plan cannot do without it.")
    else:
        out.append(f"{iv.label} is not in the optimal plan ({what} {money(x.objective, cur)}).")
        if x.forced_in_objective is not None and x.objective is not None:
            out.append(f"Forcing it in at {units(x.forced_in_units, iv.unit)}: {what} "
                       f"{money(x.forced_in_objective, cur)} "
                       f"({money(abs(x.objective - x.forced_in_objective), cur)} worse).")
        else:
            out.append(f"It cannot be funded at {units(x.forced_in_units, iv.unit)} at all; "
                       "these statements stand in the way:")
            out.extend(f"  - {c.detail}" for c in conflicts)
    if x.binding:
        out.append(f"{BINDING_HEAD} (shadow price: objective gained per £ or unit of "
                   "relaxation):")
        out.extend(binding_line(b) for b in x.binding)
    b = x.break_even
    if b is not None:
        if b.value is None:
            out.append("No " + ("increase in its benefits (up to the searched factor)"
                                if b.lever == "benefit_scale" else "cut in its costs")
                       + " brings it into the plan.")
        elif b.lever == "benefit_scale":
            out.append(f"It enters the plan once its benefits are {b.value:.4f}x today's "
                       f"(a discounted {money(b.per_unit, cur)} per {iv.unit} to the objective);"
                       f" at {b.outside:.4f}x it stays out (precision {b.precision:.2g}).")
        else:
            out.append(f"It enters the plan once its costs fall to {b.value:.4f}x today's; at "
                       f"{b.outside:.4f}x it stays out (precision {b.precision:.2g}).")
    return out
