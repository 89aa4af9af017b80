"""Read a solved model into the result object, and re-check that every figure reconciles."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pyomo.core as pyo

from pbo.models.results import (
    FundingRow,
    InterventionResult,
    PartnerResult,
    PartnerYear,
    PlanResult,
    TargetResult,
)
from pbo.optimizer.formulation.constraints.targets import target_expression, target_periods
from pbo.optimizer.formulation.data import ModelData
from pbo.optimizer.formulation.measures import evaluate, objective_value
from pbo.optimizer.formulation.payments import payments

if TYPE_CHECKING:
    from pbo.models.scenario import Target
    from pbo.optimizer.solving.highs import HighsSession

TOL = 1e-6


def clean(x: float | None) -> float:
    """Solver noise off a value: -0.0, 1e-12 and 2.9999999999 read as 0 and 3."""
    if x is None:
        return 0.0
    if not math.isfinite(x):
        return float(x)
    r = round(x)
    if abs(x - r) < max(1e-6, 1e-9 * abs(x)):
        return float(r) + 0.0
    return float(x)


def settled(terms: list[float]) -> float:
    """A sum with float round-off taken off: a total within 1e-9 of the size of its terms is
    0 (a partner whose savings exactly cover its payments nets £0, not £1.7e-10)."""
    total = math.fsum(terms)
    return 0.0 if abs(total) <= 1e-9 * max(1.0, max(map(abs, terms), default=0.0)) else total


def clean_values(m: pyo.ConcreteModel) -> None:
    """Take solver noise off the loaded plan, so every figure is computed from one set of
    values (the objective included)."""
    for v in m.component_data_objects(pyo.Var):
        if v.value is not None and not v.fixed:
            v.set_value(clean(v.value), skip_validation=True)


def plan_rows(m: pyo.ConcreteModel, d: ModelData, must_fund: set[str]):
    """(interventions, funding, partners, partner_years) of the solution loaded in `m`.

    Every figure is computed from the plan as reported: an intervention not selected has no
    units, no cost, no benefit and no funding (a sliver the solver left is not reported in
    one figure and counted in another)."""
    sc = d.scenario
    solved = {i: clean(m.units[i].value) for i in d.interventions}
    chosen = {i: round(clean(m.select[i].value)) == 1 for i in d.interventions}
    fixed = {i for (i, _t), c in d.fixed_cost.items() if c}
    selected = {iv.id for iv in sc.interventions if chosen[iv.id] and (
        solved[iv.id] > TOL or iv.id in fixed or iv.min_units > 0 or iv.id in must_fund)}
    for iv in _required_first(sc):  # what a selected intervention requires is selected too
        if iv.id in selected:
            selected.update(iv.requires)
    units = {i: solved[i] if i in selected else 0.0 for i in d.interventions}
    disc = d.discount
    cost_it = {(i, t): d.fixed_cost.get((i, t), 0.0) * (i in selected)
               + d.unit_cost.get((i, t), 0.0) * units[i] for i, t in d.costed}
    cost_npv: dict[str, float] = defaultdict(float)
    for (i, t), c in cost_it.items():  # (d.costed: each intervention's years in order)
        cost_npv[i] += disc[t] * c
    terms = d.benefit_terms  # every benefit term at the plan's units, summed in arrays
    per = np.fromiter((units[i] for i in d.interventions), np.float64,
                      len(d.interventions))[terms.intervention]
    gross_terms, cash_terms = terms.adjusted * per, terms.cashable * per
    n, slots = len(d.interventions), len(d.partners) * len(d.years)
    benefit = np.bincount(terms.intervention, terms.discount * gross_terms, n).tolist()
    cashable = np.bincount(terms.intervention, terms.discount * cash_terms, n).tolist()
    gross_py = np.bincount(terms.partner_year, gross_terms, slots).tolist()
    cash_py = np.bincount(terms.partner_year, cash_terms, slots).tolist()
    place = terms.place
    interventions = []
    for iv in sc.interventions:
        i = iv.id
        interventions.append(InterventionResult(
            id=i, name=iv.label, selected=i in selected,
            units=units[i] if i in selected else 0.0,
            cost_npv=cost_npv[i],
            benefit_npv=benefit[place[i]], cashable_benefit_npv=cashable[place[i]]))
    funding = []
    paid: dict[tuple[str, int], float] = defaultdict(float)
    for (p, i, t), amount in payments(m, d, cost_it, lambda v: clean(v.value)).items():
        amount = clean(amount)
        if amount > TOL and i in selected:
            funding.append(FundingRow(partner=p, intervention=i, year=t, amount=amount))
            paid[p, t] += amount
    funding.sort(key=_user_order(d))  # summed above in the model's order, shown in the user's
    partner_years, partners = [], []
    first_slot = terms.first_slot
    for partner in sc.partners:
        p = partner.id
        rows = []
        for k, t in enumerate(d.years):
            gross, cash = gross_py[first_slot[p] + k], cash_py[first_slot[p] + k]
            rows.append(PartnerYear(partner=p, year=t, contribution=paid[p, t],
                                    gross_benefit=gross, cashable_benefit=cash,
                                    net_cashable_savings=settled([cash, -paid[p, t]])))
        partner_years.extend(rows)
        partners.append(PartnerResult(
            id=p, name=partner.label,
            contribution_npv=sum(disc[r.year] * r.contribution for r in rows),
            gross_benefit_npv=sum(disc[r.year] * r.gross_benefit for r in rows),
            cashable_benefit_npv=sum(disc[r.year] * r.cashable_benefit for r in rows),
            net_cashable_savings_npv=settled(
                [disc[r.year] * r.cashable_benefit for r in rows]
                + [-disc[r.year] * r.contribution for r in rows]),
            payback_year=payback_year(rows)))
    return interventions, funding, partners, partner_years


def _user_order(d: ModelData):
    """Sort key of a funding row: intervention, year and funder as the user listed them."""
    sc = d.scenario
    place = {iv.id: k for k, iv in enumerate(sc.interventions)}
    funder = {(iv.id, p): k for iv in sc.interventions for k, p in enumerate(sc.funders(iv))}
    return lambda r: (place[r.intervention], r.year, funder.get((r.intervention, r.partner), 0))


def _required_first(sc) -> list:
    """Interventions ordered so that each comes before those it requires (requires chains
    are followed in one pass)."""
    order: list = []
    seen: set[str] = set()
    required_by: dict[str, list] = {}
    for other in sc.interventions:
        for needed in other.requires:
            required_by.setdefault(needed, []).append(other)

    def visit(iv) -> None:
        if iv.id in seen:
            return
        seen.add(iv.id)
        for other in required_by.get(iv.id, ()):
            visit(other)
        order.append(iv)

    for iv in sc.interventions:
        visit(iv)
    return order


def payback_year(rows: list[PartnerYear]) -> int | None:
    """First year from which cumulative net cashable savings stay >= 0 (None if never, or if
    the partner pays nothing)."""
    if not any(r.contribution > TOL for r in rows):
        return None
    running, year = 0.0, None
    for r in rows:
        running += r.net_cashable_savings
        year = year or r.year if running >= -TOL else None
    return year


def _measured(m: pyo.ConcreteModel, d: ModelData, target: Target, period: int | str) -> float:
    """A target's measure at the model's values: the body of its own row where the model
    has it (the expression the solver held to the target, built once), else built again."""
    rows = getattr(m, "target", None)
    if rows is not None and (target.id, period) in rows:
        value = evaluate(rows[target.id, period].body)
        if value is not None:
            return float(value)
    return float(pyo.value(target_expression(m, d, target, period)))


def target_rows(m: pyo.ConcreteModel, d: ModelData, solved: bool) -> list[TargetResult]:
    out = []
    for target in d.scenario.targets:
        required = target.min if target.min is not None else target.max
        assert required is not None  # checked by the scenario
        achieved = year = met = None
        if solved:
            worst = None
            for period in target_periods(d, target):
                value = clean(_measured(m, d, target, period))
                slack = min(value - target.min if target.min is not None else float("inf"),
                            target.max - value if target.max is not None else float("inf"))
                if worst is None or slack < worst[0]:
                    worst = (slack, value, period)
            assert worst is not None
            slack, achieved, period = worst
            year = period if isinstance(period, int) and target.period == "each_year" else None
            met = slack >= -TOL * max(1.0, abs(required))
        out.append(TargetResult(
            id=target.id, partner=target.partner, measure=target.measure,
            period=str(target.period), required=required, min=target.min, max=target.max,
            achieved=achieved, year=year, met=met))
    return out


def reconciliation_problems(result: PlanResult, d: ModelData) -> list[str]:
    """Every figure that does not add up: funding to cost, partners to partnership, NPVs."""
    problems: list[str] = []
    if not result.has_plan:
        return problems
    units = {r.id: r.units for r in result.interventions}
    selected = {r.id: r.selected for r in result.interventions}
    paid: dict[tuple[str, int], float] = defaultdict(float)
    for row in result.funding:
        paid[row.intervention, row.year] += row.amount
    for i in d.interventions:
        for t in d.years:
            cost = d.fixed_cost.get((i, t), 0.0) * selected[i] + d.unit_cost.get((i, t), 0.0) \
                * units[i]
            if abs(paid[i, t] - cost) > 1e-5 * max(1.0, cost):
                problems.append(f"funding of {i} in {t} is {paid[i, t]:.2f}, its cost {cost:.2f}")
    total_cost_npv = sum(r.cost_npv for r in result.interventions)
    total_paid_npv = sum(r.contribution_npv for r in result.partners)
    if abs(total_cost_npv - total_paid_npv) > 1e-5 * max(1.0, total_cost_npv):
        problems.append(f"partners pay {total_paid_npv:.2f} (NPV), interventions cost "
                        f"{total_cost_npv:.2f}")
    for name, a, b in (
        ("gross benefit", sum(r.gross_benefit_npv for r in result.partners),
         sum(r.benefit_npv for r in result.interventions)),
        ("cashable benefit", sum(r.cashable_benefit_npv for r in result.partners),
         sum(r.cashable_benefit_npv for r in result.interventions)),
    ):
        if abs(a - b) > 1e-5 * max(1.0, abs(b)):
            problems.append(f"partners' {name} NPV {a:.2f} differs from interventions' {b:.2f}")
    for pr in result.partners:
        rows = [r for r in result.partner_years if r.partner == pr.id]
        npv = sum(d.discount[r.year] * r.net_cashable_savings for r in rows)
        # relative to what the net is the difference of (a net of £0 between two sums of
        # £50m may carry pennies of round-off in its years)
        size = max(1.0, abs(npv), pr.contribution_npv, abs(pr.cashable_benefit_npv))
        if abs(npv - pr.net_cashable_savings_npv) > 1e-5 * size:
            problems.append(f"{pr.id}: net cashable savings NPV {pr.net_cashable_savings_npv:.2f}"
                            f" is not the discounted sum of its years {npv:.2f}")
    return problems


def must_fund_of(d: ModelData) -> set[str]:
    return {r.intervention for r in d.scenario.red_lines if r.rule == "must_fund"}


def reconcile(result: PlanResult, session: HighsSession, said: str = "reported") -> list[str]:
    """Every way in which `result` does not follow from its own decisions (units, selections,
    who pays) in the model loaded in `session`, each figure named: every row and bound of the
    model holds for the plan as reported (costs met, budgets, targets, red lines, links, whole
    units); each derived figure (objective, costs and benefits, partners' figures and years,
    payback years, targets' achieved and met) is what those decisions give; and the sums add
    up (funding to cost, partners to partnership, NPVs to years). Empty when it reconciles.

    Used after every solve (a plan that does not reconcile is never reported as optimal) and
    by `pbo audit` on a recorded plan against its recorded scenario. The model's values are
    restored afterwards."""
    if not result.has_plan:
        return []
    from pbo.optimizer.solving.feasibility import model_problems
    from pbo.optimizer.solving.figures import differences
    from pbo.optimizer.solving.highs import restore, values

    built = session.built
    m, d = built.m, built.data
    snapshot = values(m)
    try:
        problems = load_plan(m, d, result)
        if problems:
            return problems
        problems += model_problems(session)
        interventions, funding, partners, partner_years = plan_rows(m, d, must_fund_of(d))
        recomputed = result.model_copy(update={
            "objective": objective_value(built), "interventions": interventions,
            "funding": funding, "partners": partners, "partner_years": partner_years,
            "targets": target_rows(m, d, True)})
        problems += differences(result, recomputed, "recomputed", said=said)
        if not problems:
            problems += reconciliation_problems(result, d)
        return problems
    finally:
        restore(m, snapshot)


def load_plan(m: pyo.ConcreteModel, d: ModelData, result: PlanResult) -> list[str]:
    """Set the model's decisions to the plan `result` reports (every other variable keeps its
    value); the rows that name nothing in the model are the problems."""
    problems = []
    known = set(d.interventions)
    rows = {r.id: r for r in result.interventions}
    problems += [f"interventions[{i}]: not in the scenario" for i in rows if i not in known]
    problems += [f"interventions[{i}]: missing from the plan" for i in known if i not in rows]
    paid = {(r.partner, r.intervention, r.year): r.amount for r in result.funding}
    problems += [f"interventions[{r.id}].units: {r.units}, not a number of units"
                 for r in result.interventions if not math.isfinite(r.units)]
    problems += [f"funding[{p},{i},{t}].amount: {v}, not an amount" for (p, i, t), v in
                 paid.items() if not math.isfinite(v)]
    fundable = set(d.fund_index)
    problems += [f"funding[{p},{i},{t}]: {p} cannot pay towards {i} in {t} in this scenario"
                 for p, i, t in paid if (p, i, t) not in fundable]
    if problems:
        return problems
    hold_reported(m, d, result.interventions, result.funding)
    return []


def hold_reported(m: pyo.ConcreteModel, d: ModelData, interventions: list[InterventionResult],
                  funding: list[FundingRow]) -> None:
    """Set the model's decisions to the plan as reported (every other variable keeps its
    value), so that the objective and targets are computed from exactly that plan."""
    paid = {(r.partner, r.intervention, r.year): r.amount for r in funding}
    for row in interventions:
        m.select[row.id].set_value(1.0 if row.selected else 0.0, skip_validation=True)
        m.units[row.id].set_value(row.units, skip_validation=True)
    if d.formulation == "full":
        for key in d.fund_index:
            m.fund[key].set_value(paid.get(key, 0.0), skip_validation=True)
    elif d.class_funding:  # reduced: what each partner pays towards each class
        by_class: dict[tuple[str, str, int], float] = defaultdict(float)
        for (p, i, t), amount in paid.items():
            by_class[p, d.class_of[i], t] += amount
        for key in d.class_fund_index:
            m.class_fund[key].set_value(by_class.get(key, 0.0), skip_validation=True)
    # (benefit_share, fixed: no funding variable; the shares give what each pays, and the
    # reported rows are compared with what they give)


SHOWN_PROBLEMS = 3


def reconciled(result: PlanResult, session: HighsSession) -> PlanResult:
    """`result` when every figure reconciles; otherwise no plan at all: status error, with a
    plain message naming what does not add up (a plan that does not reconcile is never
    reported as optimal)."""
    problems = reconcile(result, session)
    if not problems:
        return result
    shown = "; ".join(problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    message = ("the plan the solver returned does not add up, so it is not reported: "
               f"{shown}{f' (and {more} more)' if more > 0 else ''}")
    return result.model_copy(update={
        "status": "error", "objective": None, "mip_gap": None, "message": message,
        "interventions": [], "funding": [], "partners": [], "partner_years": [],
        "targets": [t.model_copy(update={"achieved": None, "year": None, "met": None})
                    for t in result.targets],
        "red_lines": [r.model_copy(update={"binding": None, "relaxed_objective": None,
                                           "relaxed_bound": None})
                      for r in result.red_lines]})
