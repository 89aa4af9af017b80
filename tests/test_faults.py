"""Faults: writers killed or failing at any point, full disks, unwritable places, Ctrl-C.

The promise (README, "Limits and guarantees"): a result file is the old one or the whole new
one, never part of either; a CSV set is whole when its manifest matches it, and a torn set is
seen as torn; a place pbo cannot write is refused before solving (exit 2); a write that fails
says so (exit 1) and leaves the old file; Ctrl-C stops HiGHS at once (exit 130).
"""

from __future__ import annotations

import errno
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import Interrupted, OutputError
from pbo.models.io.atomic import interrupts_deferred, verify_file_set, write_atomic
from pbo.models.io.export import PLAN_TABLES, write_csv_tables, write_json

ROOT = Path(__file__).resolve().parent.parent
TUTORIAL = ROOT / "scenarios" / "tutorial.yaml"
PBO = Path(sys.executable).with_name("pbo")
runner = CliRunner()


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args])


def words(text: str) -> str:
    return " ".join(text.split())  # rich wraps long messages


def leftovers(folder: Path) -> list[str]:
    """Temporary files a writer left behind (hidden .NAME.*.tmp)."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture(scope="module")
def solved():
    """The tutorial scenario and its plan, solved once for the module."""
    from pbo.models.io.loading import load_scenario
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve

    scenario = load_scenario(TUTORIAL)
    return scenario, solve(scenario, None, SolverOptions(check_binding=False))


def test_plan_tables_are_the_result_tables(solved) -> None:
    """The CSV set checked before solving is the set written after it."""
    assert tuple(solved[1].tables()) == PLAN_TABLES


# ---------------------------------------------------------------- writers killed at random


def versioned_tables(k: int, rows: int = 4_000) -> dict[str, pd.DataFrame]:
    """Six tables, each saying which write (k) made it, big enough that a write takes a while."""
    return {name: pd.DataFrame({"version": [k] * rows, "row": range(rows), "table": name})
            for name in PLAN_TABLES}


def csv_state(out: Path):
    """('whole', k) when the manifest matches the files, all from write k; ('torn', None)
    when it does not. A set the manifest calls whole but whose files come from different
    writes is the failure this test exists to catch."""
    manifest = out.with_name(f"{out.stem}_manifest.json")
    if verify_file_set(manifest):
        return ("torn", None)
    version = json.loads(manifest.read_text())["version"]
    found = {pd.read_csv(out.with_name(f"{out.stem}_{n}.csv"))["version"].unique().tolist()[0]
             for n in PLAN_TABLES}
    assert found == {version}, f"manifest of write {version} passes over files of {found}"
    return ("whole", version)


def kill_loop(write: Callable[[int], None], state: Callable[[], object], n: int,
              allowed: Callable[[object, object, int], bool], seed: int) -> Counter:
    """Write version 0; then n times fork a child that writes version k and SIGKILL it after
    a random delay (up to 1.5 times one write's duration); each time the files must be
    `allowed` (the state before, or the whole of write k)."""
    began = time.perf_counter()
    write(0)
    duration = time.perf_counter() - began
    before = state()
    rng = random.Random(seed)
    seen: Counter = Counter()
    for k in range(1, n + 1):
        pid = os.fork()
        if pid == 0:  # the child: write, and never return into pytest
            try:
                write(k)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0, 1.5 * duration))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        now = state()
        assert allowed(now, before, k), f"after killing write {k}: {now} (before: {before})"
        seen["new" if now != before else "old"] += 1
        before = now
    return seen


def test_killed_json_writer_leaves_the_old_or_the_whole_new_file(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    payload = {"rows": list(range(50_000))}

    def state():
        return json.loads(out.read_text())["version"]  # a half-written file does not parse

    kill_loop(lambda k: write_json(out, {"version": k, **payload}), state, 10,
              lambda now, before, k: now in (before, k), seed=1)


def test_killed_csv_set_writer_never_leaves_a_mix_the_manifest_calls_whole(
        tmp_path: Path) -> None:
    out = tmp_path / "plan.csv"
    tables = {k: versioned_tables(k) for k in range(11)}
    seen = kill_loop(lambda k: write_csv_tables(out, tables[k], {"version": k}),
                     lambda: csv_state(out), 10,
                     lambda now, before, k: now in (before, ("whole", k), ("torn", None)),
                     seed=2)
    assert sum(seen.values()) == 10


def test_killed_xlsx_writer_leaves_a_workbook_that_opens(tmp_path: Path, solved) -> None:
    import openpyxl

    from pbo.models.io.results_workbook import write_results_workbook

    out = tmp_path / "plan.xlsx"
    result = solved[1]

    def write(k: int) -> None:
        meta = result.meta.model_copy(update={"scenario_name": f"v{k}"})
        write_results_workbook(out, result.model_copy(update={"meta": meta}))

    def state():
        return openpyxl.load_workbook(out, read_only=True)["Summary"]["B2"].value

    kill_loop(write, state, 8, lambda now, before, k: now in (before, f"v{k}"), seed=3)


def test_killed_html_pack_writer_leaves_a_whole_page(tmp_path: Path, solved) -> None:
    from pbo.optimizer.present.pack import decision_pack

    out = tmp_path / "pack.html"
    page = decision_pack(solved[1], solved[0], None) * 20  # (a longer write)

    def state():
        text = out.read_text(encoding="utf-8")
        assert text.endswith("</html>\n") or text.rstrip().endswith("</html>"), "cut short"
        return text.rsplit("<!-- write ", 1)[1].split(" ", 1)[0]

    kill_loop(lambda k: write_atomic(out, lambda tmp: tmp.write_text(
        page + f"<!-- write {k} -->\n</html>\n", encoding="utf-8")), state, 8,
        lambda now, before, k: now in (before, str(k)), seed=4)


def test_pbo_solve_killed_at_random_leaves_a_whole_csv_set(tmp_path: Path) -> None:
    """The real command, SIGKILLed late in its run (where it writes), twice."""
    out = tmp_path / "plan.csv"
    command = [str(PBO), "solve", str(TUTORIAL), "--out", str(out), "--no-binding"]
    began = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    duration = time.perf_counter() - began
    manifest = out.with_name("plan_manifest.json")
    assert verify_file_set(manifest) == []
    rng = random.Random(5)
    for _ in range(2):
        run = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.6, 1.05) * duration)
        run.kill()
        run.wait()
        problems = verify_file_set(manifest)
        assert problems == [] or all("differs" in p for p in problems), problems


# ------------------------------------------------------- failures at each step, deterministic


def fail_on_call(monkeypatch: pytest.MonkeyPatch, name: str, k: int, err: int) -> None:
    """os.NAME raises OSError(err) on its k-th call (1-based), and works otherwise."""
    real = getattr(os, name)
    calls = Counter()

    def patched(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == k:
            raise OSError(err, os.strerror(err))
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, patched)


@pytest.mark.parametrize(("step", "k"), [("fsync", 1), ("replace", 1)])
@pytest.mark.parametrize("writer", ["json", "xlsx", "png", "yaml"])
def test_a_full_disk_at_any_step_leaves_the_old_file(tmp_path: Path, monkeypatch, solved,
                                                     writer: str, step: str, k: int) -> None:
    """ENOSPC while flushing or renaming: OutputError in words, the old file, no temporary."""
    from pbo.models.io.export import write_scenario
    from pbo.models.io.results_workbook import write_results_workbook
    from pbo.optimizer.present.charts import write_bar_chart

    out = tmp_path / f"old.{writer}"
    out.write_bytes(b"the old file")
    write = {"json": lambda: write_json(out, {"new": True}),
             "xlsx": lambda: write_results_workbook(out, solved[1]),
             "png": lambda: write_bar_chart(out, ["a"], [1.0], "t", str, "value"),
             "yaml": lambda: write_scenario(out, solved[0])}[writer]
    fail_on_call(monkeypatch, step, k, errno.ENOSPC)
    with pytest.raises(OutputError) as caught:
        write()
    assert str(caught.value) == (f"could not write {out}: no space left on the device; "
                                 f"old.{writer} is unchanged")
    assert out.read_bytes() == b"the old file"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("k", range(1, 8))
def test_a_rename_failing_in_a_csv_set_is_seen_in_the_manifest(tmp_path: Path, monkeypatch,
                                                               k: int) -> None:
    """Seven renames (six tables, then the manifest); the k-th fails. Before any rename the
    old set is whole; after some, the manifest no longer matches and the message says so."""
    out = tmp_path / "plan.csv"
    write_csv_tables(out, versioned_tables(0, 5), {"version": 0})
    fail_on_call(monkeypatch, "replace", k, errno.EIO)
    with pytest.raises(OutputError) as caught:
        write_csv_tables(out, versioned_tables(1, 5), {"version": 1})
    monkeypatch.undo()
    if k == 1:
        assert csv_state(out) == ("whole", 0)
        assert str(caught.value).endswith("; the earlier files are unchanged")
    else:
        assert csv_state(out) == ("torn", None)
        assert f"{k - 1} of 7 files were replaced, so plan_manifest.json does not match" \
            in str(caught.value)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("k", range(1, 8))
def test_a_full_disk_while_preparing_a_csv_set_leaves_the_old_set(tmp_path: Path, monkeypatch,
                                                                  k: int) -> None:
    out = tmp_path / "plan.csv"
    write_csv_tables(out, versioned_tables(0, 5), {"version": 0})
    fail_on_call(monkeypatch, "fsync", k, errno.ENOSPC)
    with pytest.raises(OutputError, match="no space left on the device; the earlier files"):
        write_csv_tables(out, versioned_tables(1, 5), {"version": 1})
    monkeypatch.undo()
    assert csv_state(out) == ("whole", 0)
    assert leftovers(tmp_path) == []


def test_solve_on_a_full_disk_says_so_and_keeps_the_old_result(tmp_path: Path,
                                                               monkeypatch) -> None:
    out = tmp_path / "plan.json"
    out.write_text('{"old": true}')
    fail_on_call(monkeypatch, "fsync", 1, errno.ENOSPC)
    result = invoke("solve", TUTORIAL, "--out", out, "--no-binding")
    assert result.exit_code == 1
    assert f"error: could not write {out}: no space left on the device; plan.json is " \
        "unchanged" in words(result.output)
    assert out.read_text() == '{"old": true}'
    assert leftovers(tmp_path) == []


def no_traceback(completed: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in completed.stderr
    assert "Exception ignored" not in completed.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_schema_to_a_full_device() -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([str(PBO), "schema"], stdout=full, stderr=subprocess.PIPE,
                              text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: could not write to standard output: no space left " \
        "on the device"
    no_traceback(done)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("command", [["validate"], ["solve", "--no-binding"]])
def test_a_plan_printed_to_a_full_device(command) -> None:
    name, *rest = command
    with open("/dev/full", "w") as full:
        done = subprocess.run([str(PBO), name, str(TUTORIAL), *rest], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: could not write to standard output: no space left " \
        "on the device"
    no_traceback(done)


def test_a_real_write_failure_file_too_large(tmp_path: Path) -> None:
    """A real failing write(2): a 2 KB file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored so the
    write fails with EFBIG instead of killing pbo)."""
    out = tmp_path / "plan.json"
    out.write_text('{"old": true}')

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))

    done = subprocess.run([str(PBO), "solve", str(TUTORIAL), "--out", str(out),
                           "--no-binding"], capture_output=True, text=True, timeout=120,
                          preexec_fn=limit)
    assert done.returncode == 1, done.stderr
    assert f"error: could not write {out}: file too large; plan.json is unchanged" \
        in words(done.stderr)
    no_traceback(done)
    assert out.read_text() == '{"old": true}'
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------- output places, before solving


@pytest.fixture
def no_solving(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any solve fails the test: output places are checked before solving."""
    import pbo.optimizer.solving.plan as plan

    def refuse(*args, **kwargs):
        raise AssertionError("solved before checking --out")

    monkeypatch.setattr(plan, "solve", refuse)


