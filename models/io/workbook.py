"""The Excel scenario workbook: read (values only, never formulas), write, and template.

Every sheet and column is named once, in pbo.models.io.workbook_layout.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from pbo.models.checks import did_you_mean
from pbo.models.io.workbook_file import WorkbookFile
from pbo.models.io.workbook_layout import (
    LIST_FIELDS,
    SETTINGS,
    SHEET,
    SHEETS,
    TEXT_SETTINGS,
    check_sheets,
)
from pbo.models.overrides import parse_value
from pbo.models.scenario import Intervention, Partner


class _Reader:
    def __init__(self, book: WorkbookFile):
        self.book = book
        self.problems: list[str] = []
        self.where: dict[str, str] = {}
        self.bad_cells: set[str] = set()

    def rows(self, name: str) -> list[tuple[int, dict[str, Any]]]:
        """(row number, {column: value}) for each non-empty row of a sheet, row 1 its column
        names; a value in a column with no name is reported, not dropped."""
        if name not in self.book.sheetnames:
            return []
        spec = SHEET[name]
        columns = {c.name: c for c in spec.columns}
        header: dict[int, str] = {}
        out, stray = [], []
        for r, cells in self.book.rows(name):
            if r == 1 and not header:
                self._header(name, cells, header)
                continue
            row: dict[str, Any] = {}
            for k, value, formula in cells:
                col = header.get(k)
                if col not in columns:
                    if k not in header and (formula or _blank(value) is not None):
                        stray.append((r, k))
                    continue
                if value is None and formula:
                    self.problems.append(
                        f"sheet {name}, row {r}, column {col}: holds a formula with no saved "
                        "value; pbo never evaluates formulas — open and save the workbook in "
                        "Excel, or type the value")
                    continue
                if isinstance(value, str):
                    value = (value or None) if columns[col].text else _blank(value)
                if isinstance(value, float) and value.is_integer() and col in (
                        "year", "from_year", "first_year", "last_year", "period"):
                    value = int(value)
                if value is not None:
                    row[col] = value
            if row:
                out.append((r, row))
        if stray:
            (r, k), more = stray[0], len(stray) - 1
            self.problems.append(
                f"sheet {name}, row {r}, column {_letter(k - 1)}: a value in a column with no "
                "name in row 1" + (f" (and {more:,} more such cells)" if more else "")
                + f"; delete it, or name the column ({', '.join(spec.names)})")
        return out

    def _header(self, name: str, cells: list[tuple[int, Any, bool]],
                header: dict[int, str]) -> None:
        spec, seen = SHEET[name], dict[str, int]()
        for k, value, _ in cells:
            col = value.strip() if isinstance(value, str) else value
            if col is None or col == "":
                continue
            if col not in spec.names:
                self.problems.append(f"sheet {name}, column {_letter(k - 1)}: unknown column "
                                     f"'{col}'{did_you_mean(col, spec.names)}")
            elif col in seen:
                self.problems.append(f"sheet {name}, column {_letter(k - 1)}: column '{col}' "
                                     f"is also column {_letter(seen[col] - 1)}; keep one")
                continue
            seen[col] = k
            header[k] = col

    def locate(self, loc: str, sheet: str, row: int | str, column: str | None = None) -> None:
        self.where.setdefault(loc, f"sheet {sheet}, row {row}"
                              + (f", column {column}" if column else ""))

    def year_cell(self, profile: dict[Any, Any], loc: str, kind: TypeAdapter[Any],
                  cell: tuple[str, int, str], row: dict[str, Any]) -> None:
        """Put a row's year of a profile, its cell (sheet, row, column) checked on its own as
        the model checks the profile, so that every bad cell is reported (the model stops at a
        profile's first); a bad cell is left out of the profile."""
        sheet, r, col = cell
        year, value = row.get("year"), row.get(col, 0.0)
        try:
            kind.validate_python({year: value})
        except ValidationError as exc:
            for err in exc.errors():
                message = err["msg"].removeprefix("Value error, ")
                column = "year" if message.startswith("year keys") else col
                place = f"sheet {sheet}, row {r}, column {column}"
                if place not in self.bad_cells:  # a bad year once, not once per column
                    self.bad_cells.add(place)
                    self.problems.append(f"{loc}: {message} ({place})")
            return
        if year in profile:  # two rows for one year: which is meant?
            first = self.where.get(f"{loc}@{year}", "an earlier row")
            self.problems.append(f"{loc}: year {year} is given twice ({first}, and sheet "
                                 f"{sheet}, row {r}, column {col}); keep one")
            return
        profile[year] = value
        self.locate(loc, sheet, r, col)
        self.locate(f"{loc}@{year}", sheet, r, col)


@cache
def _profile_type(model: type[BaseModel], field: str) -> TypeAdapter[Any]:
    """The type of one of a model's profiles ({partner: profile} fields: of each profile)."""
    kind = model.model_fields[field].rebuild_annotation()
    return TypeAdapter(get_args(kind)[1] if get_origin(kind) is dict else kind)


def _blank(text: Any) -> Any:
    """A cell's text trimmed, None when only spaces."""
    return (text.strip() or None) if isinstance(text, str) else text


def _letter(k: int) -> str:
    """Column k's letters (0 is A); past Excel's last column, its number."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(k + 1) if 0 <= k < 16384 else f"number {k + 1}"


def _split(value: Any) -> list[str]:
    """A list cell: 'a, b' (comma-separated), or '[a, "b, c"]' (YAML, for names with commas)."""
    if value is None:
        return []
    text = str(value).strip()
    if text.startswith("["):
        with contextlib.suppress(yaml.YAMLError):
            items = yaml.safe_load(text)
            if isinstance(items, list):
                return [str(v) for v in items]
    return [v.strip() for v in text.split(",") if v.strip()]


def _cashable(value: Any) -> Any:
    if isinstance(value, str) and "=" in value:
        shares = {}
        for part in value.replace(";", ",").split(","):
            key, _, v = part.partition("=")
            shares[key.strip()] = parse_value(v.strip())
        return shares
    return value


def read_workbook(path: Path | str) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Scenario data from a workbook, where each item sits (sheet, row, column) so that
    validation problems can be located in the workbook, and the problems met reading it."""
    with WorkbookFile(Path(path)) as book:
        check_sheets(book.path, book.sheetnames, book.chart_sheets())
        return _read(_Reader(book))


def _read(rd: _Reader) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    data: dict[str, Any] = {}
    for r, row in rd.rows("Scenario"):
        field, value = row.get("field"), row.get("value")
        if field not in TEXT_SETTINGS:
            value = _blank(value)
        if field not in SETTINGS:
            rd.problems.append(f"sheet Scenario, row {r}, column field: unknown setting '{field}'"
                               f"{did_you_mean(field, SETTINGS)}")
            continue
        rd.locate(field, "Scenario", r, "value")
        if value is None:  # left empty: the default applies (or 'required' is reported)
            continue
        data[field] = {"rule": value} if field == "cost_sharing" else value
    _read_partners(rd, data)
    _read_interventions(rd, data)
    for section, sheet in (("targets", "Targets"), ("red_lines", "RedLines")):
        items = []
        for r, row in rd.rows(sheet):
            item = {k: (_split(v) if k in LIST_FIELDS else v) for k, v in row.items()}
            items.append(item)
            key = f"{section}[{item.get('id', len(items) - 1)}]"
            rd.locate(key, sheet, r)
            for col in row:
                rd.locate(f"{key}.{col}", sheet, r, col)
        if items:
            data[section] = items
    shares: dict[str, dict[str, Any]] = defaultdict(dict)
    for r, row in rd.rows("CostShares"):
        i, p = str(row.get("intervention")), str(row.get("partner"))
        shares[i][p] = row.get("share")
        rd.locate(f"cost_sharing.shares[{i}]", "CostShares", r)
        rd.locate(f"cost_sharing.shares[{i}]@'{i}'", "CostShares", r, "intervention")
        rd.locate(f"cost_sharing.shares[{i}]@'{p}'", "CostShares", r, "partner")
    if shares:
        data.setdefault("cost_sharing", {"rule": "fixed"})["shares"] = dict(shares)
    named: dict[str, dict[str, Any]] = defaultdict(dict)
    for _, row in rd.rows("Scenarios"):
        value, name = row.get("value"), str(row.get("scenario"))
        if row.get("path") is None:  # a named scenario that changes nothing
            named.setdefault(name, {})
            continue
        named[name][str(row.get("path"))] = (
            parse_value(value) if isinstance(value, str) else value)
    if named:
        data["scenarios"] = dict(named)
    return data, rd.where, rd.problems


def _read_partners(rd: _Reader, data: dict[str, Any]) -> None:
    partners = []
    for r, row in rd.rows("Partners"):
        partners.append(dict(row))
        rd.locate(f"partners[{row.get('id')}]", "Partners", r)
        for col in row:
            rd.locate(f"partners[{row.get('id')}].{col}", "Partners", r, col)
    budgets: dict[Any, dict[Any, Any]] = defaultdict(dict)
    first_row: dict[Any, int] = {}
    for r, row in rd.rows("Budgets"):
        partner = row.get("partner")
        first_row.setdefault(partner, r)
        rd.year_cell(budgets[partner], f"partners[{partner}].poolable_budget",
                     _profile_type(Partner, "poolable_budget"), ("Budgets", r, "poolable_budget"),
                     row)
    for p in partners:
        if p.get("id") in budgets:
            p["poolable_budget"] = budgets[p["id"]]
    ids = [str(p.get("id")) for p in partners]
    for unknown in first_row.keys() - set(ids):
        rd.problems.append(f"sheet Budgets, row {first_row[unknown]}, column partner: unknown "
                           f"partner '{unknown}'{did_you_mean(unknown, ids)}")
    data["partners"] = partners


def _read_interventions(rd: _Reader, data: dict[str, Any]) -> None:
    items: dict[Any, dict[str, Any]] = {}
    for r, row in rd.rows("Interventions"):
        item = {k: (_split(v) if k in LIST_FIELDS else v) for k, v in row.items()}
        if str(row.get("funders", "")).lower() == "none":
            item["funders"] = []
        if "cashable" in item:
            item["cashable"] = _cashable(item["cashable"])
        items[item.get("id")] = item
        rd.locate(f"interventions[{item.get('id')}]", "Interventions", r)
        for col in row:
            rd.locate(f"interventions[{item.get('id')}].{col}", "Interventions", r, col)
    ids = [i for i in items if i is not None]

    def owner(sheet: str, r: int, i: Any) -> Any:
        if i not in items:
            rd.problems.append(f"sheet {sheet}, row {r}, column intervention: unknown "
                               f"intervention '{i}'{did_you_mean(i, ids)}")
            return None
        return items[i]

    for r, row in rd.rows("Costs"):
        item = owner("Costs", r, row.get("intervention"))
        for field in ("fixed_cost", "unit_cost", "economic_value", "social_value"):
            if item is not None and field in row:
                rd.year_cell(item.setdefault(field, {}), f"interventions[{item.get('id')}].{field}",
                             _profile_type(Intervention, field), ("Costs", r, field), row)
    for r, row in rd.rows("Benefits"):
        item = owner("Benefits", r, row.get("intervention"))
        if item is not None:
            partner = row.get("partner")
            key = f"interventions[{item.get('id')}].benefits"
            rd.locate(key, "Benefits", r, "partner")
            rd.locate(f"{key}@'{partner}'", "Benefits", r, "partner")
            rd.year_cell(item.setdefault("benefits", {}).setdefault(partner, {}),
                         f"{key}.{partner}", _profile_type(Intervention, "benefits"),
                         ("Benefits", r, "benefit"), row)
    for r, row in rd.rows("Outcomes"):
        item = owner("Outcomes", r, row.get("intervention"))
        if item is not None:
            item.setdefault("outcomes", {})[row.get("outcome")] = row.get("per_unit")
            rd.locate(f"interventions[{item.get('id')}].outcomes", "Outcomes", r, "per_unit")
    data["interventions"] = list(items.values())


# --- writing ---------------------------------------------------------------------------

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
            ws.column_dimensions[_letter(k - 1)].width = max(12, len(col.name) + 4)
            target = f"{_letter(k - 1)}2:{_letter(k - 1)}5000"
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
