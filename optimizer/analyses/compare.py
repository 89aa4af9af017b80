"""Compare two scenarios: what changed in the inputs and what moved in the results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{'interventions.hub.unit_cost': [..], ...}: list items addressed by id, as --set does."""
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list | tuple) and data and all(
            isinstance(x, dict) and "id" in x for x in data):
        for item in data:
            rest = {k: v for k, v in item.items() if k != "id"}
            out.update(flatten(rest, f"{prefix}.{item['id']}"))
    else:
        out[prefix] = list(data) if isinstance(data, tuple) else data
    return out


@dataclass
class Comparison:
    first: PlanResult
    second: PlanResult
    input_changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def objective_change(self) -> float | None:
        if self.first.objective is None or self.second.objective is None:
            return None
        return self.second.objective - self.first.objective

    def interventions(self) -> pd.DataFrame:
        """Units in each plan, and which interventions came in or went out."""
        a = {r.id: r for r in self.first.interventions}
        b = {r.id: r for r in self.second.interventions}
        rows = []
        for i in dict.fromkeys([*a, *b]):
            ra, rb = a.get(i), b.get(i)
            sa, sb = bool(ra and ra.selected), bool(rb and rb.selected)
            ua, ub = (ra.units if ra else 0.0), (rb.units if rb else 0.0)
            change = "in" if sb and not sa else "out" if sa and not sb else \
                ("scaled" if abs(ub - ua) > 1e-6 else "same")
            rows.append({"intervention": i, "units_first": ua, "units_second": ub,
                         "change": change})
        return pd.DataFrame(rows, columns=["intervention", "units_first", "units_second",
                                           "change"])

    def partners(self) -> pd.DataFrame:
        """Each partner's contribution and net position (NPV) in both plans; empty (None) in
        the plan of a scenario that does not have the partner."""
        a = {r.id: r for r in self.first.partners}
        b = {r.id: r for r in self.second.partners}
        rows = []
        for p in dict.fromkeys([*a, *b]):
            ra, rb = a.get(p), b.get(p)
            rows.append({
                "partner": p,
                "contribution_first": ra.contribution_npv if ra else None,
                "contribution_second": rb.contribution_npv if rb else None,
                "net_savings_first": ra.net_cashable_savings_npv if ra else None,
                "net_savings_second": rb.net_cashable_savings_npv if rb else None,
            })
        return pd.DataFrame(rows, columns=["partner", "contribution_first", "contribution_second",
                                           "net_savings_first", "net_savings_second"],
                            dtype=object)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy tables: input_changes (path, first, second), objective (one row),
        interventions and partners (both plans side by side)."""
        objective = pd.DataFrame([{"objective_first": self.first.objective,
                                   "objective_second": self.second.objective,
                                   "change": self.objective_change,
                                   "status_first": self.first.status,
                                   "status_second": self.second.status}])
        return {"input_changes": pd.DataFrame(self.input_changes,
                                              columns=["path", "first", "second"]),
                "objective": objective, "interventions": self.interventions(),
                "partners": self.partners()}

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON data (`pbo compare --out FILE.json`); its schema is
        `pbo.result_schema("compare")`."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")

        return {
            "input_changes": self.input_changes,
            "objective": {"first": self.first.objective, "second": self.second.objective,
                          "change": self.objective_change},
            "status": {"first": self.first.status, "second": self.second.status},
            "interventions": records(self.interventions()),
            "partners": records(self.partners()),
        }


def input_changes(first: Scenario, second: Scenario) -> list[dict[str, Any]]:
    a = flatten(first.model_dump(exclude={"scenarios"}))
    b = flatten(second.model_dump(exclude={"scenarios"}))
    return [{"path": k, "first": a.get(k), "second": b.get(k),
             "in_first": k in a, "in_second": k in b}
            for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k) or (k in a) != (k in b)]


def compare(first: Scenario, second: Scenario, first_result: PlanResult | None = None,
            second_result: PlanResult | None = None) -> Comparison:
    """What changed between two scenarios (`input_changes`: each input path whose value
    differs) and what moved in their plans (`interventions()`, `partners()`, the objective).

    The plans are the given results, or, when left out, each scenario solved as `pbo.solve`
    does.

    >>> import pbo
    >>> a = pbo.load_scenario(pbo.example_path("tutorial"))
    >>> b = a.with_changes({"interventions.hub.unit_cost": 150000})
    >>> c = pbo.compare(a, b)
    >>> c.input_changes[0]["path"]
    'interventions.hub.unit_cost'
    """
    if first_result is None or second_result is None:
        from pbo.optimizer.solving.plan import solve

        first_result = first_result or solve(first)
        second_result = second_result or solve(second)
    return Comparison(first=first_result, second=second_result,
                      input_changes=input_changes(first, second))
