"""Hostile and careless scenario workbooks: sheet structure, damaged files, bounds on size,
and text kept exactly. Each case: the exit code and the message a user sees.

The memory-hungry cases (a stray cell at XFD1048576, a zip bomb, a million rows) run `pbo
validate` in a subprocess capped at 1.5 GB of address space and a time limit."""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io import workbook_file
from pbo.models.io.loading import load_scenario
from pbo.models.io.workbook_layout import SHEETS
from tests.conftest import SCENARIOS

TUTORIAL = SCENARIOS / "tutorial.yaml"
CAP = 1536 * 2**20
"""Address space of a capped subprocess: 1.5 GB."""


@pytest.fixture(scope="module")
def good_book(tmp_path_factory) -> Path:
    """The tutorial as a workbook (3 partners, 4 interventions, 2 targets, 2 red lines)."""
    book = tmp_path_factory.mktemp("good") / "tutorial.xlsx"
    assert CliRunner().invoke(app, ["convert", str(TUTORIAL), str(book)]).exit_code == 0
    return book


def _validate(path: Path) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res.exit_code, " ".join(res.output.split())  # rich wraps lines


def _problems(output: str) -> int:
    return output.count(" - ")


def _edited(good_book: Path, tmp_path: Path, edit) -> Path:
    wb = openpyxl.load_workbook(good_book)
    edit(wb)
    out = tmp_path / "edited.xlsx"
    wb.save(out)
    return out


# --- sheet structure -------------------------------------------------------------------

@pytest.mark.parametrize(("sheet", "renamed"), [
    ("Costs", "Cost"), ("RedLines", "Red lines"), ("Budgets", "Budget"), ("Benefits", "Benefits "),
])
def test_a_renamed_sheet_is_an_error_that_suggests_its_name(good_book, tmp_path, sheet, renamed):
    """Once silently ignored (every intervention free, every budget 0, no red lines): now
    exit 1, naming the sheet and the one meant, and only that."""

    def rename(wb):
        wb[sheet].title = renamed

    code, out = _validate(_edited(good_book, tmp_path, rename))
    assert code == 1
    assert f"sheet '{renamed}': not a scenario sheet — did you mean '{sheet}'?" in out
    assert _problems(out) == 1  # not also "no sheet Costs"


@pytest.mark.parametrize("sheet", [s.name for s in SHEETS if s.required])
def test_a_missing_required_sheet_is_an_error(good_book, tmp_path, sheet):
    code, out = _validate(_edited(good_book, tmp_path, lambda wb: wb.remove(wb[sheet])))
    assert code == 1
    assert f"no sheet {sheet}: every scenario workbook has one, even with no rows" in out
    assert _problems(out) == 1


def test_optional_sheets_may_be_left_out(good_book, tmp_path):
    """The tutorial has no fixed shares and no named scenarios: without those sheets it is
    the same scenario; without RedLines it has none."""

    def drop(wb):
        for name in ("CostShares", "Scenarios"):
            wb.remove(wb[name])

    assert load_scenario(_edited(good_book, tmp_path, drop)) == load_scenario(TUTORIAL)
    code, out = _validate(_edited(good_book, tmp_path, lambda wb: wb.remove(wb["RedLines"])))
    assert code == 0
    assert "0 red lines" in out


def test_a_sheet_of_notes_is_an_error_that_lists_the_sheets(good_book, tmp_path):
    code, out = _validate(_edited(good_book, tmp_path, lambda wb: wb.create_sheet("Notes")))
    assert code == 1
    assert "sheet 'Notes': not a scenario sheet (a scenario workbook's sheets are Scenario, " \
           "Partners, Budgets, Interventions, Costs, Benefits," in out


def test_a_results_workbook_gets_one_sentence(good_book, tmp_path):
    results = tmp_path / "plan.xlsx"
    res = CliRunner().invoke(app, ["solve", str(TUTORIAL), "--no-binding", "--out", str(results)])
    assert res.exit_code == 0, res.output
    code, out = _validate(results)
    assert code == 1
    assert _problems(out) == 1
    assert "a pbo results workbook (written by pbo solve --out), not a scenario" in out