@pytest.mark.usefixtures("no_solving")
@pytest.mark.parametrize(("out", "said"), [
    ("{tmp}", "--out {tmp}: is a folder; name a file in it, e.g. {tmp}/result.json"),
    ("{tmp}/missing/plan.json", "--out {tmp}/missing/plan.json: the folder {tmp}/missing "
     "does not exist (pbo does not create folders; make it first)"),
    ("/proc/plan.json", "--out /proc/plan.json: cannot write in /proc"),
    ("{tmp}/fifo.json", "--out {tmp}/fifo.json: not a regular file (a device or a pipe); pbo "
     "writes only files"),
    ("{tmp}/file.json/plan.json", "--out {tmp}/file.json/plan.json: {tmp}/file.json is not a "
     "folder"),
    ("{tmp}/plan.csv", "--out {tmp}/plan_funding.csv: is a folder"),
])
def test_unwritable_outputs_are_refused_before_solving(tmp_path: Path, out: str,
                                                       said: str) -> None:
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "file.json").write_text("{}")
    (tmp_path / "plan_funding.csv").mkdir()
    target = out.format(tmp=tmp_path)
    result = invoke("solve", TUTORIAL, "--out", target)
    assert result.exit_code == 2, result.output
    assert said.format(tmp=tmp_path) in words(result.output)
    assert "Traceback" not in result.output
    assert not (tmp_path / "missing").exists()


