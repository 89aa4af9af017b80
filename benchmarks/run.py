"""pbo solve against HiGHS alone, per size and formulation, side by side in one run.

    python benchmarks/run.py                                   # the issue-12 cases
    python benchmarks/run.py --cases 2000x10x10,5000x10x10:none --gap 1e-6
    python benchmarks/run.py --cases 10000x20x10 --formulations reduced --alone full
    python benchmarks/run.py --cases 5000x10x10:none --alone naive --repeat 3  # interleaved

(The naive model of 10000x20x10 has 2,000,000 funding columns: `--alone full` leaves it out.)

A case is INTERVENTIONSxPARTNERSxYEARS, with `:none` for no red lines, `:random` for a
random funder structure (2-4 funders drawn per intervention; default: realistic, funders
from each theme's agreement) and `:filed` for the very generator issue 12 was filed with
(from the repository's history, FILED_GENERATOR). For each case the
scenario is generated (benchmarks/generate.py, seeded) and, one after the other:
- `pbo solve FILE --formulation F --out result.json --mip-gap G` as a subprocess, for each
  formulation: wall and CPU seconds and peak memory of the child (`os.wait4`), and from the
  result's meta the seconds of each stage, HiGHS's own time, the model size and how the
  binding checks were decided;
- HiGHS alone: a model written to MPS (`highspy.writeModel`, not timed), then a fresh
  Python that imports highspy, reads the MPS and runs HiGHS at the same gap (wall, CPU,
  peak memory of that child), with HiGHS's default options:
  - the naive formulation issue 12 measures against (benchmarks/naive.py: one funding
    column per partner, intervention and year): the issue's ratios (`÷ naive`);
  - pbo's full formulation (only the partners who may fund, only the years that cost):
    a much stronger baseline (`÷ full`), and again with the options pbo changes
    (highs.HEURISTICS_OFF), to show what is the options' and what the formulation's.
Ratios are taken within the run (the machine is shared; see README); `--repeat N` runs
both sides N times, interleaved, and takes medians (run_case). Writes
benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate, write  # noqa: E402

DEFAULT_CASES = "2000x10x10,2000x10x10:none,5000x10x10:none,5000x10x10:filed:none"
"""The cases issue 12 gives ratios for (10000x20x10 has its own goal: see --alone)."""

WRITE_MPS = """
import sys
from pbo.models.io.loading import load_scenario
from pbo.optimizer.formulation.build import build_model
from pbo.optimizer.solving.highs import HighsSession
if sys.argv[3] == "naive":
    sys.path.insert(0, "benchmarks")
    from naive import naive_model
    built = naive_model(sys.argv[1])
else:
    built = build_model(load_scenario(sys.argv[1]), formulation="full")
HighsSession(built).highs.writeModel(sys.argv[2])
"""

HIGHS_ALONE = """
import json, sys, time
import highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.setOptionValue("random_seed", 0)
h.setOptionValue("mip_rel_gap", float(sys.argv[2]))
for option in sys.argv[3:]:  # NAME=VALUE: the options pbo changes, as pbo sets them
    name, value = option.split("=")
    h.setOptionValue(name, {"True": True, "False": False}.get(value, value))
h.readModel(sys.argv[1])
t = time.perf_counter()
h.run()
print(json.dumps({"status": h.modelStatusToString(h.getModelStatus()),
                  "objective": h.getInfo().objective_function_value,
                  "run_s": time.perf_counter() - t,
                  "rows": h.getNumRow(), "cols": h.getNumCol()}))
"""


def pbo_command() -> list[str]:
    script = Path(sys.executable).with_name("pbo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pbo.cli"]


def child(cmd: list[str]) -> dict[str, Any]:
    """Run `cmd`: wall and CPU seconds and peak resident MB of that child alone
    (`os.wait4`), exit code, stdout and the end of stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024, "exit": proc.returncode, "stdout": stdout,
            "stderr": stderr[-800:]}


