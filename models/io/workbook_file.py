"""Opening a scenario workbook safely: what the file is, bounds on its size before anything is
unpacked, and its sheets' cells streamed as they exist in the file (never the dimension a
sheet declares, which a stray cell at XFD1048576 makes sixteen billion cells).

openpyxl reads the workbook's parts (sheet names, shared strings, styles) in read-only mode;
each sheet's XML is then parsed here element by element, every finished row dropped, with
openpyxl's own cell decoder (types, shared strings, dates), so time and memory grow with the
cells present and each bound below is met before it is passed.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from pbo.models.errors import InputError
from pbo.models.io.input_file import read_file

MB = 2**20
MAX_FILE_BYTES = 64 * MB
"""The largest workbook file read."""
MAX_UNPACKED_BYTES = 256 * MB
"""The most its parts may unpack to, all together."""
MAX_PART_BYTES = 16 * MB
"""The most an XML part read whole (styles, the workbook's sheet list) may unpack to; sheets
and shared strings, which are streamed, and pictures, which are not read, are bound only by
MAX_UNPACKED_BYTES."""
MAX_RATIO = 100
"""The most a part over RATIO_FROM_BYTES may unpack to per byte packed (Apache POI's bound
against zip bombs; a pbo workbook's sheets pack about 10 to 1)."""
RATIO_FROM_BYTES = MB
MAX_ROWS = 200_000
"""Rows per sheet (rows that exist in the file, wherever they are)."""
MAX_CELLS = 5_000_000
"""Cells in the whole workbook (cells that exist in the file)."""
MAX_COLUMNS = 16_384
"""Cells in one row: Excel's last column is XFD, the 16,384th."""

STREAMED = re.compile(r"xl/worksheets/[^/]+\.xml|xl/sharedStrings\.xml")
WHOLE = re.compile(r"\.(xml|rels)$", re.IGNORECASE)
"""Parts openpyxl parses whole unless streamed (pictures and the like it does not read)."""
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL, DIMENSION, FORMULA = f"{NS}row", f"{NS}c", f"{NS}dimension", f"{NS}f"
AGAIN = "; save it again from Excel as an .xlsx workbook"
DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, KeyError,
           IndexError, ValueError, TypeError, AttributeError, SyntaxError, NotImplementedError,
           RuntimeError, OverflowError)
"""What openpyxl, zipfile and the XML parser raise on a damaged file (ParseError is a
SyntaxError; a bad CRC, also when a part unpacks to more than its header says, BadZipFile)."""


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n / 1024:,.0f} KB"


def too_large(path: Path, size: int) -> str:
    return (f"{path}: the workbook is {_size(size)}; pbo reads workbooks of up to "
            f"{_size(MAX_FILE_BYTES)} (a scenario that large is better kept in YAML or JSON)")


def _kind(path: Path, raw: bytes) -> None:
    """Refuse, in one sentence, a file that is not a zip archive of the right size (`raw`:
    its bytes, at most MAX_FILE_BYTES + 1 of them)."""
    if not raw:
        raise InputError(f"{path}: the file is empty, not an .xlsx workbook")
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(too_large(path, len(raw)))
    head = raw[:4096]
    if head.startswith(b"PK"):
        return
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{path}: an old-format (.xls) or password-protected workbook; pbo "
                         "reads .xlsx workbooks without a password" + AGAIN)
    try:
        text = b"\0" not in head
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = exc.start >= len(head) - 4  # only a character cut at the 4096th byte
    if not text:
        raise InputError(f"{path}: not an .xlsx workbook (an .xlsx file is a zip archive, "
                         "and this file is not one)")
    raise InputError(f"{path}: a text file, not an .xlsx workbook; a scenario written as "
                     "text belongs in a .yaml or .json file")


