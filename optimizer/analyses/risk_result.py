"""The result of `pbo risk`: every sample, and tidy tables of what they say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pbo.models.results import PlanResult
from pbo.models.scenario import Scenario

CORE, EXTERIOR = 0.9, 0.1
"""Robust labels: chosen in at least 90% of samples (core), in at most 10% (exterior)."""


def label(share: float) -> str:
    return "core" if share >= CORE else "exterior" if share <= EXTERIOR else "borderline"


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


@dataclass
class RiskResult:
    scenario: Scenario
    point: PlanResult
    samples: list[dict[str, Any]]
    values: list[list[float]]
    """Per sample, the drawn value of each draw's first input (multiplier or absolute)."""
    manifest: dict[str, Any]
    robust: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def maximise(self) -> bool:
        return self.point.objective_name != "min_cost"

    # -- the plan held fixed -------------------------------------------------------------
    def targets_table(self) -> pd.DataFrame:
        rows = []
        point = {t.id: t for t in self.point.targets}
        for target in self.scenario.targets:
            met = [s["targets"][target.id][1] for s in self.samples]
            row = {"target": target.id, "partner": target.partner or "partnership",
                   "measure": target.measure, "min": target.min, "max": target.max,
                   "point_value": point[target.id].achieved if target.id in point else None,
                   "p_met": float(np.mean(met)) if met else None,
                   "p10": _pct([s["targets"][target.id][0] for s in self.samples], 10),
                   "p50": _pct([s["targets"][target.id][0] for s in self.samples], 50),
                   "p90": _pct([s["targets"][target.id][0] for s in self.samples], 90)}
            if self.robust and self.robust.get("samples"):
                row["robust_p_met"] = float(np.mean(
                    [s["targets"][target.id][1] for s in self.robust["samples"]]))
            rows.append(row)
        return pd.DataFrame(rows)

    def partners_table(self) -> pd.DataFrame:
        rows = []
        point = {p.id: p.net_cashable_savings_npv for p in self.point.partners}
        for partner in self.scenario.partners:
            p = partner.id
            net = [s["partners"][p][0] for s in self.samples]
            breached = [any(s["partners"][p][2]) for s in self.samples]
            tol = 1e-6 * max(1.0, max(map(abs, net), default=0.0))
            rows.append({"partner": p, "point_net_npv": point.get(p), "p10": _pct(net, 10),
                         "p50": _pct(net, 50), "p90": _pct(net, 90),
                         "p_out_of_pocket": float(np.mean([v < -tol for v in net])),
                         "p_budget_breached": float(np.mean(breached))})
        return pd.DataFrame(rows)

    def fan(self) -> pd.DataFrame:
        """Each partner's cumulative discounted net position by year: P10, P50, P90."""
        rows = []
        for partner in self.scenario.partners:
            p = partner.id
            paths = np.array([s["partners"][p][1] for s in self.samples])
            for k, year in enumerate(self.scenario.horizon):
                col = paths[:, k]
                rows.append({"partner": p, "year": year, "p10": float(np.percentile(col, 10)),
                             "p50": float(np.percentile(col, 50)),
                             "p90": float(np.percentile(col, 90))})
        return pd.DataFrame(rows)

    def budgets_table(self) -> pd.DataFrame:
        """Per partner and year: the probability that the plan's payments exceed its budget."""
        rows = []
        for partner in self.scenario.partners:
            p = partner.id
            for k, year in enumerate(self.scenario.horizon):
                rows.append({"partner": p, "year": year, "p_breached": float(np.mean(
                    [s["partners"][p][2][k] for s in self.samples]))})
        return pd.DataFrame(rows)

    def objective_summary(self) -> dict[str, Any]:
        fixed = [s["objective"] for s in self.samples]
        out: dict[str, Any] = {
            "name": self.point.objective_name, "point": self.point.objective,
            "mean": float(np.mean(fixed)), "p10": _pct(fixed, 10), "p50": _pct(fixed, 50),
            "p90": _pct(fixed, 90)}
        regret = self.regrets()
        if regret:
            out.update(regret_mean=float(np.mean(regret)), regret_p90=_pct(regret, 90),
                       p_regret=float(np.mean([r > 1e-6 * max(1.0, abs(self.point.objective
                                                                          or 0)) for r in regret])))
        if self.robust and self.robust.get("samples"):
            out["robust_mean"] = float(np.mean([s["objective"] for s in self.robust["samples"]]))
        return out

    def regrets(self) -> list[float]:
        """Per re-optimised sample with a plan: what re-optimising gains over the point plan."""
        out = []
        for s in self.samples:
            r = s.get("reoptimised")
            if r and r["objective"] is not None:
                gain = r["objective"] - s["objective"]
                out.append(gain if self.maximise else -gain)
        return out

    # -- choices under uncertainty -------------------------------------------------------
    def interventions_table(self) -> pd.DataFrame:
        solved = [s["reoptimised"] for s in self.samples
                  if s.get("reoptimised") and s["reoptimised"]["objective"] is not None]
        robust_chosen = set()
        if self.robust and self.robust["plan"].objective is not None:
            robust_chosen = {r.id for r in self.robust["plan"].interventions if r.selected}
        rows = []
        for r in self.point.interventions:
            share = (float(np.mean([r.id in s["chosen"] for s in solved])) if solved else None)
            row = {"intervention": r.id, "point_chosen": r.selected, "point_units": r.units,
                   "p_chosen": share, "label": label(share) if share is not None else None}
            if self.robust:
                row["robust_chosen"] = r.id in robust_chosen
            rows.append(row)
        return pd.DataFrame(rows)

    def samples_table(self) -> pd.DataFrame:
        draws = [d["draw"] for d in self.manifest["draws"]]
        rows = []
        for k, (s, vals) in enumerate(zip(self.samples, self.values, strict=True)):
            row: dict[str, Any] = {"sample": k, **dict(zip(draws, vals, strict=True)),
                                   "objective_plan_fixed": s["objective"]}
            r = s.get("reoptimised")
            if r:
                row["status_reoptimised"] = r["status"]
                row["objective_reoptimised"] = r["objective"]
            for t, (_v, met) in s["targets"].items():
                row[f"met_{t}"] = met
            for p, (net, _c, _b) in s["partners"].items():
                row[f"net_{p}"] = net
            rows.append(row)
        return pd.DataFrame(rows)

    def comparison(self) -> pd.DataFrame | None:
        """Point-estimate plan against the robust plan, side by side."""
        if not self.robust or not self.robust.get("samples"):
            return None
        rs = self.robust["samples"]
        rows = [{"measure": "expected objective",
                 "point_plan": float(np.mean([s["objective"] for s in self.samples])),
                 "robust_plan": float(np.mean([s["objective"] for s in rs]))},
                {"measure": "objective at point estimates",
                 "point_plan": self.point.objective,
                 "robust_plan": self.robust.get("objective_at_point")},
                {"measure": "P(every target met)",
                 "point_plan": float(np.mean([all(v[1] for v in s["targets"].values())
                                              for s in self.samples])),
                 "robust_plan": float(np.mean([all(v[1] for v in s["targets"].values())
                                               for s in rs]))}]
        for t in self.scenario.targets:
            rows.append({"measure": f"P({t.id} met)",
                         "point_plan": float(np.mean([s["targets"][t.id][1]
                                                      for s in self.samples])),
                         "robust_plan": float(np.mean([s["targets"][t.id][1] for s in rs]))})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        def records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
            if frame is None:
                return None
            return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")

        out: dict[str, Any] = {"manifest": self.manifest, "warnings": self.warnings,
               "point": self.point.model_dump(mode="json", exclude={"meta"}),
               "objective": self.objective_summary(),
               "targets": records(self.targets_table()),
               "partners": records(self.partners_table()),
               "budgets": records(self.budgets_table()),
               "fan": records(self.fan()),
               "interventions": records(self.interventions_table()),
               "samples": self.samples, "values": self.values}
        if self.robust:
            robust = {k: v for k, v in self.robust.items() if k not in ("plan", "samples")}
            robust["plan"] = self.robust["plan"].model_dump(mode="json", exclude={"meta"})
            robust["comparison"] = records(self.comparison())
            out["robust"] = robust
        return out
