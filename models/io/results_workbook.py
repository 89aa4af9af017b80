"""The results workbook a finance director opens: currency formats, frozen headers, and
every text from input written as text (never a formula)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from pbo.models.io.export import put, write_atomic
from pbo.models.results import PlanResult

CURRENCY_FORMAT = {"GBP": '"£"#,##0;-"£"#,##0', "EUR": '"€"#,##0;-"€"#,##0',
                   "USD": '"$"#,##0;-"$"#,##0'}
MONEY_WORDS = ("amount", "npv", "contribution", "benefit", "savings", "cost", "objective",
               "required", "achieved", "min", "max", "value")


def _is_money(column: str) -> bool:
    return any(w in column for w in MONEY_WORDS) and "units" not in column


def _sheet(wb: Any, title: str, frame: pd.DataFrame, currency_format: str,
           money_columns: set[str] | None = None) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    columns = [str(c) for c in frame.columns]
    for k, name in enumerate(columns, 1):
        cell = ws.cell(1, k)
        put(cell, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    money = money_columns if money_columns is not None else {c for c in columns if _is_money(c)}
    for r, row in enumerate(frame.itertuples(index=False), 2):
        for k, value in enumerate(row, 1):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                continue
            cell = ws.cell(r, k)
            put(cell, value.item() if hasattr(value, "item") else value)
            if columns[k - 1] in money and isinstance(value, int | float):
                cell.number_format = currency_format
    for k, name in enumerate(columns, 1):
        width = max([len(name)] + [len(str(v)) for v in frame.iloc[:, k - 1].head(200)])
        ws.column_dimensions[get_column_letter(k)].width = min(60, max(10, width + 2))
    ws.freeze_panes = "A2"


def summary_frame(result: PlanResult) -> pd.DataFrame:
    rows: list[tuple[str, Any]] = [
        ("scenario", result.meta.scenario_name), ("status", result.status),
        ("objective", result.objective_name), ("objective value (NPV)", result.objective),
        ("MIP gap", result.mip_gap)]
    rows += [(f"target {t.id}", "met" if t.met else ("not met" if t.met is False else "—"))
             for t in result.targets]
    rows += [(f"{p.name}: net cashable savings (NPV)", p.net_cashable_savings_npv)
             for p in result.partners]
    return pd.DataFrame(rows, columns=["item", "value"])


def manifest_frame(result: PlanResult) -> pd.DataFrame:
    meta = result.meta
    rows = [("engine version", meta.engine_version), ("solver", meta.solver),
            ("input file", meta.input_file), ("input sha256", meta.input_sha256),
            ("overrides (in order)", json.dumps(meta.overrides)),
            ("solver options", json.dumps(meta.solver_options)), ("MIP gap", result.mip_gap),
            ("timestamp", meta.timestamp)]
    return pd.DataFrame(rows, columns=["item", "value"])


def write_results_workbook(path: Path, result: PlanResult,
                           sensitivity: pd.DataFrame | None = None,
                           marginals: pd.DataFrame | None = None) -> None:
    """Summary, Interventions, Funding, FundingPivot, Partners, PartnerYears, Targets,
    RedLines, Manifest (and Sensitivity and Marginals when given), written atomically."""
    import openpyxl

    fmt = CURRENCY_FORMAT.get(result.meta.currency, "#,##0")
    tables = result.tables()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    summary = summary_frame(result)
    money_items = {"value"}
    _sheet(wb, "Summary", summary, fmt, money_items)
    _sheet(wb, "Interventions", tables["interventions"], fmt)
    _sheet(wb, "Funding", tables["funding"], fmt, {"amount"})
    pivot = result.funding_pivot()
    if not pivot.empty:
        pivot = pivot.reset_index()
        _sheet(wb, "FundingPivot", pivot, fmt, {str(c) for c in pivot.columns[1:]})
    _sheet(wb, "Partners", tables["partners"], fmt)
    _sheet(wb, "PartnerYears", tables["partner_years"], fmt)
    _sheet(wb, "Targets", tables["targets"], fmt)
    _sheet(wb, "RedLines", tables["red_lines"], fmt, {"relaxed_objective", "relaxed_bound"})
    if sensitivity is not None:
        _sheet(wb, "Sensitivity", sensitivity, fmt, {"objective", "value"})
    if marginals is not None:
        _sheet(wb, "Marginals", marginals, fmt, set())
    _sheet(wb, "Manifest", manifest_frame(result), fmt, set())
    _readable_formats(wb)
    write_atomic(path, wb.save)


PERCENT_FORMAT = "0.00%"
COUNT_FORMAT = "#,##0"
UNITS_FORMAT = {True: "#,##0", False: "#,##0.00"}
"""Units shown whole when whole, else to 2 places; the cell keeps every digit."""


def _column(ws: Any, name: str) -> int | None:
    for cell in ws[1]:
        if cell.value == name:
            return int(cell.column)
    return None


def _readable_formats(wb: Any) -> None:
    """The MIP gap as a percentage, outcome targets as counts, units rounded for display."""
    for title in ("Summary", "Manifest"):
        ws = wb[title]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "MIP gap" and isinstance(row[1].value, int | float):
                row[1].number_format = PERCENT_FORMAT
    ws = wb["Targets"]
    measure = _column(ws, "measure")
    counts = [c for c in (_column(ws, n) for n in ("required", "min", "max", "achieved")) if c]
    for r in range(2, ws.max_row + 1):
        if measure and ws.cell(r, measure).value == "outcome":
            for c in counts:
                ws.cell(r, c).number_format = COUNT_FORMAT
    ws = wb["Interventions"]
    units = _column(ws, "units")
    for r in range(2, ws.max_row + 1) if units else ():
        cell = ws.cell(r, units)
        if isinstance(cell.value, int | float):
            cell.number_format = UNITS_FORMAT[float(cell.value).is_integer()]


def write_tables_workbook(path: Path, tables: dict[str, pd.DataFrame], currency: str,
                          money_columns: set[str] | None = None) -> None:
    """One sheet per table (shares, a partner's statement), money in the currency's format,
    written atomically."""
    import openpyxl

    fmt = CURRENCY_FORMAT.get(currency, "#,##0")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, frame in tables.items():
        _sheet(wb, title[:31], frame, fmt, money_columns)
    write_atomic(path, wb.save)