def test_a_random_workbook_gets_one_sentence(tmp_path):
    book = tmp_path / "sales.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["region", "sales"])
    wb.create_sheet("Q2")
    wb.save(book)
    code, out = _validate(book)
    assert code == 1
    assert _problems(out) == 1
    assert "not a pbo scenario workbook (its sheets are Sheet, Q2, and a scenario workbook's " \
           "are Scenario, Partners" in out
    assert "pbo template FILE.xlsx writes an empty one" in out


def test_a_chart_sheet_in_place_of_a_table(good_book, tmp_path):
    from openpyxl.chart import BarChart, Reference

    def chart(wb):
        wb.remove(wb["Outcomes"])
        bars = BarChart()
        bars.add_data(Reference(wb["Budgets"], min_col=3, min_row=1, max_row=4))
        wb.create_chartsheet("Outcomes").add_chart(bars)

    code, out = _validate(_edited(good_book, tmp_path, chart))
    assert code == 1
    assert "sheet Outcomes: a chart sheet, not a sheet of cells" in out


def test_a_sheet_named_twice(good_book, tmp_path):
    """Excel cannot make two sheets of one name, but a file can say so: which is meant?"""
    with zipfile.ZipFile(good_book) as z:
        listing = z.read("xl/workbook.xml").replace(b'name="Outcomes"', b'name="Costs"')
    code, out = _validate(_replace_part(good_book, tmp_path / "twice.xlsx", "xl/workbook.xml",
                                        listing))
    assert code == 1
    assert "sheet Costs: appears twice in the workbook; keep one" in out
    assert _problems(out) == 1


def test_a_column_named_twice_and_a_value_under_no_name(good_book, tmp_path):
    def edit(wb):
        ws = wb["Costs"]
        ws["G1"] = "unit_cost"   # unit_cost is column D
        ws["J7"] = 123           # no name in row 1 above it
        ws["K9"] = "note"

    code, out = _validate(_edited(good_book, tmp_path, edit))
    assert code == 1
    assert "sheet Costs, column G: column 'unit_cost' is also column D; keep one" in out
    assert "sheet Costs, row 7, column J: a value in a column with no name in row 1 (and 1 " \
           "more such cells); delete it, or name the column (intervention, year," in out


def test_a_header_moved_off_row_1_is_not_read_as_empty(good_book, tmp_path):
    """Row 1 holds the column names: with it deleted, the data is reported, not dropped."""
    code, out = _validate(_edited(good_book, tmp_path,
                                  lambda wb: wb["Budgets"].insert_rows(1)))
    assert code == 1
    assert "sheet Budgets, row 2, column A: a value in a column with no name in row 1" in out


# --- files that are not workbooks, or damaged ones --------------------------------------

def test_a_truncated_workbook(good_book, tmp_path):
    for cut in (0.5, 0.9, 0.999):
        bad = tmp_path / "cut.xlsx"
        data = good_book.read_bytes()
        bad.write_bytes(data[:int(len(data) * cut)])
        code, out = _validate(bad)
        assert code == 1
        assert f"{bad}: a damaged or incomplete .xlsx workbook, perhaps cut short while " \
               "copied" in out
        assert "save it again from Excel as an .xlsx workbook" in out


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty, not an .xlsx workbook"),
    (bytes(range(256)) * 4, "not an .xlsx workbook (an .xlsx file is a zip archive, and this "
                            "file is not one)"),
    (b"\0" * 100, "not an .xlsx workbook (an .xlsx file is a zip archive"),
    (TUTORIAL.read_bytes(), "a text file, not an .xlsx workbook; a scenario written as text "
                            "belongs in a .yaml or .json file"),
    ("name,année\nx,1\n".encode() * 2000, "a text file, not an .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
     "an old-format (.xls) or password-protected workbook"),
])
def test_a_file_that_is_not_a_workbook(tmp_path, content, message):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(content)
    code, out = _validate(bad)
    assert code == 1
    assert f"{bad}: {message}" in out