def _check_parts(path: Path, archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb before anything is unpacked. zipfile stops a part at the size its
    header gives (and then fails its CRC), so the sizes checked here are the sizes read."""
    total = 0
    for part in archive.infolist():
        total += part.file_size
        if WHOLE.search(part.filename) and not STREAMED.fullmatch(part.filename) \
                and part.file_size > MAX_PART_BYTES:
            raise InputError(f"{path}: its part {part.filename} unpacks to "
                             f"{_size(part.file_size)}, more than the {_size(MAX_PART_BYTES)} "
                             "pbo reads; not a scenario workbook")
        if part.file_size > RATIO_FROM_BYTES and \
                part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise InputError(f"{path}: its part {part.filename} unpacks to "
                             f"{_size(part.file_size)} from {_size(part.compress_size)}, more "
                             f"than {MAX_RATIO} times its packed size, as a zip bomb does; "
                             "pbo does not read it")
    if total > MAX_UNPACKED_BYTES:
        raise InputError(f"{path}: the workbook unpacks to {_size(total)}; pbo reads "
                         f"workbooks that unpack to at most {_size(MAX_UNPACKED_BYTES)}")


class WorkbookFile:
    """An open workbook, checked and bounded; use as a context manager."""

    def __init__(self, path: Path, raw: bytes | None = None):
        """The workbook at `path`, from `raw` (its bytes as read already) when given."""
        import openpyxl

        self.path = path
        if raw is None:
            raw = read_file(path, MAX_FILE_BYTES, "an .xlsx workbook",
                            lambda size: too_large(path, size))
        _kind(path, raw)
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                _check_parts(path, archive)
                _check_undimensioned(path, archive)
        except DAMAGED as exc:
            raise InputError(f"{path}: a damaged or incomplete .xlsx workbook, perhaps cut "
                             f"short while copied ({exc})" + AGAIN) from None
        try:
            with warnings.catch_warnings():  # openpyxl's notes on parts it skips
                warnings.simplefilter("ignore")
                self.book: Any = openpyxl.load_workbook(io.BytesIO(raw), read_only=True,
                                                    data_only=True)
        except DAMAGED as exc:
            raise InputError(f"{path}: not a readable .xlsx workbook ({exc})" + AGAIN) from None
        self.sheetnames: list[str] = list(self.book.sheetnames)
        self.cells = 0

    def __enter__(self) -> WorkbookFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()

    def chart_sheets(self) -> list[str]:
        """The sheets that hold a chart, not cells."""
        return [cs.title for cs in self.book.chartsheets]

    def rows(self, name: str) -> Iterator[tuple[int, list[tuple[int, Any, bool]]]]:
        """(row number, [(column number, value, is a formula)]) for each row in the sheet's
        file, in file order; a formula's value is its saved result (None if never
        calculated). Stops with an InputError past MAX_ROWS or MAX_CELLS, or when the sheet
        is damaged."""
        try:
            yield from self._rows(name)
        except DAMAGED as exc:
            raise InputError(f"{self.path}: sheet {name} is damaged ({exc})" + AGAIN) from None

    def _rows(self, name: str) -> Iterator[tuple[int, list[tuple[int, Any, bool]]]]:
        from openpyxl.worksheet._reader import WorkSheetParser

        ws, wb = self.book[name], self.book
        with wb._archive.open(ws._worksheet_path) as source:
            decode = WorkSheetParser(source, ws._shared_strings, data_only=True,
                                     epoch=wb.epoch, date_formats=wb._date_formats,
                                     timedelta_formats=wb._timedelta_formats)
            count, number = 0, 0
            cells: list[tuple[int, Any, bool]] = []
            for kind, el in _stream(source):
                if kind == "row":
                    count += 1
                    if count > MAX_ROWS:
                        raise _too_many_rows(f"{self.path}: sheet {name}")
                    r = el.get("r")
                    number = int(r) if r is not None else number + 1
                    decode.row_counter, decode.col_counter, cells = number, 0, []
                elif kind == "cell":
                    self.cells += 1
                    if self.cells > MAX_CELLS:
                        raise _too_many_cells(self.path)
                    cell = decode.parse_cell(el)
                    cells.append((cell["column"], cell["value"], el.find(FORMULA) is not None))
                    if len(cells) > MAX_COLUMNS:
                        raise _too_wide(f"{self.path}: sheet {name}", number)
                elif kind == "row end":
                    yield number, cells


def _too_many_rows(where: str) -> InputError:
    return InputError(f"{where} has more than {MAX_ROWS:,} rows; pbo reads at most "
                      f"{MAX_ROWS:,} rows a sheet")


def _too_wide(where: str, row: int) -> InputError:
    return InputError(f"{where}, row {row}: more than {MAX_COLUMNS:,} cells in one row, "
                      "past Excel's last column (XFD)")


def _too_many_cells(path: Path) -> InputError:
    return InputError(f"{path}: the workbook has more than {MAX_CELLS:,} cells; pbo reads at "
                      f"most {MAX_CELLS:,}")


def _stream(source: Any) -> Iterator[tuple[str, Any]]:
    """A sheet's XML as ('dimension' | 'row' | 'cell' | 'row end', element): a row when it
    starts (its attributes read), a cell when it ends (its parts read). Every finished
    element is then dropped from its parent (a cell's parts stay until the cell is done),
    so memory holds one row at a time, however the file is laid out."""
    stack: list[Any] = []
    in_cell = 0
    for event, el in iterparse(source, events=("start", "end")):
        if event == "start":
            stack.append(el)
            if el.tag == CELL:
                in_cell += 1
            elif el.tag == ROW and not in_cell:
                yield "row", el
            elif el.tag == DIMENSION and len(stack) == 2:
                yield "dimension", el
            continue
        stack.pop()
        if el.tag == CELL:
            in_cell -= 1
            yield "cell", el
        elif el.tag == ROW and not in_cell:
            yield "row end", el
        if in_cell or not stack:
            continue
        el.clear()
        stack[-1].remove(el)


def _check_undimensioned(path: Path, archive: zipfile.ZipFile) -> None:
    """openpyxl reads a sheet whole, keeping an empty element per row and cell, when the
    sheet does not give its dimension before its rows (every spreadsheet program gives it;
    a hostile file need not): such a sheet is counted first, here, within the bounds."""
    for part in archive.namelist():
        if not STREAMED.fullmatch(part) or part.endswith("sharedStrings.xml"):
            continue
        rows = cells = wide = number = 0
        with archive.open(part) as source:
            for kind, el in _stream(source):
                if kind == "dimension" and not rows:
                    break
                if kind == "row":
                    rows, wide, number = rows + 1, 0, int(el.get("r") or number + 1)
                    if rows > MAX_ROWS:
                        raise _too_many_rows(f"{path}: a sheet ({part})")
                elif kind == "cell":
                    cells, wide = cells + 1, wide + 1
                    if cells > MAX_CELLS:
                        raise _too_many_cells(path)
                    if wide > MAX_COLUMNS:
                        raise _too_wide(f"{path}: a sheet ({part})", number)
