"""The Excel scenario workbook: read (values only, never formulas); written, and the template,
by pbo.models.io.workbook_writer.

Every sheet and column is named once, in pbo.models.io.workbook_layout.
"""

from __future__ import annotations

import contextlib
import re
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from pbo.models.checks import did_you_mean
from pbo.models.errors import SHOWN_CHARS, abridged
from pbo.models.io.workbook_file import WorkbookFile
from pbo.models.io.workbook_layout import (
    LIST_FIELDS,
    SETTINGS,
    SHEET,
    TEXT_SETTINGS,
    check_sheets,
)
from pbo.models.io.workbook_writer import write_workbook
from pbo.models.overrides import parse_value
from pbo.models.scenario import Intervention, Partner

__all__ = ["Tables", "cell_value", "read_tables", "read_workbook", "write_workbook"]


class Tables:
    """What reading the scenario's tables needs, whatever holds them (a workbook's sheets,
    pandas DataFrames): each table's rows, and where a row or cell is, to locate problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.where: dict[str, str] = {}
        self.bad_cells: set[str] = set()

    def rows(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        """(row, {column: value}) for each non-empty row of the table a sheet `name` holds."""
        raise NotImplementedError

    def place(self, sheet: str, row: Any, column: str | None = None) -> str:
        """Where a row (or cell) is, as a reader finds it: 'sheet Costs, row 4, column
        unit_cost'."""
        return f"sheet {sheet}, row {row}" + (f", column {column}" if column else "")

    def locate(self, loc: str, sheet: str, row: Any, column: str | None = None) -> None:
        self.where.setdefault(loc, self.place(sheet, row, column))

    def year_cell(self, profile: dict[Any, Any], loc: str, kind: TypeAdapter[Any],
                  cell: tuple[str, Any, str], row: dict[str, Any]) -> None:
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
                place = self.place(sheet, r, column)
                if place not in self.bad_cells:  # a bad year once, not once per column
                    self.bad_cells.add(place)
                    self.problems.append(f"{loc}: {message} ({place})")
            return
        if year in profile:  # two rows for one year: which is meant?
            first = self.where.get(f"{loc}@{year}", "an earlier row")
            self.problems.append(f"{loc}: year {year} is given twice ({first}, and "
                                 f"{self.place(sheet, r, col)}); keep one")
            return
        profile[year] = value
        self.locate(loc, sheet, r, col)
        self.locate(f"{loc}@{year}", sheet, r, col)


WHOLE_COLUMNS = ("year", "from_year", "first_year", "last_year", "period")
"""Columns that hold years: a whole float (2016.0) is read as the year 2016."""


def cell_value(sheet: str, column: str, value: Any) -> Any:
    """A cell as the scenario reads it: text kept as written in a text column (a name, a
    description: leading and trailing spaces are the user's), trimmed elsewhere (blank text is
    empty); years whole."""
    if isinstance(value, str):
        spec = next((c for c in SHEET[sheet].columns if c.name == column), None)
        value = (value or None) if spec is not None and spec.text else _blank(value)
    if isinstance(value, float) and value.is_integer() and column in WHOLE_COLUMNS:
        value = int(value)
    return value


class _Reader(Tables):
    def __init__(self, book: WorkbookFile):
        super().__init__()
        self.book = book

    def rows(self, name: str) -> list[tuple[Any, dict[str, Any]]]:
        """(row number, {column: value}) for each non-empty row of a sheet, row 1 its column
        names; a value in a column with no name is reported, not dropped."""
        if name not in self.book.sheetnames:
            return []
        spec, header = SHEET[name], dict[int, str]()
        columns = {c.name: c for c in spec.columns}
        out, stray, strays = [], (0, 0), 0
        for r, cells in self.book.rows(name):
            if r == 1 and not header:
                header = self._header(name, cells)
                continue
            row: dict[str, Any] = {}
            for k, value, formula in cells:
                col = header.get(k)
                if col not in columns:
                    if k not in header and (formula or _blank(value) is not None):
                        stray, strays = stray if strays else (r, k), strays + 1
                    continue
                if value is None and formula:
                    self.problems.append(
                        f"sheet {name}, row {r}, column {col}: holds a formula with no saved "
                        "value; pbo never evaluates formulas — open and save the workbook in "
                        "Excel, or type the value")
                    continue
                value = cell_value(name, col, value)
                if value is not None:
                    row[col] = value
            if row:
                out.append((r, row))
        if strays:
            self.problems.append(
                f"sheet {name}, row {stray[0]}, column {_letter(stray[1] - 1)}: a value in a "
                "column with no name in row 1" + (f" (and {strays - 1:,} more such cells)"
                                                  if strays > 1 else "")
                + f"; delete it, or name the column ({', '.join(spec.names)})")
        return out

    def _header(self, name: str, cells: list[tuple[int, Any, bool]]) -> dict[int, str]:
        """{column number: name} from row 1; unknown names and names given twice reported."""
        names, header, seen = SHEET[name].names, dict[int, str](), dict[Any, int]()
        for k, value, _ in cells:
            col, at = _blank(value), f"sheet {name}, column {_letter(k - 1)}"
            if col in seen:
                self.problems.append(f"{at}: column '{col}' is also column "
                                     f"{_letter(seen[col] - 1)}; keep one")
            elif col is not None:
                header[k], seen[col] = col, k
                if col not in names:
                    self.problems.append(f"{at}: unknown column '{col}'"
                                         f"{did_you_mean(col, names)}")
        return header


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