def test_a_zip_that_is_not_a_workbook(tmp_path):
    bad = tmp_path / "notes.xlsx"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("readme.txt", "hello")
    code, out = _validate(bad)
    assert code == 1
    assert f"{bad}: not a readable .xlsx workbook" in out


def _replace_part(book: Path, out: Path, name: str, data: bytes) -> Path:
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for part in src.infolist():
            dst.writestr(part.filename, data if part.filename == name else src.read(part))
    return out


def _sheet_part(book: Path, sheet: str) -> str:
    wb = openpyxl.load_workbook(book, read_only=True)
    try:
        return wb[sheet]._worksheet_path
    finally:
        wb.close()


@pytest.mark.parametrize(("dimension", "message"), [
    (b'<dimension ref="A1:F13"/>', "sheet Costs is damaged (no element found"),
    (b"", "a damaged or incomplete .xlsx workbook, perhaps cut short while copied (no element "
          "found"),
])
def test_a_sheet_of_broken_xml(good_book, tmp_path, dimension, message):
    """XML cut short in a sheet, with and without the dimension spreadsheets write first."""
    bad = _replace_part(good_book, tmp_path / "bad.xlsx", _sheet_part(good_book, "Costs"),
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                        b'2006/main">' + dimension + b'<sheetData><row r="1"><c r="A1" t="s">'
                        b"<v>99")
    code, out = _validate(bad)
    assert code == 1
    assert f"{bad}: {message}" in out


def test_a_part_whose_header_understates_its_size(good_book, tmp_path):
    """A zip bomb that lies about its size: zipfile stops at the stated size, and the CRC
    then fails; a located message, not a traceback."""
    name = _sheet_part(good_book, "Costs")
    data = good_book.read_bytes()
    with zipfile.ZipFile(good_book) as z:
        info = z.getinfo(name)
    raw = bytearray(data)
    central = raw.find(b"PK\x01\x02" + bytes(raw[info.header_offset + 4:info.header_offset + 8]))
    while raw[central + 46:central + 46 + len(name)] != name.encode():
        central = raw.find(b"PK\x01\x02", central + 4)
    raw[central + 24:central + 28] = (100).to_bytes(4, "little")  # uncompressed size
    raw[info.header_offset + 22:info.header_offset + 26] = (100).to_bytes(4, "little")
    bad = tmp_path / "liar.xlsx"
    bad.write_bytes(bytes(raw))
    code, out = _validate(bad)
    assert code == 1
    assert f"{bad}: " in out
    assert "(Bad CRC-32 for file" in out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_damaged_bytes_never_give_a_traceback(good_book, tmp_path, cuts):
    """Bytes overwritten anywhere in a workbook: the scenario, or a plain message (exit 1)."""
    raw = bytearray(good_book.read_bytes())
    for where, byte in cuts:
        raw[min(int(where * len(raw)), len(raw) - 1)] = byte
    bad = tmp_path / "flipped.xlsx"
    bad.write_bytes(bytes(raw))
    code, _ = _validate(bad)
    assert code in (0, 1)


# --- bounds ---------------------------------------------------------------------------

@pytest.mark.parametrize(("bound", "value", "message"), [
    ("MAX_FILE_BYTES", 4096, "pbo reads workbooks of up to 4 KB"),
    ("MAX_UNPACKED_BYTES", 20_000, "pbo reads workbooks that unpack to at most 20 KB"),
    ("MAX_PART_BYTES", 2048, "more than the 2 KB pbo reads; not a scenario workbook"),
    ("MAX_CELLS", 50, "the workbook has more than 50 cells; pbo reads at most 50"),
    ("MAX_ROWS", 10, "has more than 10 rows; pbo reads at most 10 rows a sheet"),
])
def test_each_bound_is_a_plain_refusal(good_book, monkeypatch, bound, value, message):
    """Each bound (lowered here so the tutorial passes it) refuses with a message naming it."""
    monkeypatch.setattr(workbook_file, bound, value)
    code, out = _validate(good_book)
    assert code == 1
    assert message in out
    assert _problems(out) == 1