def pbo_solve(path: Path, formulation: str, gap: float, time_limit: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        run = child([*pbo_command(), "solve", str(path), "--formulation", formulation,
                     "--mip-gap", str(gap), "--time-limit", str(time_limit), "--out",
                     str(out)])
        meta = json.loads(out.read_text())["meta"] if out.exists() else {}
        objective = json.loads(out.read_text())["objective"] if out.exists() else None
    stages = meta.get("stage_seconds", {})
    size = meta.get("model_size", {})
    return {"formulation": formulation, "wall_s": run["wall_s"], "cpu_s": run["cpu_s"],
            "peak_mb": run["peak_mb"], "exit": run["exit"], "objective": objective,
            "build_s": stages.get("build", 0.0) + stages.get("load", 0.0),
            "highs_s": meta.get("highs_seconds"), "objective_s": stages.get("objective"),
            "binding_s": stages.get("binding"), "fairness_s": stages.get("fairness"),
            "solve_s": meta.get("solve_seconds"), "rows": size.get("rows"),
            "cols": size.get("cols"), "resolves": meta.get("resolves"),
            "held_mb": meta.get("stage_memory_mb"),
            "warnings": meta.get("warnings"), "error": run["stderr"] if run["exit"] else ""}


BASELINES = {"naive": "HiGHS alone, naive", "full": "HiGHS alone, full",
             "full_like_pbo": "HiGHS alone, full, pbo's options"}
"""HiGHS-alone runs by key (module docstring): the naive formulation's MPS and the full
formulation's with HiGHS's default options, and the full one with the options pbo changes
(highs.HEURISTICS_OFF)."""


def write_models(path: Path, which: list[str], folder: Path) -> dict[str, Path]:
    """The MPS file each HiGHS-alone run `which` (BASELINES' keys) reads, each model
    written once into `folder` (not timed)."""
    files: dict[str, Path] = {}
    for key in which:
        formulation = key.removesuffix("_like_pbo")
        mps = folder / f"{formulation}.mps"
        if not mps.exists():
            subprocess.run([sys.executable, "-c", WRITE_MPS, str(path), str(mps),
                            formulation], cwd=ROOT, check=True, capture_output=True)
        files[key] = mps
    return files


def highs_alone(models: dict[str, Path], gap: float) -> dict[str, dict[str, Any]]:
    """One run of HiGHS alone on each model (write_models)."""
    from pbo.optimizer.solving.highs import HEURISTICS_OFF

    options = {"full_like_pbo": [f"{name}={value}" for name, value in HEURISTICS_OFF]}
    return {key: _alone(mps, gap, BASELINES[key], options.get(key, []))
            for key, mps in models.items()}


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (the lower middle of an even count), with the median
    wall and CPU seconds of all of them."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["cpu_s"] = statistics.median(r["cpu_s"] for r in runs)
    middle["wall_s"] = statistics.median(r["wall_s"] for r in runs)
    return middle


def _alone(mps: Path, gap: float, name: str, options: list[str]) -> dict[str, Any]:
    run = child([sys.executable, "-c", HIGHS_ALONE, str(mps), str(gap), *options])
    info = json.loads(run["stdout"].strip().splitlines()[-1]) if run["exit"] == 0 else {}
    return {"formulation": name, "wall_s": run["wall_s"],
            "cpu_s": run["cpu_s"], "peak_mb": run["peak_mb"], "exit": run["exit"],
            "highs_s": info.get("run_s"), "objective": info.get("objective"),
            "rows": info.get("rows"), "cols": info.get("cols"), "status": info.get("status")}


FILED_GENERATOR = "3af8c68:benchmarks/generate.py"
"""The generator of the scenarios issue 12 was filed with (1 December 2026: 2-4 funders drawn
per intervention, costs over up to two years), read from the repository's history for the
`:filed` tag (red lines dropped with `:none`, as the issue did)."""


def filed_generator(tmp: Path) -> Any:
    import importlib.util

    try:
        text = subprocess.run(["git", "show", FILED_GENERATOR], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"the :filed cases need the repository's history (git show "
                         f"{FILED_GENERATOR}): {exc}") from None
    path = tmp / "generate_filed.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("generate_filed", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    return "-" if v is None else str(v)


COLUMNS = [("case", "case"), ("formulation", "run"), ("rows", "rows"), ("cols", "cols"),
           ("build_s", "build+load"), ("highs_s", "HiGHS"), ("binding_s", "binding"),
           ("fairness_s", "fairness"), ("wall_s", "total wall"), ("cpu_s", "total CPU"),
           ("peak_mb", "peak MB"), ("vs_naive_wall", "÷ naive wall"),
           ("vs_naive_cpu", "÷ naive CPU"), ("vs_full_wall", "÷ full wall"),
           ("vs_full_cpu", "÷ full CPU")]


def print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="pbo solve vs HiGHS alone (seconds unless stated)")
    for _, head in COLUMNS:
        text = head in ("case", "run")
        table.add_column(head, justify="left" if text else "right", no_wrap=text)
    for r in rows:
        table.add_row(*(fmt(r.get(k)) for k, _ in COLUMNS))
    Console(width=200).print(table)  # every figure whole: wider than a terminal


def case_parts(case: str, error: Any) -> tuple[tuple[int, int, int], list[str]]:
    """A case's size and tags (module docstring); `error(text)` stops."""
    shape, *tags = case.split(":")
    unknown = set(tags) - {"none", "random", "filed"}
    if unknown:
        error(f"case {case}: unknown tag {', '.join(sorted(unknown))} (none, random, filed)")
    if "filed" in tags and "random" in tags:
        error(f"case {case}: :filed is its own generator, not with :random")
    try:
        n, partners, years = (int(x) for x in shape.split("x"))
    except ValueError:
        error(f"case {case}: INTERVENTIONSxPARTNERSxYEARS, e.g. 2000x10x10")
    return (n, partners, years), tags


def case_scenario(case: str, seed: int, tmp: Path, error: Any) -> dict[str, Any]:
    """The generated scenario of one case."""
    (n, partners, years), tags = case_parts(case, error)
    if "filed" in tags:
        data: dict[str, Any] = filed_generator(tmp).generate(n, partners, years, seed)
        if "none" in tags:
            data["red_lines"] = []
        return data
    return generate(n, partners, years, seed, red_lines="none" not in tags,
                    structure="random" if "random" in tags else "realistic")


