"""What-if speed (issue 3): one persistent model against many separate solves.

    python benchmarks/whatif.py                      # 300 interventions, 8 partners, 5 years
    python benchmarks/whatif.py --interventions 100 --points 11
    taskset -c 0 python benchmarks/whatif.py --only sweep --repeat 3   # one core (issue 12)

On a generated scenario that uses every red-line rule (benchmarks/generate.py):

- sensitivity: `pbo sensitivity FILE --all` (k red lines relaxed on the one loaded model)
  against k+1 separate `pbo solve --no-binding` runs: the scenario, and the scenario with
  each red line deleted (files written before the clock starts). Target: <= 1/2.
- sweep: `pbo sweep FILE --set targets.T.min=0:S:N` (T the target the base plan exceeds the
  most, S twice what the base plan achieves on it, so about half the points bind) against N
  separate `pbo solve --set targets.T.min=V --no-binding` runs. Target: <= 1/3.

Every figure is the wall time of the real command as a subprocess (Python start-up included,
as a user sees it), with its CPU time beside it (the child's own, `os.wait4`: steadier than
wall time on a shared machine). The stricter comparison is printed too: the same solves done
in one Python process with a fresh build each time (no start-up, no printing, no result
object), the same stages as the persistent path (see `fresh_in_process`), and the
build / load / HiGHS split of the persistent runs from their own JSON output. Writes
benchmarks/results/whatif.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate, write  # noqa: E402
from run import child, pbo_command  # noqa: E402

from pbo.models.io.loading import scenario_from_data  # noqa: E402
from pbo.models.overrides import apply_overrides  # noqa: E402
from pbo.optimizer.formulation.build import build_model  # noqa: E402
from pbo.optimizer.solving.highs import HighsSession, SolverOptions  # noqa: E402
from pbo.optimizer.solving.plan import solve_built  # noqa: E402


class Took(NamedTuple):
    """Wall and CPU seconds (the CPU of the command's own process, steadier on a shared
    machine than its wall time)."""

    wall: float
    cpu: float


def timed(args: list[str]) -> Took:
    """Wall and CPU seconds of one `pbo` command; a failing command stops the benchmark."""
    run = child([*pbo_command(), *args])
    if run["exit"] not in (0, 4):
        raise SystemExit(f"pbo {' '.join(args)} failed ({run['exit']}):\n{run['stderr']}")
    return Took(run["wall_s"], run["cpu_s"])


def total(runs: list[Took]) -> Took:
    return Took(sum(r.wall for r in runs), sum(r.cpu for r in runs))


def fresh_in_process(datas: list[dict[str, Any]], who_pays: bool) -> dict[str, float]:
    """Each scenario built, loaded and solved from scratch in this process, doing what the
    persistent path does for it: stage 1 only for a relaxed red line (sensitivity), stage 1
    and who pays (the fairness stage, no binding checks) for a sweep's point."""
    out = {"wall": 0.0, "build": 0.0, "load": 0.0, "highs": 0.0}
    options = SolverOptions(check_binding=False)
    for data in datas:
        t = time.perf_counter()
        built = build_model(scenario_from_data(data))
        session = HighsSession(built, options)
        if who_pays:
            solve_built(built, options, session)
        else:
            session.solve()
        out["wall"] += time.perf_counter() - t
        out["build"] += built.build_seconds
        out["load"] += session.load_seconds
        out["highs"] += session.highs_seconds
    return out


def without(data: dict[str, Any], red_line: str) -> dict[str, Any]:
    return {**data, "red_lines": [r for r in data["red_lines"] if r["id"] != red_line]}


def bench_sensitivity(data: dict[str, Any], path: Path, tmp: Path,
                      say: Callable[[str], None]) -> dict[str, Any]:
    relaxed = [without(data, r["id"]) for r in data["red_lines"]]
    files = []
    for k, d in enumerate(relaxed):
        files.append(tmp / f"relaxed_{k}.json")
        write(d, files[-1])
    k = len(relaxed)
    say(f"pbo sensitivity --all ({k} red lines)")
    out = tmp / "sensitivity.json"
    persistent = timed(["sensitivity", str(path), "--all", "--out", str(out)])
    timings = json.loads(out.read_text())["timings"]
    say(f"{k + 1} separate pbo solve runs")
    separate = total([timed(["solve", str(f), "--no-binding"]) for f in (path, *files)])
    say(f"{k + 1} fresh builds in process")
    fresh = fresh_in_process([data, *relaxed], who_pays=False)
    return {"k": k, "persistent_s": persistent.wall, "separate_s": separate.wall,
            "ratio": persistent.wall / separate.wall, "target": 0.5,
            "cpu_ratio": persistent.cpu / separate.cpu,
            "persistent_split": timings, "fresh_in_process": fresh,
            "in_process_ratio": timings["total"] / fresh["wall"]}