@pytest.mark.usefixtures("no_solving")
@pytest.mark.parametrize("command", [["report"], ["sweep", "--set", "targets.families.min=0:1:2"],
                                     ["sensitivity"], ["explain"]])
def test_every_command_checks_its_out_before_working(tmp_path: Path, command) -> None:
    name, *rest = command
    suffix = {"report": "html", "sweep": "csv"}.get(name, "json")
    out = tmp_path / "missing" / f"x.{suffix}"
    result = invoke(name, TUTORIAL, *rest, "--out", out)
    assert result.exit_code == 2, result.output
    assert "does not exist (pbo does not create folders" in words(result.output)


def test_template_checks_its_place(tmp_path: Path) -> None:
    result = invoke("template", tmp_path / "missing" / "t.xlsx")
    assert result.exit_code == 2
    assert f"template {tmp_path}/missing/t.xlsx: the folder {tmp_path}/missing does not " \
        "exist" in words(result.output)


def test_schema_out_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = invoke("schema", "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["title"] == "Scenario"
    assert invoke("schema", "--out", tmp_path / "nope" / "s.json").exit_code == 2


def test_a_csv_set_never_overwrites_an_input(tmp_path: Path) -> None:
    """A JSON scenario named like the set's manifest is an input, so --out plan.csv is
    refused (exit 1, as for any input) before solving."""
    scenario = tmp_path / "plan_manifest.json"
    assert invoke("convert", TUTORIAL, scenario).exit_code == 0
    before = scenario.read_bytes()
    result = invoke("solve", scenario, "--out", tmp_path / "plan.csv")
    assert result.exit_code == 1, result.output
    assert f"--out {scenario}: refusing to overwrite the input file" in words(result.output)
    assert scenario.read_bytes() == before
    assert not (tmp_path / "plan_funding.csv").exists()


# -------------------------------------------------------------------------------- Ctrl-C


def test_interrupts_are_held_during_a_set_rename() -> None:
    """A Ctrl-C inside the block is delivered when it ends, not in the middle."""
    reached = []

    def renames() -> None:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            reached.append("end of the block")

    with pytest.raises(KeyboardInterrupt):
        renames()
    assert reached == ["end of the block"]


def test_an_interrupted_write_keeps_the_old_file(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    out.write_text("old")

    def interrupted(tmp: Path) -> None:
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(Interrupted) as caught:
        write_atomic(out, interrupted)
    assert str(caught.value) == f"interrupted during writing {out}; plan.json is unchanged"
    assert out.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_the_cli_reports_an_interrupt_in_words(tmp_path: Path, monkeypatch) -> None:
    from pbo.optimizer.solving import interrupt

    def stopped(h, during: str) -> None:
        raise Interrupted(during, interrupt.NOTHING_WRITTEN)

    monkeypatch.setattr(interrupt, "run", stopped)
    result = invoke("solve", TUTORIAL, "--out", tmp_path / "plan.json")
    assert result.exit_code == 130
    assert words(result.output) == "error: interrupted during the main solve; nothing was written"
    assert not (tmp_path / "plan.json").exists()


def test_an_interrupted_sweep_says_which_point(monkeypatch) -> None:
    from pbo.optimizer.solving import interrupt

    def stopped(h, during: str) -> None:
        raise Interrupted(during, interrupt.NOTHING_WRITTEN)

    monkeypatch.setattr(interrupt, "run", stopped)
    result = invoke("sweep", TUTORIAL, "--set", "targets.families.min=0:60:3")
    assert result.exit_code == 130
    assert words(result.output) == ("error: interrupted during the sweep's point 1 of 3; "
                                    "nothing was written")


def test_ctrl_c_outside_highs_says_which_command(monkeypatch) -> None:
    import pbo.models.io.loading as loading

    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(loading, "load_checked", stopped)
    result = invoke("solve", TUTORIAL)
    assert result.exit_code == 130
    assert words(result.output) == ("error: interrupted during pbo solve; no file was left "
                                    "half-written")


def market_split(path: Path, m: int = 4, n: int = 34, seed: int = 7) -> None:
    """A market-split instance (Cornuejols and Dawande): m yearly spend targets each pinned to
    half the sum of n binary interventions' costs. Tiny to build, very long for branch and
    bound (over 40 s here for n = 30), so a Ctrl-C lands inside HiGHS."""
    rng = random.Random(seed)
    a = [[rng.randint(0, 99) for _ in range(n)] for _ in range(m)]
    yaml.safe_dump({
        "name": "market split", "start_year": 2015, "years": m,
        "partners": [{"id": "council", "poolable_budget": 100000}],
        "interventions": [{"id": f"i{j}", "max_units": 1, "integer_units": True,
                           "unit_cost": [a[i][j] for i in range(m)],
                           "benefits": {"council": [rng.randint(0, 99)] + [0] * (m - 1)}}
                          for j in range(n)],
        "targets": [{"id": f"spend{2015 + i}", "measure": "spend", "period": 2015 + i,
                     "min": sum(a[i]) // 2, "max": sum(a[i]) // 2} for i in range(m)],
    }, path.open("w"))


def test_ctrl_c_stops_highs_promptly(tmp_path: Path) -> None:
    """SIGINT a second or so into HiGHS's main solve: exit 130 within a few seconds (it was
    39 s when HiGHS ran to its end first), a sentence, no traceback, no file."""
    scenario, out = tmp_path / "hard.yaml", tmp_path / "plan.json"
    market_split(scenario)
    command = [str(PBO), "solve", str(scenario), "--no-binding", "--out", str(out)]
    began = time.perf_counter()  # how long pbo takes to reach HiGHS (and stop at a limit)
    subprocess.run([*command[:-2], "--time-limit", "0.2"], capture_output=True, timeout=120)
    reach = time.perf_counter() - began
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5 * reach + 1)
    assert run.poll() is None, "HiGHS finished before the interrupt: make the instance harder"
    run.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    _, stderr = run.communicate(timeout=60)
    stopped = time.perf_counter() - sent
    assert run.returncode == 130, stderr
    assert words(stderr) == "error: interrupted during the main solve; nothing was written"
    assert stopped < 5, f"took {stopped:.1f} s to stop"
    assert not out.exists()
