"""Scenarios from pandas: the workbook's long tables as DataFrames, read by the workbook's own
table reader (pbo.models.io.workbook.read_tables), so a table's problems are located by
table, row (the DataFrame's index label) and column.

The tables and their columns are the workbook's sheets (pbo.models.io.workbook_layout), named
in snake case: partners, budgets, interventions, costs, benefits, outcomes, targets, red_lines,
cost_shares and scenarios. The settings (the workbook's Scenario sheet) are keyword
arguments.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pbo.models.checks import did_you_mean, locate_problems
from pbo.models.errors import InputError
from pbo.models.io.workbook import Tables, cell_value, read_tables
from pbo.models.io.workbook_layout import SETTINGS, SHEET

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import TypeAlias

    import pandas as pd

    from pbo.models.scenario import Scenario

    Table: TypeAlias = pd.DataFrame | Sequence[Mapping[str, Any]] | Mapping[str, Sequence[Any]]
    """A DataFrame, or what pd.DataFrame takes: row mappings, or columns by name."""

TABLES = {
    "Partners": "partners", "Budgets": "budgets", "Interventions": "interventions",
    "Costs": "costs", "Benefits": "benefits", "Outcomes": "outcomes", "Targets": "targets",
    "RedLines": "red_lines", "CostShares": "cost_shares", "Scenarios": "scenarios",
}
"""The workbook's sheet each table stands for: its columns are the sheet's."""


def _plain(value: Any) -> Any:
    """A DataFrame cell as a Python value: a missing value (NaN, None, pd.NA) is a blank cell,
    numpy numbers are Python numbers."""
    if value is None:
        return None
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


class _FrameTables(Tables):
    def __init__(self, frames: Mapping[str, Table | None], settings: Mapping[str, Any]):
        super().__init__()
        self.frames = frames
        self.settings = settings

    def place(self, sheet: str, row: Any, column: str | None = None) -> str:
        if sheet == "Scenario":
            return f"argument {row}"
        return f"table {TABLES[sheet]}, row {row}" + (f", column {column}" if column else "")

    def rows(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        if name == "Scenario":
            return [(field, {"field": field, "value": value})
                    for field, value in self.settings.items() if value is not None]
        import pandas as pd

        given = self.frames.get(TABLES[name])
        if given is None:
            return []
        # records ([{column: value}]) or {column: [...]} as a DataFrame
        frame = given if isinstance(given, pd.DataFrame) else pd.DataFrame(given)
        spec = SHEET[name]
        for col in frame.columns:
            if col not in spec.names:
                self.problems.append(f"table {TABLES[name]}, column {col!r}: unknown column"
                                     f"{did_you_mean(col, spec.names)}")
        known = [c for c in frame.columns if c in spec.names]
        out = []
        for label, values in zip(frame.index, frame[known].itertuples(index=False, name=None),
                                 strict=True):
            row = {}
            for col, value in zip(known, values, strict=True):
                value = cell_value(name, str(col), _plain(value))
                if value is not None:
                    row[str(col)] = value
            if row:
                out.append((_plain(label), row))
        return out


def scenario_from_frames(
    partners: Table, *, budgets: Table | None = None,
    interventions: Table | None = None, costs: Table | None = None,
    benefits: Table | None = None, outcomes: Table | None = None,
    targets: Table | None = None, red_lines: Table | None = None,
    cost_shares: Table | None = None, scenarios: Table | None = None,
    start_year: int | None = None, years: int | None = None, name: str | None = None,
    currency: str | None = None, discount_rate: float | None = None,
    objective: str | None = None, cost_sharing: str | None = None,
) -> Scenario:
    """A scenario from long tables laid out as the workbook's sheets (one row per partner,
    per partner and year of budget, per intervention and year of cost, ...); see
    `pbo template` for every table's columns. A table is a DataFrame (or anything
    pd.DataFrame takes: a list of row mappings, a mapping of columns); a missing value (NaN,
    None) is a blank cell. Every problem is reported at once, each with
    its table, row (index label) and column: 'partners[police].poolable_budget: must be >= 0,
    not -5 (table budgets, row 3, column poolable_budget)'.

    >>> import pandas as pd, pbo
    >>> sc = pbo.scenario_from_frames(
    ...     partners=pd.DataFrame({"id": ["council"]}),
    ...     budgets=pd.DataFrame({"partner": ["council"] * 2, "year": [2020, 2021],
    ...                           "poolable_budget": [1000, 500]}),
    ...     start_year=2020, years=2)
    >>> sc.partners[0].poolable_budget
    (1000.0, 500.0)
    """
    from pbo.models.scenario import Scenario

    frames = {"partners": partners, "budgets": budgets, "interventions": interventions,
              "costs": costs, "benefits": benefits, "outcomes": outcomes, "targets": targets,
              "red_lines": red_lines, "cost_shares": cost_shares, "scenarios": scenarios}
    values = {"name": name, "currency": currency, "start_year": start_year, "years": years,
              "discount_rate": discount_rate, "objective": objective,
              "cost_sharing": cost_sharing}
    tables = _FrameTables(frames, {k: values[k] for k in SETTINGS})
    data, where, problems = read_tables(tables)
    try:
        scenario = Scenario.model_validate(data)
    except InputError as exc:
        raise InputError(problems + locate_problems(exc.problems, where)) from None
    if problems:
        raise InputError(problems)
    return scenario


def scenario_frames(scenario: Scenario) -> dict[str, Any]:
    """The scenario's tables as DataFrames, and its settings, as `scenario_from_frames` takes
    them: `pbo.scenario_from_frames(**pbo.scenario_frames(sc))` gives `sc` back."""
    import pandas as pd

    from pbo.models.io.workbook_writer import _scenario_rows

    rows = _scenario_rows(scenario)
    out: dict[str, Any] = {}
    for sheet, table in TABLES.items():
        if rows.get(sheet):
            out[table] = pd.DataFrame(rows[sheet], columns=list(SHEET[sheet].names))
    out.update({r["field"]: r["value"] for r in rows["Scenario"]})
    return out