def read_workbook(path: Path | str, raw: bytes | None = None
                  ) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Scenario data from a workbook (in `raw`, its bytes as read already, when given), where
    each item sits (sheet, row, column) so that validation problems can be located in the
    workbook, and the problems met reading it."""
    with WorkbookFile(Path(path), raw) as book:
        check_sheets(book.path, book.sheetnames, book.chart_sheets())
        return read_tables(_Reader(book))


def read_tables(rd: Tables) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Scenario data from the workbook's tables (sheets, or DataFrames laid out the same),
    where each item sits, and the problems met reading them."""
    data: dict[str, Any] = {}
    for r, row in rd.rows("Scenario"):
        field, value = row.get("field"), row.get("value")
        if field not in TEXT_SETTINGS:
            value = _blank(value)
        if field not in SETTINGS:
            rd.problems.append(f"{rd.place('Scenario', r, 'field')}: unknown setting '{field}'"
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
    return data, _abridged_places(rd.where), rd.problems


_LONG = re.compile(rf"(?<=\[)[^\[\]]{{{SHOWN_CHARS + 1},}}(?=\])|(?<=')[^']{{{SHOWN_CHARS + 1},}}"
                   rf"(?=')|(?<=\.)[^.\[\]'@]{{{SHOWN_CHARS + 1},}}")
"""An id, quote or key in a place longer than problems quote whole."""


def _abridged_places(where: dict[str, str]) -> dict[str, str]:
    """`where` keyed as problems name places: an id or key of more than SHOWN_CHARS
    abridged, as `errors.abridged` quotes it (so such a problem still finds its cell)."""
    return {(_LONG.sub(lambda m: abridged(m.group()), k) if len(k) > SHOWN_CHARS else k): v
            for k, v in where.items()}


def _read_partners(rd: Tables, data: dict[str, Any]) -> None:
    partners: list[dict[str, Any]] = []
    for r, row in rd.rows("Partners"):
        if any(p.get("id") == row.get("id") for p in partners):  # a duplicate id, located
            rd.where[f"partners[{row['id']}]@'{row['id']}'"] = rd.place("Partners", r)
        partners.append(dict(row))
        rd.locate(f"partners[{row.get('id')}]", "Partners", r)
        for col in row:
            rd.locate(f"partners[{row.get('id')}].{col}", "Partners", r, col)
    budgets: dict[Any, dict[Any, Any]] = defaultdict(dict)
    first_row: dict[Any, Any] = {}
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
        rd.problems.append(f"{rd.place('Budgets', first_row[unknown], 'partner')}: unknown "
                           f"partner '{unknown}'{did_you_mean(unknown, ids)}")
    data["partners"] = partners


def _read_interventions(rd: Tables, data: dict[str, Any]) -> None:
    items: dict[Any, dict[str, Any]] = {}
    listed = []  # every row, so that a duplicate id is reported (costs go to the first)
    for r, row in rd.rows("Interventions"):
        item = {k: (_split(v) if k in LIST_FIELDS else v) for k, v in row.items()}
        if str(row.get("funders", "")).lower() == "none":
            item["funders"] = []
        if "cashable" in item:
            item["cashable"] = _cashable(item["cashable"])
        listed.append(item)
        if item.get("id") in items:
            rd.where[f"interventions[{item['id']}]@'{item['id']}'"] = rd.place("Interventions", r)
        items.setdefault(item.get("id"), item)
        rd.locate(f"interventions[{item.get('id')}]", "Interventions", r)
        for col in row:
            rd.locate(f"interventions[{item.get('id')}].{col}", "Interventions", r, col)
    ids = [i for i in items if i is not None]

    def owner(sheet: str, r: Any, i: Any) -> Any:
        if i not in items:
            rd.problems.append(f"{rd.place(sheet, r, 'intervention')}: unknown "
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
    data["interventions"] = listed