@pytest.mark.parametrize(("dimension", "where"), [
    (b'<dimension ref="A1:F13"/>', "sheet Costs, row 2"),
    (b"", "a sheet (xl/worksheets/sheet5.xml), row 2"),
])
def test_a_row_wider_than_excel_is_refused(good_book, tmp_path, dimension, where):
    """20,000 cells in one row (Excel stops at 16,384): refused at the 16,385th."""
    row = b'<row r="2">' + b"<c><v>1</v></c>" * 20_000 + b"</row>"
    xml = HEAD.replace(b"<sheetData>", dimension + b"<sheetData>") + row + FOOT
    book = _replace_part(good_book, tmp_path / "wide.xlsx", _sheet_part(good_book, "Costs"), xml)
    code, out = _validate(book)
    assert code == 1
    assert f"{book}: {where}: more than 16,384 cells in one row, past Excel's last column " \
           "(XFD)" in out


def test_the_bounds_leave_room_for_a_large_legitimate_workbook(tmp_path):
    """pbo's own workbook of 400 interventions over 10 years (4,000 rows of costs, random
    figures): its sheets pack well under the zip-bomb ratio, and two sheets at the row bound
    written that way fit the unpacked bound; it reads back the same."""
    import random

    from pbo.models.io.loading import scenario_from_data
    from pbo.models.io.workbook import write_workbook

    rng, years = random.Random(1), 10

    def profile(top: float) -> list[float]:
        return [round(rng.uniform(0, top), 2) for _ in range(years)]

    scenario = scenario_from_data({
        "start_year": 2020, "years": years,
        "partners": [{"id": f"p{k}", "poolable_budget": profile(1e7)} for k in range(3)],
        "interventions": [{"id": f"i{k}", "max_units": 100, "unit_cost": profile(5000),
                           "benefits": {"p0": profile(9000)}} for k in range(400)]})
    book = tmp_path / "large.xlsx"
    write_workbook(book, scenario)
    costs = _sheet_part(book, "Costs")
    with zipfile.ZipFile(book) as z:
        parts = z.infolist()
    assert max(p.file_size / p.compress_size for p in parts) < workbook_file.MAX_RATIO / 5
    per_row = next(p.file_size for p in parts if p.filename == costs) / (400 * years)
    assert 2 * workbook_file.MAX_ROWS * per_row < workbook_file.MAX_UNPACKED_BYTES
    assert load_scenario(book) == scenario