def bench_sweep(data: dict[str, Any], path: Path, tmp: Path, points: int,
                say: Callable[[str], None], repeat: int = 1) -> dict[str, Any]:
    say("base solve for the sweep range")
    out = tmp / "base.json"
    timed(["solve", str(path), "--no-binding", "--out", str(out)])
    achieved = {t["id"]: t["achieved"] for t in json.loads(out.read_text())["targets"]}
    target = max(achieved, key=lambda t: achieved[t] or 0.0)
    stop = float(f"{2 * max(1.0, achieved[target] or 0.0):.3g}")
    setting = f"targets.{target}.min"
    values = [stop * j / (points - 1) for j in range(points)] if points > 1 else [0.0]
    pairs = []  # (sweep, separate) taken one after the other, `repeat` times
    for r in range(repeat):
        say(f"pbo sweep {setting}=0:{stop:.0f}:{points} ({r + 1} of {repeat})")
        persistent = timed(["sweep", str(path), "--set", f"{setting}=0:{stop}:{points}",
                            "--out", str(tmp / f"sweep_{r}.json")])
        say(f"{points} separate pbo solve runs ({r + 1} of {repeat})")
        separate = total([timed(["solve", str(path), "--set", f"{setting}={v}",
                                 "--no-binding"]) for v in values])
        pairs.append((persistent, separate))
    each = [a.wall / b.wall for a, b in pairs]
    median = each.index(sorted(each)[len(each) // 2])
    persistent, separate = pairs[median]
    swept = json.loads((tmp / f"sweep_{median}.json").read_text())  # the median pair's
    say(f"{points} fresh builds in process")
    fresh = fresh_in_process([apply_overrides(data, [(setting, v)]) for v in values],
                             who_pays=True)
    statuses = [p["status"] for p in swept["points"]]
    return {"points": points, "setting": setting, "stop": stop,
            "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
            "rebuilds": swept["rebuilds"], "persistent_s": persistent.wall,
            "separate_s": separate.wall, "ratio": persistent.wall / separate.wall,
            "target": 1 / 3, "cpu_ratio": persistent.cpu / separate.cpu,
            "repeats": [{"persistent_s": a.wall, "separate_s": b.wall,
                         "ratio": a.wall / b.wall, "persistent_cpu_s": a.cpu,
                         "separate_cpu_s": b.cpu, "cpu_ratio": a.cpu / b.cpu}
                        for a, b in pairs],
            "persistent_split": {"total": swept["seconds"], "build": swept["build_seconds"],
                                 "highs": swept["highs_seconds"]},
            "fresh_in_process": fresh, "in_process_ratio": swept["seconds"] / fresh["wall"]}


def report(rows: dict[str, dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="What-if speed: one persistent model vs separate solves (seconds)")
    for col in ("run", "persistent", "separate pbo solve", "ratio", "CPU ratio", "target",
                "in-process persistent", "in-process fresh", "ratio", "build+load",
                "HiGHS"):
        table.add_column(col, justify="left" if col == "run" else "right")
    for name, r in rows.items():
        split, fresh = r["persistent_split"], r["fresh_in_process"]
        build = split["build"] + split.get("load", 0.0)
        table.add_row(name, f"{r['persistent_s']:.1f}", f"{r['separate_s']:.1f}",
                      f"{r['ratio']:.2f}", f"{r['cpu_ratio']:.2f}", f"<= {r['target']:.2f}",
                      f"{split['total']:.1f}",
                      f"{fresh['wall']:.1f}", f"{r['in_process_ratio']:.2f}", f"{build:.2f}",
                      f"{split['highs']:.1f}")
    Console(width=140).print(table)
    for name, r in rows.items():
        print("in-process fresh ({name}): build {build:.1f} + load {load:.1f} + HiGHS "
              "{highs:.1f}".format(name=name, **r["fresh_in_process"]))
    if "sweep" in rows:
        print(f"sweep statuses: {rows['sweep']['statuses']}; "
              f"rebuilds: {rows['sweep']['rebuilds']}")
        if len(rows["sweep"]["repeats"]) > 1:
            print("sweep ratio in each repeat, wall (CPU): " + ", ".join(
                f"{r['persistent_s']:.1f} / {r['separate_s']:.1f} = {r['ratio']:.2f} "
                f"({r['persistent_cpu_s']:.1f} / {r['separate_cpu_s']:.1f} = "
                f"{r['cpu_ratio']:.2f})" for r in rows["sweep"]["repeats"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interventions", type=int, default=300)
    ap.add_argument("--partners", type=int, default=8)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--points", type=int, default=21)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", choices=("sensitivity", "sweep"), default=None)
    ap.add_argument("--repeat", type=int, default=1,
                    help="take the sweep and its separate solves this many times, one pair "
                         "after the other, and report the pair with the median ratio")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "whatif.json")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat: at least 1")
    began = time.perf_counter()

    def say(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f}s] {text}", flush=True)

    data = generate(args.interventions, args.partners, args.years, args.seed)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "scenario.yaml"
        write(data, path)
        rows = {}
        if args.only in (None, "sensitivity"):
            rows["sensitivity"] = bench_sensitivity(data, path, tmp, say)
        if args.only in (None, "sweep"):
            rows["sweep"] = bench_sweep(data, path, tmp, args.points, say, args.repeat)
    report(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "python": platform.python_version(), "machine": platform.machine(),
        "size": {"interventions": args.interventions, "partners": args.partners,
                 "years": args.years, "red_lines": len(data["red_lines"]), "seed": args.seed},
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "benchmark_seconds": time.perf_counter() - began, **rows}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
