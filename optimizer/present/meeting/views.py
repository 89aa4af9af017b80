"""What the meeting page shows, as JSON: the controls of a scenario and the plan of a solve.

The page sends its controls (a target's bound, a partner's budget as a % change, a red line
switched off, the objective, the cost-sharing rule) as text; `changes_from_controls` turns
them into the `--set` changes the command line would make, so that the same validation, with
the same located messages, answers both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pbo.models.errors import InputError
from pbo.models.overrides import parse_value
from pbo.models.results import PlanResult
from pbo.models.scenario import OBJECTIVES, Scenario

SHARING_RULES = ("optimise", "benefit_share", "fixed")


def controls(scenario: Scenario) -> dict[str, Any]:
    """Every control the page offers, with its base value."""
    return {
        "name": scenario.name,
        "currency": scenario.currency,
        "objective": scenario.objective,
        "objectives": list(OBJECTIVES),
        "cost_sharing": scenario.cost_sharing.rule,
        "cost_sharing_rules": list(SHARING_RULES),
        "targets": [{"id": t.id, "partner": t.partner, "measure": t.measure,
                     "outcome": t.outcome, "min": t.min, "max": t.max}
                    for t in scenario.targets],
        "partners": [{"id": p.id, "name": p.name,
                      "budget": list(p.poolable_budget)} for p in scenario.partners],
        "red_lines": [{"id": r.id, "owner": r.owner, "description": r.description,
                       "rule": r.rule, "negotiable": r.negotiable, "active": r.active}
                      for r in scenario.red_lines],
        "saved": sorted(scenario.scenarios),
    }


def _number(text: Any, where: str) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    value = parse_value(str(text).strip()) if isinstance(text, str) else text
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: {str(text)!r} is not a number")
    return value


def changes_from_controls(base: Scenario, page: Mapping[str, Any]) -> dict[str, Any]:
    """The `--set` changes (path -> value) the page's controls make against the base."""
    changes: dict[str, Any] = {}
    problems: list[str] = []
    for part in (_target_changes, _budget_changes, _other_changes):
        part(base, page, changes, problems)
    if problems:
        raise InputError(problems)
    return changes


def _target_changes(base: Scenario, page: Mapping[str, Any], changes: dict[str, Any],
                    problems: list[str]) -> None:
    targets = {t.id: t for t in base.targets}
    for tid, bounds in (page.get("targets") or {}).items():
        target = targets.get(str(tid))
        if target is None or not isinstance(bounds, Mapping):
            problems.append(f"targets: no target with id {str(tid)!r}")
            continue
        for bound in ("min", "max"):
            if bound not in bounds:
                continue
            try:
                value = _number(bounds[bound], f"targets.{tid}.{bound}")
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            if value != getattr(target, bound):
                changes[f"targets.{tid}.{bound}"] = value


def _budget_changes(base: Scenario, page: Mapping[str, Any], changes: dict[str, Any],
                    problems: list[str]) -> None:
    for pid, pct in (page.get("budgets") or {}).items():
        partner = base.partner.get(str(pid))
        if partner is None:
            problems.append(f"partners: no partner with id {str(pid)!r}")
            continue
        try:
            change = _number(pct, f"partners.{pid}.poolable_budget (a % change)")
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if change:
            changes[f"partners.{pid}.poolable_budget"] = [
                v * (1 + change / 100) for v in partner.poolable_budget]


def _other_changes(base: Scenario, page: Mapping[str, Any], changes: dict[str, Any],
                   problems: list[str]) -> None:
    """Red lines switched off, the objective and the cost-sharing rule."""
    lines = {r.id for r in base.red_lines}
    for rid in page.get("red_lines_off") or ():
        if str(rid) not in lines:
            problems.append(f"red_lines: no red line with id {str(rid)!r}")
        else:
            changes[f"red_lines.{rid}.active"] = False
    for key, path, default in (("objective", "objective", base.objective),
                               ("cost_sharing", "cost_sharing.rule", base.cost_sharing.rule)):
        value = page.get(key)
        if value not in (None, "", default):
            changes[path] = str(value)


def plan_view(result: PlanResult, scenario: Scenario, base_objective: float | None
              ) -> dict[str, Any]:
    """The plan as the page shows it: headline sentences, who pays what, partner positions,
    targets and red lines, and the objective against the base's."""
    from pbo.optimizer.present.pack import plan_in_words
    from pbo.optimizer.present.tables import money, number

    cur = scenario.currency
    pays: dict[tuple[str, str], float] = {}
    for f in result.funding:
        pays[f.partner, f.intervention] = pays.get((f.partner, f.intervention), 0.0) + f.amount
    lines = {r.id: r for r in scenario.red_lines}
    change = None if result.objective is None or base_objective is None \
        else result.objective - base_objective
    return {
        "status": result.status,
        "objective_name": result.objective_name.replace("_", " "),
        "objective": result.objective,
        "objective_text": money(result.objective, cur),
        "change": change,
        "change_text": None if change is None else
        ("no change" if abs(change) < 0.5 else ("+" if change > 0 else "") + money(change, cur)),
        "headline": plan_in_words(result, scenario),
        "warnings": list(result.meta.warnings),
        "interventions": [{"id": r.id, "name": r.name, "units": number(r.units)}
                          for r in result.interventions if r.selected],
        "pays": [{"partner": p.name, "intervention": iv.name,
                  "amount": money(pays[p.id, iv.id], cur)}
                 for p in result.partners for iv in result.interventions
                 if pays.get((p.id, iv.id), 0.0) > 0.5],
        "partners": [{"id": p.id, "name": p.name, "pays": money(p.contribution_npv, cur),
                      "benefit": money(p.cashable_benefit_npv, cur),
                      "net": money(p.net_cashable_savings_npv, cur),
                      "payback": p.payback_year} for p in result.partners],
        "targets": [{"id": t.id, "required": t.required, "achieved": t.achieved,
                     "met": t.met,
                     "required_text": number(t.required) if t.measure == "outcome"
                     else money(t.required, cur),
                     "achieved_text": number(t.achieved) if t.measure == "outcome"
                     else money(t.achieved, cur)} for t in result.targets],
        "red_lines": [{"id": r.id, "owner": r.owner,
                       "description": lines[r.id].description if r.id in lines else "",
                       "binding": r.binding,
                       "cost": result.relaxation_gain(r),
                       "cost_at_most": (result.relaxation_range(r) or (None, None))[1]}
                      for r in result.red_lines],
    }
