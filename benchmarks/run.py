"""One command for build / load / solve / memory figures at several sizes.

    python benchmarks/run.py                    # sizes 50, 500, 2000; 10 partners, 10 years
    python benchmarks/run.py --sizes 50,500 --time-limit 30 --profile 2000

For each size: generate a scenario (benchmarks/generate.py, seeded), time every stage in
process (build_model, HighsSession load, stage-1 MIP, red-line binding re-solves, fairness
stage, result assembly), then run the real `pbo solve` CLI as a subprocess for the
end-to-end wall time and its peak memory. Writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate, write  # noqa: E402

from pbo.models.io.loading import load_scenario  # noqa: E402
from pbo.optimizer.formulation.build import build_model  # noqa: E402
from pbo.optimizer.solving.highs import HighsSession, SolverOptions  # noqa: E402
from pbo.optimizer.solving.plan import check_binding, fairness_stage, make_result, objective_value  # noqa: E402


def in_process(path: Path, time_limit: float) -> dict[str, Any]:
    """Every stage of `pbo.optimizer.solving.highs`, timed separately (same order as plan.solve)."""
    row: dict[str, Any] = {}
    t0 = time.perf_counter()
    sc = load_scenario(path)
    row["load_file_s"] = time.perf_counter() - t0
    options = SolverOptions(time_limit=time_limit)
    start = time.perf_counter()
    built = build_model(sc)
    row["build_s"] = built.build_seconds
    row["build_families"] = dict(sorted(built.timings.items(), key=lambda kv: -kv[1]))
    session = HighsSession(built, options)
    row["highs_load_s"] = session.load_seconds
    h = session.highs
    row["rows"], row["cols"] = h.getNumRow(), h.getNumCol()
    t = time.perf_counter()
    outcome = session.solve()
    row["stage1_wall_s"] = time.perf_counter() - t
    row["stage1_highs_s"] = outcome.highs_seconds
    row["status"] = outcome.status
    row["objective"] = outcome.objective
    binding: dict[str, Any] = {}
    if outcome.has_solution:
        before, runs = session.highs_seconds, session.runs
        t = time.perf_counter()
        binding = check_binding(session, objective_value(built))
        row["binding_wall_s"] = time.perf_counter() - t
        row["binding_highs_s"] = session.highs_seconds - before
        row["binding_runs"] = session.runs - runs
        before = session.highs_seconds
        t = time.perf_counter()
        fairness_stage(session)
        row["fairness_wall_s"] = time.perf_counter() - t
        row["fairness_highs_s"] = session.highs_seconds - before
    t = time.perf_counter()
    make_result(built, outcome, session, binding, options, start, "0" * 64, [])
    row["make_result_s"] = time.perf_counter() - t
    row["solve_total_s"] = time.perf_counter() - start
    row["highs_total_s"] = session.highs_seconds
    row["highs_runs"] = session.runs
    row["binding"] = sorted(k for k, (b, _) in binding.items() if b)
    return row


def pbo_command() -> list[str]:
    script = Path(sys.executable).with_name("pbo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pbo.cli"]


def end_to_end(path: Path, time_limit: float) -> dict[str, Any]:
    """`pbo solve` as the user runs it: wall time, peak RSS of the child, its own meta."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [*pbo_command(), "solve", str(path), "--out", str(out),
               "--time-limit", str(time_limit)]
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        proc.stderr and proc.stderr.close()
        code = os.waitstatus_to_exitcode(status)
        meta = json.loads(out.read_text())["meta"] if out.exists() else {}
    peak_mb = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
    highs = meta.get("highs_seconds")
    return {"e2e_wall_s": wall, "e2e_exit": code, "peak_mb": peak_mb,
            "e2e_highs_s": highs, "e2e_solve_s": meta.get("solve_seconds"),
            "e2e_overhead_s": wall - highs if highs is not None else None,
            "ratio": wall / highs if highs else None,
            "e2e_error": stderr[-500:] if code else ""}


def profile(path: Path, time_limit: float, top: int = 30) -> str:
    """cProfile of load + build + HighsSession + solve (binding, fairness, result)."""
    from pbo.optimizer.solving.plan import solve_built

    prof = cProfile.Profile()
    prof.enable()
    sc = load_scenario(path)
    built = build_model(sc)
    options = SolverOptions(time_limit=time_limit)
    session = HighsSession(built, options)
    outcome, session, binding = solve_built(built, options, session)
    make_result(built, outcome, session, binding, options, time.perf_counter(), "0" * 64, [])
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats("cumulative")
    stats.print_stats(top)
    buf.write("\n--- by own time ---\n")
    stats.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


COLUMNS = [("size", "interventions"), ("rows", "rows"), ("cols", "cols"),
           ("load_file_s", "read file"), ("build_s", "build"), ("highs_load_s", "load"), ("stage1_highs_s", "MIP highs"),
           ("stage1_wall_s", "MIP wall"), ("binding_wall_s", "binding wall"),
           ("binding_highs_s", "binding highs"), ("fairness_wall_s", "fair wall"),
           ("make_result_s", "result"), ("highs_total_s", "highs all"),
           ("e2e_wall_s", "pbo solve"), ("e2e_highs_s", "pbo highs"),
           ("e2e_overhead_s", "non-HiGHS"), ("ratio", "ratio"), ("peak_mb", "peak MB")]


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.2f}"
    return "-" if v is None else str(v)


def print_table(rows: list[dict[str, Any]]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover
        print("\t".join(h for _, h in COLUMNS))
        for r in rows:
            print("\t".join(fmt(r.get(k)) for k, _ in COLUMNS))
        return
    table = Table(title="pbo benchmark (seconds unless stated)")
    for _, h in COLUMNS:
        table.add_column(h, justify="right")
    for r in rows:
        table.add_row(*(fmt(r.get(k)) for k, _ in COLUMNS))
    Console(width=max(120, 11 * len(COLUMNS))).print(table)
    for r in rows:
        slow = ", ".join(f"{k} {v:.2f}" for k, v in list(r["build_families"].items())[:4])
        print(f"{r['size']}: slowest build families: {slow}; binding re-solves "
              f"{r.get('binding_runs')}; binding red lines {r.get('binding')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50,500,2000")
    ap.add_argument("--partners", type=int, default=10)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=60.0,
                    help="seconds for each HiGHS run (in process and `pbo solve`)")
    ap.add_argument("--format", choices=("yaml", "json"), default="yaml",
                    help="scenario file format given to the loader and `pbo solve`")
    ap.add_argument("--profile", type=int, default=None, metavar="SIZE",
                    help="also cProfile this size; writes benchmarks/results/profile_SIZE.txt")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    rows: list[dict[str, Any]] = []
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"bench_{n}.{args.format}"
            t = time.perf_counter()
            write(generate(n, args.partners, args.years, args.seed), path)
            print(f"[{n}] generated in {time.perf_counter() - t:.1f}s; solving in process",
                  flush=True)
            row = {"size": n, "partners": args.partners, "years": args.years,
                   "format": args.format,
                   **in_process(path, args.time_limit)}
            print(f"[{n}] running pbo solve", flush=True)
            row.update(end_to_end(path, args.time_limit))
            rows.append(row)
            if args.profile == n:
                text = profile(path, args.time_limit)
                prof_path = args.out.parent / f"profile_{n}.txt"
                prof_path.parent.mkdir(parents=True, exist_ok=True)
                prof_path.write_text(text)
                print(f"[{n}] profile written to {prof_path}")
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "time_limit": args.time_limit, "seed": args.seed,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "benchmark_seconds": time.perf_counter() - began, "rows": rows}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
