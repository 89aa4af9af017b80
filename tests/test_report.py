"""The decision pack: self-contained HTML that renders in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.io.loading import load_scenario
from pbo.optimizer.present.pack import decision_pack, plan_in_words
from pbo.optimizer.solving.plan import solve
from tests.conftest import ROOT, SCENARIOS

TUTORIAL = SCENARIOS / "tutorial.yaml"
OUTPUT = Path(os.environ.get("PBO_TEST_OUTPUT", ROOT / "test-output"))
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*['"]?\s*(?:https?:)?//|url\(|@import""", re.I)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("headless Chromium is needed for this test: install Debian's `chromium` "
                "package (./test.sh and .ci/run do so)")


def render(page: Path, png: Path, profile: Path) -> str:
    """Screenshot `page`; returns Chromium's log (console messages appear as ':CONSOLE')."""
    run = subprocess.run(
        [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={profile}", "--window-size=1100,2400",
         f"--screenshot={png}", "--enable-logging=stderr", "--v=0", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False)
    return run.stdout + run.stderr


def test_pack_renders_in_chromium_without_console_errors(tmp_path):
    page = tmp_path / "pack.html"
    res = CliRunner().invoke(app, ["report", str(TUTORIAL), "--out", str(page)])
    assert res.exit_code == 0, res.output
    html = page.read_text()
    assert not EXTERNAL.search(html.replace("xmlns='http://www.w3.org/2000/svg'", ""))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    png = OUTPUT / "decision_pack.png"
    png.unlink(missing_ok=True)
    log = render(page, png, tmp_path / "profile")
    assert png.exists(), log
    assert png.stat().st_size > 20_000  # a real page, not a blank one
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ":CONSOLE" not in log, log


def test_console_error_detection_works(tmp_path):
    """The check above can fail: a page with a script error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>undefinedFn()</script></body></html>")
    log = render(page, tmp_path / "bad.png", tmp_path / "profile")
    assert ":CONSOLE" in log


def test_pack_contents_say_the_plan_in_words():
    sc = load_scenario(TUTORIAL)
    result = solve(sc)
    words = " ".join(plan_in_words(result, sc))
    assert "Fund 2 of 4 interventions" in words
    assert "Family key workers (300 families)" in words
    assert "Every target is met." in words
    html = decision_pack(result, sc)
    for heading in ("Who pays for what", "net position by year", "Targets against achievement",
                    "What each red line costs", "Assumptions", "Audit trail"):
        assert heading in html
    assert "<svg" in html
    assert "optimism bias" in html


def test_pack_escapes_input_text():
    sc = load_scenario(TUTORIAL, overrides=[("interventions.hub.name", "<script>x()</script>")])
    html = decision_pack(solve(sc), sc)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_an_infeasible_pack_says_why_and_shows_the_nearest_plan(tmp_path):
    """`pbo report` on a scenario no plan satisfies exits 4 but still writes a pack a board
    can use: why (the conflicting statements, as a list), what gives, and the nearest plan."""
    out = tmp_path / "pack.html"
    res = CliRunner().invoke(app, ["report", str(TUTORIAL), "--set",
                                   "targets.council_savings.min=1e9", "--out", str(out)])
    assert res.exit_code == 4, res.output
    html = out.read_text(encoding="utf-8")
    assert "Below: why, and the nearest plan that works." in html
    for heading in ("Why there is no plan", "The nearest plan that works", "Who pays for what"):
        assert f"<h2>{heading}</h2>" in html
    assert "<li>target council_savings" in html
    assert "council_savings" in html.split("The nearest plan that works")[0]
