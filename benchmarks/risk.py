"""`pbo risk` speed (issue 14), on a generated 300-intervention, 8-partner, 5-year scenario.

    python benchmarks/risk.py                      # writes benchmarks/results/risk.json
    python benchmarks/risk.py --samples 8 --saa 50 # smaller
    python benchmarks/risk.py --only speed-up --samples 24 --rounds 3  # 1 vs 2 workers

1. Cost per sample (plan held fixed + re-optimised, one worker) against one fresh `pbo solve`
   (a subprocess, as a user runs it; also `--no-binding`, and in-process build + load + solve).
2. Speed-up of 2 local worker processes against 1 on the same samples.
3. The robust (sample-average) plan's build and solve time for K = 50 and 200.

The machine may be shared: every figure is one wall-clock run, so read them as rough.
Uncertain inputs: every unit cost (one group, triangular 0.9/1/1.3) and every intervention's
benefits (independent PERT 0.7/1/1.2).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate, write  # noqa: E402

HERE = Path(__file__).resolve().parent


def scenario_file(folder: Path, interventions: int) -> Path:
    data = generate(interventions=interventions, partners=8, years=5, seed=0)
    data["uncertainty"] = {"inputs": [
        {"path": "interventions.*.unit_cost", "distribution": "triangular", "low": 0.9,
         "mode": 1.0, "high": 1.3, "group": "costs"},
        {"path": "interventions.*.benefits", "distribution": "pert", "low": 0.7, "mode": 1.0,
         "high": 1.2}]}
    path = folder / f"risk_{interventions}.yaml"
    write(data, path)
    return path


def pbo_command() -> list[str]:
    exe = shutil.which("pbo") or str(Path(sys.executable).with_name("pbo"))
    return [exe]


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def per_sample(sc: Any, samples: int, workers: int) -> dict[str, float]:
    from pbo.optimizer.analyses.risk import make_job
    from pbo.optimizer.ensemble.runner import run_ensemble, start_workers
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve

    options = SolverOptions(check_binding=False)
    start_workers(workers)  # as pbo risk does: the workers' imports during the point solve
    point = solve(sc, None, options)
    job, *_ = make_job(sc, point, samples, 0, "lhs", True, options)
    start = time.perf_counter()
    run = run_ensemble(job, samples, workers=workers)
    seconds = time.perf_counter() - start
    return {"workers": run.workers, "samples": samples, "seconds": seconds,
            "per_sample": seconds / samples}


def saa(sc: Any, k: int, time_limit: float) -> dict[str, Any]:
    from pbo.models.uncertainty import resolve
    from pbo.optimizer.analyses.risk_robust import robust_plan
    from pbo.optimizer.analyses.risk_sampling import point_data
    from pbo.optimizer.solving.highs import SolverOptions

    dims, _ = resolve(sc.model_dump(by_alias=True))
    start = time.perf_counter()
    out = robust_plan(sc, point_data(sc), dims, 0.9, k, 1, "lhs", sc.objective,
                      SolverOptions(check_binding=False, time_limit=time_limit))
    return {"K": k, "status": out["status"], "build_seconds": out["build_seconds"],
            "solve_seconds": out["solve_seconds"], "total": time.perf_counter() - start}


def _spin(n: int) -> float:
    start = time.perf_counter()
    s = 0
    for i in range(n):
        s += i * i % 7
    return time.perf_counter() - start


def machine_scaling(n: int = 5_000_000) -> float:
    """What two free cores would give: two plain Python loops on two processes against one,
    as throughput (2.0: both cores free; 1.0: only one core's worth to share)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_spin, [10, 10]))
        one = _spin(n)
        start = time.perf_counter()
        list(pool.map(_spin, [n, n]))
        return 2 * one / (time.perf_counter() - start)


def speed_up(path: Path, samples: int, rounds: int) -> dict[str, Any]:
    """1 and 2 workers alternated, each run in a fresh process (so each pays its own worker
    start-up, as a `pbo risk` does), with the load average before each and, before each
    pair, the machine's own scaling (machine_scaling) as a control."""
    runs = []
    for _ in range(rounds):
        control = machine_scaling()
        print(json.dumps({"machine_scaling": control}), flush=True)
        for workers in (1, 2):
            load = os.getloadavg()[0]
            proc = subprocess.run([sys.executable, __file__, "--one", str(path), str(samples),
                                   str(workers)], check=True, capture_output=True, text=True)
            runs.append({**json.loads(proc.stdout.splitlines()[-1]), "load_before": load,
                         "machine_scaling": control})
            print(json.dumps(runs[-1]), flush=True)
    ones = [r["seconds"] for r in runs if r["workers"] == 1]
    twos = [r["seconds"] for r in runs if r["workers"] == 2]
    return {"samples": samples, "runs": runs,
            "speed_ups": [a / b for a, b in zip(ones, twos, strict=True)],
            "speed_up_of_medians": sorted(ones)[len(ones) // 2] / sorted(twos)[len(twos) // 2]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interventions", type=int, default=300)
    ap.add_argument("--samples", type=int, default=16)
    ap.add_argument("--saa", default="50,200")
    ap.add_argument("--saa-time-limit", type=float, default=300.0)
    ap.add_argument("--only", choices=("speed-up",), default=None,
                    help="speed-up: only 1 against 2 workers, --rounds times, alternated")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--one", nargs=3, metavar=("FILE", "SAMPLES", "WORKERS"),
                    help="(internal) one per-sample run in this process; prints JSON")
    args = ap.parse_args(argv)
    from pbo.models.io.loading import load_scenario

    if args.one:
        print(json.dumps(per_sample(load_scenario(Path(args.one[0])), int(args.one[1]),
                                    int(args.one[2]))))
        return 0
    folder = HERE / "results"
    folder.mkdir(exist_ok=True)
    path = scenario_file(folder, args.interventions)
    if args.only == "speed-up":
        out = speed_up(path, args.samples, args.rounds)
        (folder / "risk_speed_up.json").write_text(json.dumps(out, indent=2))
        print(json.dumps({k: v for k, v in out.items() if k != "runs"}, indent=2))
        return 0
    sc = load_scenario(path)
    report: dict[str, Any] = {"scenario": str(path), "cpus": os.cpu_count()}
    report["pbo_solve_seconds"] = timed([*pbo_command(), "solve", str(path)])
    report["pbo_solve_no_binding_seconds"] = timed([*pbo_command(), "solve", str(path),
                                                    "--no-binding"])
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve

    start = time.perf_counter()
    solve(sc, None, SolverOptions(check_binding=False))
    report["in_process_solve_no_binding_seconds"] = time.perf_counter() - start
    one = per_sample(sc, args.samples, 1)
    two = per_sample(sc, args.samples, 2)
    report["one_worker"], report["two_workers"] = one, two
    report["per_sample_vs_pbo_solve"] = one["per_sample"] / report["pbo_solve_seconds"]
    report["per_sample_vs_pbo_solve_no_binding"] = (one["per_sample"]
                                                    / report["pbo_solve_no_binding_seconds"])
    report["per_sample_vs_in_process_solve"] = (one["per_sample"]
                                                / report["in_process_solve_no_binding_seconds"])
    report["speed_up_two_workers"] = one["seconds"] / two["seconds"]
    report["saa"] = [saa(sc, int(k), args.saa_time_limit) for k in args.saa.split(",") if k]
    (folder / "risk.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
