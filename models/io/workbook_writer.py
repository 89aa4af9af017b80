"""Writing the Excel scenario workbook: a scenario's content, or an empty template, every
sheet and column documented, with drop-downs; read back by pbo.models.io.workbook."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from pbo.models.io.workbook_layout import SETTINGS, SHEETS
from pbo.models.overrides import parse_value


def _flow(value: Any) -> str:
    """A value as one line of YAML: [a, 'b, c'], {x: 1}, 'yes'."""
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def _text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        if any("," in str(v) or str(v).strip() != str(v) or not str(v) for v in value):
            return _flow(list(value))  # names with commas or outer spaces: a YAML list
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return _flow(value)
    return value


def _set_text(value: Any) -> Any:
    """A named scenario's value as --set would take it back: lists and mappings in YAML, and
    text that would read as something else ('yes', '2020') quoted."""
    if isinstance(value, list | dict) or (isinstance(value, str) and parse_value(value) != value):
        return _flow(value)
    return value


def _scenario_rows(sc: Any) -> dict[str, list[dict[str, Any]]]:
    """Rows per sheet for a validated scenario (profiles written year by year)."""
    years = sc.horizon
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for field in SETTINGS:
        value = sc.cost_sharing.rule if field == "cost_sharing" else getattr(sc, field)
        rows["Scenario"].append({"field": field, "value": value})
    for p in sc.partners:
        rows["Partners"].append({"id": p.id, "name": p.name or None, "carry_over": p.carry_over,
                                 "reinvest_savings": p.reinvest_savings})
        rows["Budgets"] += [{"partner": p.id, "year": t, "poolable_budget": v}
                            for t, v in zip(years, p.poolable_budget, strict=True)]
    for iv in sc.interventions:
        cashable = iv.cashable if not isinstance(iv.cashable, dict) else "; ".join(
            f"{k}={v:g}" for k, v in iv.cashable.items())
        rows["Interventions"].append({
            "id": iv.id, "name": iv.name or None, "theme": iv.theme or None, "unit": iv.unit,
            "min_units": iv.min_units, "max_units": iv.max_units,
            "integer_units": iv.integer_units, "cashable": cashable,
            "optimism_bias": iv.optimism_bias, "deadweight": iv.deadweight,
            "attribution": iv.attribution,
            "funders": None if iv.funders is None else (_text(iv.funders) or "none"),
            "requires": _text(iv.requires) or None, "excludes": _text(iv.excludes) or None})
        for k, t in enumerate(years):
            rows["Costs"].append({"intervention": iv.id, "year": t,
                                  "fixed_cost": iv.fixed_cost[k], "unit_cost": iv.unit_cost[k],
                                  "economic_value": iv.economic_value[k],
                                  "social_value": iv.social_value[k]})
        for p, profile in iv.benefits.items():
            rows["Benefits"] += [{"intervention": iv.id, "partner": p, "year": t, "benefit": v}
                                 for t, v in zip(years, profile, strict=True)]
        rows["Outcomes"] += [{"intervention": iv.id, "outcome": k, "per_unit": v}
                             for k, v in iv.outcomes.items()]
    for t in sc.targets:
        rows["Targets"].append({k: _text(v) for k, v in t.model_dump().items()})
    for r in sc.red_lines:
        rows["RedLines"].append({k: _text(v) for k, v in r.model_dump().items()})
    for i, split in (sc.cost_sharing.shares or {}).items():
        rows["CostShares"] += [{"intervention": i, "partner": p, "share": v}
                               for p, v in split.items()]
    for name, changes in sc.scenarios.items():
        rows["Scenarios"] += [{"scenario": name, "path": path, "value": _set_text(value)}
                              for path, value in changes.items()] or [{"scenario": name}]
    return rows


def write_workbook(path: Path, scenario: Any | None = None) -> None:
    """A documented scenario workbook: the scenario's content, or empty (a template)."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from pbo.models.io.export import put

    rows = _scenario_rows(scenario) if scenario is not None else {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for spec in SHEETS:
        ws = wb.create_sheet(spec.name)
        for k, col in enumerate(spec.columns, 1):
            cell = ws.cell(1, k, col.name)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            cell.comment = Comment(col.note, "pbo")
            ws.column_dimensions[get_column_letter(k)].width = max(12, len(col.name) + 4)
            target = f"{get_column_letter(k)}2:{get_column_letter(k)}5000"
            if col.choices:
                dv = DataValidation(type="list", formula1='"' + ",".join(col.choices) + '"',
                                    allow_blank=True)
            elif col.ids_from:
                dv = DataValidation(type="list", formula1=f"={col.ids_from}!$A$2:$A$5000",
                                    allow_blank=True)
            else:
                continue
            ws.add_data_validation(dv)
            dv.add(target)
        ws.freeze_panes = "A2"
        for r, row in enumerate(rows.get(spec.name, ()), 2):
            for k, name in enumerate(spec.names, 1):
                value = row.get(name)
                if value is not None:
                    put(ws.cell(r, k), value)
        if spec.name == "Scenario" and scenario is None:
            for r, field in enumerate(SETTINGS, 2):
                ws.cell(r, 1, field)
    wb.save(path)
