"""Meeting-page latency: the time from a control change to the updated page, in a real browser.

    python benchmarks/meeting.py [--changes 15] [--interventions 500]

Starts `pbo serve` (127.0.0.1, a free port) on the bundled realistic example and on a generated
scenario, drives headless Chromium with Selenium, and alternately switches a red line off and
on. The page measures each update itself (`window.pboLastUpdateMs`: from the change event to
the redrawn plan, the re-solve on the loaded model included; which red lines bind arrives
after, in a second request, and is not counted). Prints the median and the slowest update.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate, write  # noqa: E402


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(path: Path, changes: int) -> tuple[list[float], float]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    port = _port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pbo.cli", "serve", str(path), "--port",
                             str(port)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    proc.stdout.readline()
    ready = time.perf_counter() - started
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,2000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        wait = WebDriverWait(driver, 300)
        wait.until(lambda d: d.execute_script("return window.pboUpdates") >= 1)
        box = driver.find_element("css selector", "[data-red-line]")
        times = []
        for _ in range(changes):
            before = driver.execute_script("return window.pboUpdates")
            box.click()

            def updated(d: Any, b: int = before) -> bool:
                return bool(d.execute_script("return window.pboUpdates") > b)

            wait.until(updated)
            times.append(float(driver.execute_script("return window.pboLastUpdateMs")))
            time.sleep(0.3)  # let the red lines' binding request finish, as in a meeting
        return times, ready
    finally:
        driver.quit()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=15)
    parser.add_argument("--interventions", type=int, default=500)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        example = Path(folder) / "example.yaml"
        shutil.copy(ROOT / "scenarios" / "whole_place_example.yaml", example)
        generated = Path(folder) / f"generated_{args.interventions}.yaml"
        write(generate(args.interventions, 8, 5), generated)
        print(f"{'scenario':<28} {'start (s)':>9} {'median (ms)':>12} {'slowest (ms)':>13}")
        for name, path in (("bundled example", example),
                           (f"generated {args.interventions} x 8 x 5", generated)):
            times, ready = measure(path, args.changes)
            print(f"{name:<28} {ready:>9.1f} {statistics.median(times):>12.0f} "
                  f"{max(times):>13.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