def run_case(case: str, path: Path, args: argparse.Namespace, which: list[str],
             tmp: Path) -> list[dict[str, Any]]:
    """One case's rows: `args.repeat` rounds, each HiGHS alone on every model and then
    `pbo solve` in every formulation, so that both sides of a ratio meet the machine's
    load of the moment. Each figure is the median over the rounds, and each ratio the
    median of the rounds' ratios (each round's in `rounds`, wall and CPU)."""
    formulations = args.formulations.split(",")
    with tempfile.TemporaryDirectory(dir=tmp) as folder:
        models = write_models(path, which, Path(folder))
        rounds = []
        for k in range(args.repeat):
            alone = highs_alone(models, args.gap)
            mine = {}
            for formulation in formulations:
                print(f"[{case}] pbo solve --formulation {formulation}"
                      + (f" (round {k + 1} of {args.repeat})" if args.repeat > 1 else ""),
                      flush=True)
                mine[formulation] = pbo_solve(path, formulation, args.gap, args.time_limit)
            rounds.append((alone, mine))
    rows = []
    for formulation in formulations:
        row = {"case": case, **median_run([mine[formulation] for _, mine in rounds])}
        each = {key: [(mine[formulation]["wall_s"] / alone[key]["wall_s"],
                       mine[formulation]["cpu_s"] / alone[key]["cpu_s"])
                      for alone, mine in rounds] for key in which}
        for key, ratios in each.items():
            row[f"vs_{key}_wall"] = statistics.median(w for w, _ in ratios)
            row[f"vs_{key}_cpu"] = statistics.median(c for _, c in ratios)
        if args.repeat > 1:
            row["rounds"] = each
        if row.get("binding_s") and row.get("solve_s"):
            row["binding_share"] = row["binding_s"] / row["solve_s"]
            row["binding_share_wall"] = row["binding_s"] / row["wall_s"]
        rows.append(row)
    return rows + [{"case": case, **median_run([alone[key] for alone, _ in rounds])}
                   for key in which]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default=DEFAULT_CASES)
    ap.add_argument("--formulations", default="reduced,full")
    ap.add_argument("--gap", type=float, default=1e-6)
    ap.add_argument("--time-limit", type=float, default=600.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--alone", default=",".join(BASELINES),
                    help=f"HiGHS-alone runs, comma-separated ({', '.join(BASELINES)}) or "
                    "none")
    ap.add_argument("--repeat", type=int, default=1,
                    help="Rounds per case, HiGHS alone then pbo in each (interleaved): "
                    "medians and the median of each round's ratio")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat: at least 1")
    which = [] if args.alone == "none" else args.alone.split(",")
    if set(which) - set(BASELINES):
        ap.error(f"--alone: {', '.join(sorted(set(which) - set(BASELINES)))}: not one of "
                 f"{', '.join(BASELINES)}, none")
    rows: list[dict[str, Any]] = []
    began = time.perf_counter()
    for case in args.cases.split(","):  # every case checked before the first runs
        case_parts(case, ap.error)
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            path = Path(tmp) / f"{case.replace(':', '_')}.json"
            write(case_scenario(case, args.seed, Path(tmp), ap.error), path)
            rows += run_case(case, path, args, which, Path(tmp))
    print_table(rows)
    for r in rows:
        if r.get("vs_full_like_pbo_wall") is not None:
            print(f"{r['case']} {r['formulation']}: {r['vs_full_like_pbo_wall']:.2f}x HiGHS "
                  "alone on the full formulation with pbo's options (wall)")
        if r.get("objective") is not None:
            print(f"{r['case']} {r['formulation']}: objective {r['objective']:,.2f}")
        for key in r.get("rounds", {}):
            print(f"{r['case']} {r['formulation']}: ÷ {key} wall (CPU) in each round: "
                  + ", ".join(f"{w:.2f} ({c:.2f})" for w, c in r["rounds"][key])
                  + f"; median {r[f'vs_{key}_wall']:.2f} ({r[f'vs_{key}_cpu']:.2f})")
        if r.get("binding_share") is not None:
            print(f"{r['case']} {r['formulation']}: binding checks {r['binding_share']:.0%} "
                  f"of the solve stages, {r['binding_share_wall']:.0%} of `pbo solve` end "
                  f"to end; resolves {r['resolves']}")
        if r.get("held_mb"):
            held = ", ".join(f"{stage} {mb:,.0f}" for stage, mb in r["held_mb"].items())
            print(f"{r['case']} {r['formulation']}: MB held after each stage: {held}")
        if r.get("warnings"):
            print(f"{r['case']} {r['formulation']}: warnings {r['warnings']}")
        if r.get("error"):
            print(f"{r['case']} {r['formulation']}: exit {r['exit']}: {r['error']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_average": os.getloadavg(), "gap": args.gap,
        "seed": args.seed, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "benchmark_seconds": time.perf_counter() - began, "rows": rows}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