def _capped(path: Path, timeout: float = 120) -> tuple[int, str]:
    """`pbo validate PATH` in a subprocess with at most CAP bytes of address space."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    env = {**os.environ, "COLUMNS": "400"}
    proc = subprocess.run([sys.executable, "-c", "from pbo.cli import app; app(prog_name='pbo')",
                           "validate", str(path)], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=cap, env=env, check=False)
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert "MemoryError" not in output, output
    return proc.returncode, " ".join(output.split())


def test_capped_subprocess_reads_a_good_workbook(good_book):
    """The cap leaves room for pbo itself: the tutorial validates under it."""
    code, out = _capped(good_book)
    assert code == 0, out
    assert "4 interventions" in out


def test_a_stray_cell_at_the_last_cell_of_a_sheet(good_book, tmp_path):
    """A value at XFD1048576 (once 6.8 GB): only the cells present are read, and the value
    is reported where it is. An empty, formatted cell there is no problem at all."""
    from openpyxl.styles import Font

    def stray(wb):
        wb["Costs"]["XFD1048576"] = "x"

    code, out = _capped(_edited(good_book, tmp_path, stray))
    assert code == 1, out
    assert "sheet Costs, row 1048576, column XFD: a value in a column with no name in row 1" \
        in out

    def formatted(wb):
        wb["Costs"]["XFD1048576"].font = Font(bold=True)
        wb["Budgets"]["XFD1048576"].font = Font(bold=True)

    code, out = _capped(_edited(good_book, tmp_path, formatted))
    assert code == 0, out


def _deflated(prefix: bytes, filler: bytes, repeat: int, suffix: bytes) -> tuple[bytes, int, int]:
    """prefix + filler * repeat + suffix, raw-deflated fast: the filler is compressed once
    and its bytes repeated (a full flush makes each copy independent). (data, crc, size)"""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(filler) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.compress(suffix) + c.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(repeat):
        crc = zlib.crc32(filler, crc)
    crc = zlib.crc32(suffix, crc)
    return head + body * repeat + tail, crc, len(prefix) + len(filler) * repeat + len(suffix)


def _with_raw_part(book: Path, out: Path, name: str, part: tuple[bytes, int, int]) -> Path:
    """`book` with part `name` replaced by raw deflate data (written by hand: zipfile
    cannot take data already compressed)."""
    data, crc, size = part
    with zipfile.ZipFile(book) as src:
        members = [(i.filename, src.read(i)) for i in src.infolist()]
    blob, central = io.BytesIO(), io.BytesIO()
    for filename, content in members:
        if filename == name:
            packed, crc32, length = data, crc, size
        else:
            packed, crc32, length = zlib.compress(content)[2:-4], zlib.crc32(content), len(content)
        fn = filename.encode()
        offset = blob.tell()
        fields = (20, 0, 8, 0, 0, crc32, len(packed), length, len(fn))
        blob.write(b"PK\x03\x04" + b"".join(v.to_bytes(n, "little") for v, n in zip(
            fields + (0,), (2, 2, 2, 2, 2, 4, 4, 4, 2, 2), strict=True)) + fn + packed)
        central.write(b"PK\x01\x02" + b"".join(v.to_bytes(n, "little") for v, n in zip(
            (20, *fields, 0, 0, 0, 0, 0, offset),
            (2, 2, 2, 2, 2, 2, 4, 4, 4, 2, 2, 2, 2, 2, 4, 4), strict=True)) + fn)
    start, cd = blob.tell(), central.getvalue()
    end = b"PK\x05\x06" + b"".join(v.to_bytes(n, "little") for v, n in zip(
        (0, 0, len(members), len(members), len(cd), start, 0), (2, 2, 2, 2, 4, 4, 2),
        strict=True))
    out.write_bytes(blob.getvalue() + cd + end)
    return out


HEAD = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData>')
FOOT = b"</sheetData></worksheet>"


def test_a_zip_bomb_is_refused_before_it_is_unpacked(good_book, tmp_path):
    """The Costs sheet replaced by 2 GB of spaces packed into 2 MB: refused from the zip's
    own sizes, under a 1.5 GB cap."""
    bomb = _deflated(HEAD, b" " * 2**24, 128, FOOT)
    name = _sheet_part(good_book, "Costs")
    book = _with_raw_part(good_book, tmp_path / "bomb.xlsx", name, bomb)
    assert book.stat().st_size < 4 * 2**20
    code, out = _capped(book)
    assert code == 1, out
    assert f"its part {name} unpacks to 2,048 MB from 2 MB, more than 100 times its packed " \
           "size, as a zip bomb does; pbo does not read it" in out


@pytest.mark.parametrize(("dimension", "where"), [
    (b'<dimension ref="A1:B1000001"/>', "sheet Costs"),
    (b"", "a sheet (xl/worksheets/sheet5.xml)"),
], ids=["as spreadsheets write it", "no dimension"])
def test_a_million_rows_are_refused_at_the_row_bound(good_book, tmp_path, dimension, where):
    """A Costs sheet of 1,000,000 rows: refused at row 200,001, without reading the rest,
    under a 1.5 GB cap; a sheet that does not give its dimension first (which openpyxl
    would read whole to find it) is counted first, within the same bound."""
    rows = b"".join(b'<row r="%d"><c r="B%d"><v>2015</v></c></row>' % (r, r)
                    for r in range(2, 1_000_002))
    xml = HEAD.replace(b"<sheetData>", dimension + b"<sheetData>") + rows + FOOT
    name = _sheet_part(good_book, "Costs")
    assert name == "xl/worksheets/sheet5.xml"
    book = _with_raw_part(good_book, tmp_path / "rows.xlsx", name,
                          (zlib.compress(xml, 1)[2:-4], zlib.crc32(xml), len(xml)))
    code, out = _capped(book)
    assert code == 1, out
    assert f"{book}: {where} has more than 200,000 rows; pbo reads at most 200,000 rows a " \
           "sheet" in out


def test_a_row_numbered_a_billion_is_read_at_once(good_book, tmp_path):
    """Rows are read as they are, not padded out to their numbers: a row numbered
    1,000,000,000 (past Excel's last) costs what one row costs."""
    name = _sheet_part(good_book, "Costs")
    with zipfile.ZipFile(good_book) as z:
        xml = z.read(name)
    far = b'<row r="1000000000"><c r="Z1000000000" t="inlineStr"><is><t>far</t></is></c></row>'
    xml = xml.replace(b"</sheetData>", far + b"</sheetData>")
    book = _replace_part(good_book, tmp_path / "far.xlsx", name, xml)
    code, out = _capped(book, timeout=60)
    assert code == 1, out
    assert "sheet Costs, row 1000000000, column Z: a value in a column with no name" in out


# --- text kept exactly ----------------------------------------------------------------

def test_leading_and_trailing_spaces_survive_a_round_trip(tmp_path):
    """`pbo convert a.yaml a.xlsx; pbo convert a.xlsx b.yaml` gives back '  name  ', and
    every other free text, exactly (themes in a list included)."""
    source = tmp_path / "a.yaml"
    source.write_text(
        'name: "  name  "\ncurrency: " GBP"\nstart_year: 2020\nyears: 1\n'
        'partners: [{id: a, name: "  Council ", poolable_budget: 100}]\n'
        'interventions:\n  - {id: x, name: "\\tx ", theme: " early help ", unit: " family",'
        ' max_units: 3, unit_cost: 1, benefits: {a: 2}, outcomes: {" kids ": 1}}\n'
        'targets: [{id: t, measure: outcome, outcome: " kids ", min: 0}]\n'
        'red_lines:\n  - {id: r, rule: ring_fence, partner: a, themes: [" early help "],'
        ' description: " keep  ", owner: "DWP "}\n', encoding="utf-8")
    book, back = tmp_path / "a.xlsx", tmp_path / "b.yaml"
    runner = CliRunner()
    assert runner.invoke(app, ["convert", str(source), str(book)]).exit_code == 0
    assert runner.invoke(app, ["convert", str(book), str(back)]).exit_code == 0
    data = yaml.safe_load(back.read_text(encoding="utf-8"))
    assert data["name"] == "  name  "
    assert data["partners"][0]["name"] == "  Council "
    assert data["interventions"][0]["name"] == "\tx "
    assert data["red_lines"][0]["themes"] == [" early help "]
    assert load_scenario(back) == load_scenario(source) == load_scenario(book)


def test_ids_and_numbers_typed_with_spaces_are_trimmed(good_book, tmp_path):
    """Spaces around an id or a setting cannot be meant (ids have none): trimmed, as
    before; only free text (names, themes, descriptions) is kept as typed."""

    def sloppy(wb):
        wb["Budgets"]["A2"] = wb["Budgets"]["A2"].value + "  "
        wb["Scenario"]["B4"] = f" {wb['Scenario']['B4'].value} "  # start_year

    assert _validate(_edited(good_book, tmp_path, sloppy))[0] == 0


def test_a_long_id_in_a_workbook_is_abridged_and_placed(good_book, tmp_path):
    """A partner id of 5,000 characters is quoted abridged (as in YAML), and the problem
    still names its cell: the workbook's places are keyed as the problems name them."""
    long = "p" * 5000

    def edit(wb):
        wb["Partners"].cell(row=2, column=1).value = long

    code, output = _validate(_edited(good_book, tmp_path, edit))
    assert code == 1, output
    said = f"partners[{'p' * 40}…{'p' * 12} (5,000 characters)].id: String should have at most " \
        "80 characters (sheet Partners, row 2"
    assert said in output, output[:3000]
    assert long not in output
