"""Each partner's statement and the wrong-pocket matrix; the pack's partner pages in Chromium."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io.loading import scenario_from_data
from pbo.optimizer.analyses.partner_case import partner_cases
from pbo.optimizer.present.pack import CSS, decision_pack
from pbo.optimizer.solving.plan import solve
from tests.conftest import SCENARIOS, iv, partner, scenario_data
from tests.test_report import OUTPUT, render


def two_year_case():
    """Two years, no discounting. x costs 100 a unit in 2020 only (at most 1 unit); it saves
    a 30 and b 90 in each of 2020 and 2021; only a may pay (benefit_share among funders: a
    pays it all). a: pays 100 in 2020, gains 30 + 30: net -70 then +30, cumulative -70, -40
    (never pays back), return 60/100 = £0.60 per £1. b: pays nothing, gains 90 + 90.
    Wrong pocket: a's 100 buys savings for a and b in proportion to their benefit
    (60 : 180): a 25, b 75."""
    return scenario_from_data(scenario_data(
        years=2, partners=[partner("a", 100), partner("b", 0)],
        interventions=[iv("x", unit_cost=[100, 0], max_units=1, funders=["a"],
                          benefits={"a": 30, "b": 90})],
        cost_sharing={"rule": "benefit_share"}))


def test_statement_and_wrong_pocket_by_hand():
    sc = two_year_case()
    cases = partner_cases(solve(sc), sc)
    a, b = cases.statement("a"), cases.statement("b")
    assert [y.year for y in a.years] == [2020, 2021]
    assert [y.pays for y in a.years] == pytest.approx([100, 0])
    assert [y.cashable_benefit for y in a.years] == pytest.approx([30, 30])
    assert [y.net for y in a.years] == pytest.approx([-70, 30])
    assert [y.cumulative_net for y in a.years] == pytest.approx([-70, -40])
    assert a.payback_year is None
    assert a.return_per_pound == pytest.approx(0.6)
    assert b.return_per_pound is None
    assert [y.cumulative_net for y in b.years] == pytest.approx([90, 180])
    assert cases.matrix["a"] == pytest.approx({"a": 25, "b": 75})
    assert cases.matrix["b"] == {}


def test_cli_partner_case_and_statement_files(tmp_path):
    path = tmp_path / "case.json"
    path.write_text(json.dumps(two_year_case().model_dump(mode="json")))
    out = tmp_path / "statement.json"
    run = CliRunner().invoke(app, ["solve", str(path), "--partner", "a", "--statement",
                                   str(out)])
    assert run.exit_code == 0, run.output
    text = " ".join(run.output.split())
    assert "each £1 it pays returns £0.60 of cashable savings" in text
    assert "Its money buys savings for: b £75; a £25." in text
    data = json.loads(out.read_text())
    assert [s["id"] for s in data["statements"]] == ["a"]
    assert data["statements"][0]["years"][1]["cumulative_net"] == pytest.approx(-40)
    xlsx = tmp_path / "statement.xlsx"
    run = CliRunner().invoke(app, ["solve", str(path), "--statement", str(xlsx)])
    assert run.exit_code == 0, run.output
    import openpyxl

    assert openpyxl.load_workbook(xlsx).sheetnames == ["Statement", "Summary", "WrongPocket"]
    bad = CliRunner().invoke(app, ["solve", str(path), "--partner", "c"])
    assert bad.exit_code == 2
    assert "no such partner" in bad.output


def test_a_statement_and_a_result_on_one_path_is_refused_before_solving(tmp_path):
    """`--statement` and `--out` naming one file wrote both ("Wrote out/same.json" twice,
    exit 0) and only the plan survived; now a usage error (exit 2) before anything is
    solved or written, also for a table of a CSV set."""
    path = tmp_path / "case.json"
    path.write_text(json.dumps(two_year_case().model_dump(mode="json")))
    same = tmp_path / "same.json"
    run = CliRunner().invoke(app, ["solve", str(path), "--partner", "a", "--statement",
                                   str(same), "--out", str(same)])
    assert run.exit_code == 2, run.output
    assert "the same file as --out writes" in " ".join(run.output.split())
    assert not same.exists()
    run = CliRunner().invoke(app, ["solve", str(path), "--statement",
                                   str(tmp_path / "plan_funding.csv"), "--out",
                                   str(tmp_path / "plan.csv")])
    assert run.exit_code == 2, run.output  # (a statement is .json or .xlsx: refused anyway)
    xlsx_set = CliRunner().invoke(app, ["solve", str(path), "--statement",
                                        str(tmp_path / "r.xlsx"), "--out",
                                        str(tmp_path / "r.xlsx")])
    assert xlsx_set.exit_code == 2, xlsx_set.output
    assert not (tmp_path / "r.xlsx").exists()


def _section(page: str, start: str) -> str:
    found = re.search(start + r".*?</section>", page, re.S)
    assert found, start
    return found.group(0)


def test_pack_partner_section_and_heat_map_render(tmp_path):
    """The pack's partner pages and wrong-pocket heat map, screenshotted in Chromium (the PNGs
    are kept in test-output/ to look at)."""
    from pbo.models.io.loading import load_scenario

    sc = load_scenario(SCENARIOS / "whole_place_example.yaml")
    page = decision_pack(solve(sc), sc)
    section = _section(page, "<section id='partners'>")
    assert "Cumulative cash position" in section
    assert "Who pays for whose savings" in section
    assert section.count("class='partner'") >= 5
    heat = re.search(r"<figure class='heat'>.*?</figure>", section, re.S)
    assert heat
    assert "Who pays ↓</text>" in heat.group(0)  # the axes are named
    assert "Whose savings →</text>" in heat.group(0)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name, html in (("pack_partners", section), ("pack_heat_map", heat.group(0))):
        file = tmp_path / f"{name}.html"
        file.write_text(f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}"
                        f"</style></head><body>{html}</body></html>", encoding="utf-8")
        png = OUTPUT / f"{name}.png"
        png.unlink(missing_ok=True)
        log = render(file, png, tmp_path / "profile")
        assert png.exists(), log
        assert png.stat().st_size > 10_000
        assert ":CONSOLE" not in log, log
