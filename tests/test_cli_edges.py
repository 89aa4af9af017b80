"""Command-line edges users hit: compare across different partners, sweep ranges that are
not finite or too big. Each case with its exit code and message."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pbo.cli import app

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def words(text: str) -> str:
    return " ".join(text.split())


def test_compare_shows_a_partner_one_scenario_lacks_as_absent(tmp_path: Path) -> None:
    """B adds a fire service: its figures in A are 'not in first', never '£nan'."""
    data = yaml.safe_load(TUTORIAL.read_text())
    data["partners"].append({"id": "fire", "name": "Fire service", "poolable_budget": 10000})
    second = tmp_path / "b.yaml"
    second.write_text(yaml.safe_dump(data, sort_keys=False))
    result = runner.invoke(app, ["compare", str(TUTORIAL), str(second), "--out",
                                 str(tmp_path / "c.json")], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "£nan" not in result.output
    fire = next(line for line in result.output.splitlines() if "│ fire" in line)
    assert fire.count("not in first") == 2
    assert "partners.fire.name │ not in first │ Fire service" in words(result.output)
    import json

    saved = json.loads((tmp_path / "c.json").read_text())
    row = next(r for r in saved["partners"] if r["partner"] == "fire")
    assert row["contribution_first"] is None
    assert row["net_savings_first"] is None
    change = next(c for c in saved["input_changes"] if c["path"] == "partners.fire.name")
    assert (change["in_first"], change["in_second"]) == (False, True)


@pytest.mark.parametrize(("spec", "said"), [
    ("0:inf:3", "START, STOP and N must be finite numbers (not inf or nan)"),
    ("-inf:0:3", "START, STOP and N must be finite numbers (not inf or nan)"),
    ("nan:1:3", "START, STOP and N must be finite numbers (not inf or nan)"),
    ("0:.nan:3", "START, STOP and N must be finite numbers (not inf or nan)"),
    ("0:1:1e400", "START, STOP and N must be finite numbers (not inf or nan)"),
    ("-1e308:1e308:3", "STOP - START is beyond the largest number (about 1.8e308); sweep "
     "a narrower range"),  # each end is finite: the step overflows
    ("0:1e6:1000000000", "1,000,000,000 points; a sweep solves at most 10,000"),
    ("0:1:10001", "10,001 points; a sweep solves at most 10,000"),
    ("0:1:2.5", "N a whole number of points, at least 1"),
    ("0:1:0", "N a whole number of points, at least 1"),
    ("0:1:true", "N a whole number of points, at least 1"),
])
def test_sweep_ranges_that_are_not_finite_or_too_big_are_usage_errors(spec: str,
                                                                        said: str) -> None:
    result = invoke("sweep", TUTORIAL, "--set", f"targets.council_savings.min={spec}")
    assert result.exit_code == 2, result.output
    assert said in words(result.output)
    assert "Traceback" not in result.output


def test_a_sweep_grid_is_capped_over_both_inputs() -> None:
    result = invoke("sweep", TUTORIAL, "--set", "targets.council_savings.min=0:1:200",
                    "--set", "partners.council.poolable_budget=0:1e6:200")
    assert result.exit_code == 2, result.output
    assert "a grid of 200 x 200 = 40,000 points; a sweep solves at most 10,000" \
        in words(result.output)


def test_the_library_sweep_checks_the_grid_before_solving() -> None:
    from pbo.models.errors import UsageError
    from pbo.optimizer.analyses.sweep import SweepParam, sweep

    params = [SweepParam("targets.council_savings.min", 0, 1, 5_000),
              SweepParam("partners.council.poolable_budget", 0, 1, 5_000)]
    with pytest.raises(UsageError, match="25,000,000 points"):
        sweep(yaml.safe_load(TUTORIAL.read_text()), params)


def test_a_billion_point_sweep_is_refused_in_bounded_memory_and_time() -> None:
    """It used 22.5 GB in two minutes; now it stops at once, under a 3 GB address-space cap."""
    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    began = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("pbo")), "sweep", str(TUTORIAL),
                           "--set", "partners.council.poolable_budget=0:1e6:1000000000"],
                          capture_output=True, text=True, timeout=60, preexec_fn=cap)
    assert done.returncode == 2, done.stderr
    assert "1,000,000,000 points; a sweep solves at most 10,000" in words(done.stderr)
    assert time.perf_counter() - began < 30


def test_the_pbo_command_prints_and_writes_everything_before_its_quick_exit(
        tmp_path: Path) -> None:
    """`pbo` (cli.main) ends without freeing the model when nothing else runs: every printed
    line still reaches a pipe, the file is whole, and the exit codes are the usual ones."""
    pbo = str(Path(sys.executable).with_name("pbo"))
    out = tmp_path / "plan.json"
    done = subprocess.run([pbo, "solve", str(TUTORIAL), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Tutorial partnership: optimal")
    assert done.stdout.rstrip().endswith(f"Wrote {out}")
    assert json.loads(out.read_text())["status"] == "optimal"
    bad = subprocess.run([pbo, "validate", str(tmp_path / "missing.yaml")],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert "missing.yaml: no such file" in bad.stderr


def test_the_pbo_command_exits_as_usual_while_another_thread_runs(tmp_path: Path) -> None:
    """With a thread still running (a library caller's, say), `main` does not cut it off:
    the thread finishes its work before the process ends."""
    mark = tmp_path / "thread-finished"
    script = (
        "import sys, threading, time\n"
        "from pathlib import Path\n"
        "from pbo.cli import main\n"
        f"threading.Thread(target=lambda: (time.sleep(1.0), Path({str(mark)!r}).touch())).start()\n"
        f"sys.argv = ['pbo', 'validate', {str(TUTORIAL)!r}]\n"
        "main()\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "ok:" in done.stdout
    assert mark.exists()
