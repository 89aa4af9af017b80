"""The meeting page in a real browser: Selenium driving Debian's Chromium and chromedriver
(installed by ./test.sh; nothing downloaded at test time), against `pbo serve` started on
127.0.0.1 with a free port and stopped with Ctrl-C (SIGINT) at the end."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from pbo.models.io.loading import load_scenario, load_with_changes
from pbo.optimizer.solving.plan import solve
from tests.conftest import ROOT, SCENARIOS

EXAMPLE = SCENARIOS / "whole_place_example.yaml"
OUTPUT = Path(os.environ.get("PBO_TEST_OUTPUT", ROOT / "test-output"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("serve") / "example.yaml"
    shutil.copy(EXAMPLE, path)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "pbo.cli", "serve", str(path),
                             "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed once the base plan is solved and it listens
    assert f"http://127.0.0.1:{port}/" in line, line
    yield {"url": f"http://127.0.0.1:{port}/", "path": path, "proc": proc}
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.fail("the browser tests need Debian's chromium and chromium-driver packages "
                    "(./test.sh installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,2000", "--disable-background-networking",
                "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _updates(browser) -> int:
    return int(browser.execute_script("return window.pboUpdates || 0"))


def _wait(browser, condition, timeout: float = 60.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout).until(lambda _: condition())


def _objective(browser) -> float:
    return float(browser.find_element("id", "objective").get_attribute("data-value"))


@pytest.fixture(scope="module")
def page(server, browser):
    browser.get(server["url"])
    _wait(browser, lambda: _updates(browser) >= 1)
    return browser


def test_page_shows_the_base_objective(page) -> None:
    assert _objective(page) == pytest.approx(solve(load_scenario(EXAMPLE)).objective)
    assert page.find_element("id", "status").text == "optimal"
    assert "Fund" in page.find_element("id", "headline").text


def test_toggling_a_red_line_gives_what_solve_set_gives(page) -> None:
    sc, _ = load_with_changes(EXAMPLE, [("red_lines.dwp_no_pooling.active", False)])
    expected = solve(sc)
    before = _updates(page)
    page.find_element("id", "rl-dwp_no_pooling").click()
    _wait(page, lambda: _updates(page) > before)
    assert _objective(page) == pytest.approx(expected.objective, rel=1e-6)
    shown = page.find_element("id", "interventions").text
    for r in expected.interventions:
        assert (r.name in shown) == r.selected
    assert "lifted" in page.find_element("id", "red-line-controls").text
    page.find_element("id", "rl-dwp_no_pooling").click()  # back on
    _wait(page, lambda: _updates(page) > before + 1)


def test_a_bad_budget_shows_the_located_message(page) -> None:
    box = page.find_element("id", "budget-police")
    box.clear()
    box.send_keys("-250\n")
    page.find_element("id", "title").click()  # blur: the change event
    _wait(page, lambda: page.find_element("id", "problems").is_displayed())
    message = page.find_element("id", "problems").text
    assert "partners[police].poolable_budget" in message
    assert ">= 0" in message
    box.clear()
    box.send_keys("0\n")
    page.find_element("id", "title").click()
    _wait(page, lambda: not page.find_element("id", "problems").is_displayed())


def test_save_a_what_if_and_find_it_in_the_file(page, server) -> None:
    box = page.find_element("id", "budget-council")
    box.clear()
    box.send_keys("-5\n")
    page.find_element("id", "title").click()
    name = page.find_element("id", "save-name")
    name.clear()
    name.send_keys("council_minus_5")
    page.find_element("id", "save").click()
    _wait(page, lambda: "Saved" in page.find_element("id", "save-message").text)
    saved = yaml.safe_load(server["path"].read_text())["scenarios"]["council_minus_5"]
    council = load_scenario(EXAMPLE).partner["council"].poolable_budget
    assert saved["partners.council.poolable_budget"] == pytest.approx(
        [v * 0.95 for v in council])


def test_screenshot_of_the_page(page) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    shot = OUTPUT / "meeting_page.png"
    time.sleep(0.5)
    page.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000


def test_ctrl_c_stops_the_server_cleanly(page, server) -> None:
    proc = server["proc"]
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    assert "Stopped." in out
