"""Fair-shares benchmark (issue 13): solve counts and seconds.

    python benchmarks/shares.py                      # about a few minutes on 2 cores
    python benchmarks/shares.py --interventions 40 --samples 400

1. exact Shapley values for the 8 partners of scenarios/whole_place_example.yaml (2^8 - 1
   coalition solves on one loaded model);
2. the least core by row generation for 15 partners on a generated scenario
   (benchmarks/generate.py), separation by the membership MILP (enumeration would be
   2^15 - 2 = 32,766 coalition solves);
3. at 10 partners (generated), sampled Shapley values against the exact ones: the largest
   absolute error, and how many partners lie within 1.96 standard errors.
Writes benchmarks/results/shares.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from generate import generate  # noqa: E402

from pbo.models.io.loading import load_scenario, scenario_from_data  # noqa: E402
from pbo.optimizer.analyses.coalitions import CoalitionGame  # noqa: E402
from pbo.optimizer.analyses.shares import (  # noqa: E402
    least_core,
    shapley_exact,
    shapley_sampled,
)


def exact_realistic() -> dict[str, Any]:
    started = time.perf_counter()
    game = CoalitionGame(load_scenario(ROOT / "scenarios" / "whole_place_example.yaml"))
    phi = shapley_exact(game)
    return {"partners": len(game.partners), "solves": game.solves,
            "seconds": time.perf_counter() - started,
            "highs_seconds": game.session.highs_seconds,
            "grand_value": game.value(game.grand), "shapley": phi.values}


def core_generated(partners: int, interventions: int) -> dict[str, Any]:
    sc = scenario_from_data(generate(interventions=interventions, partners=partners, years=5))
    started = time.perf_counter()
    game = CoalitionGame(sc)
    core = least_core(game, "milp")
    return {"partners": partners, "interventions": interventions,
            "coalition_solves": game.solves, "separation_solves": core.separation_solves,
            "rounds": core.rounds, "cuts": core.cuts, "epsilon": core.epsilon,
            "most_violated": list(core.most_violated), "shortfall": core.shortfall,
            "seconds": time.perf_counter() - started, "enumeration_would_need": 2 ** partners - 2}


def sampled_error(partners: int, interventions: int, samples: int) -> dict[str, Any]:
    sc = scenario_from_data(generate(interventions=interventions, partners=partners, years=5))
    game = CoalitionGame(sc)
    started = time.perf_counter()
    exact = shapley_exact(game)
    exact_seconds, exact_solves = time.perf_counter() - started, game.solves
    sampled = shapley_sampled(game, samples, seed=0)  # coalitions already solved: reused
    errors = {p: sampled.values[p] - exact.values[p] for p in game.partners}
    within = sum(abs(e) <= 1.96 * sampled.se[p] + 1e-9 for p, e in errors.items())
    fresh = CoalitionGame(sc)
    started = time.perf_counter()
    shapley_sampled(fresh, samples, seed=0)
    return {"partners": partners, "samples": samples, "exact_solves": exact_solves,
            "exact_seconds": exact_seconds, "sampled_solves": fresh.solves,
            "sampled_seconds": time.perf_counter() - started,
            "grand_value": game.value(game.grand),
            "max_abs_error": max(abs(e) for e in errors.values()),
            "max_abs_error_share_of_grand": max(abs(e) for e in errors.values())
            / max(1.0, abs(game.value(game.grand))),
            "within_95pct_interval": f"{within} of {partners}",
            "errors": errors, "standard_errors": sampled.se}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interventions", type=int, default=30)
    ap.add_argument("--samples", type=int, default=200)
    args = ap.parse_args(argv)
    out: dict[str, Any] = {}
    out["exact_shapley_8"] = exact_realistic()
    print("exact Shapley, 8 partners (whole_place_example): "
          f"{out['exact_shapley_8']['solves']} solves, {out['exact_shapley_8']['seconds']:.1f} s")
    out["least_core_15"] = core_generated(15, args.interventions)
    c = out["least_core_15"]
    print(f"least core, 15 partners ({args.interventions} interventions): {c['rounds']} rounds, "
          f"{c['coalition_solves']} coalition solves + {c['separation_solves']} separation "
          f"MILPs (enumeration: {c['enumeration_would_need']}), {c['seconds']:.1f} s, "
          f"epsilon {c['epsilon']:,.0f}")
    out["sampled_vs_exact_10"] = sampled_error(10, args.interventions, args.samples)
    s = out["sampled_vs_exact_10"]
    print(f"Shapley at 10 partners: exact {s['exact_solves']} solves in "
          f"{s['exact_seconds']:.1f} s; sampled ({s['samples']} orders) {s['sampled_solves']} "
          f"solves in {s['sampled_seconds']:.1f} s; largest error {s['max_abs_error']:,.0f} "
          f"({s['max_abs_error_share_of_grand']:.2%} of v(N)); {s['within_95pct_interval']} "
          "within their 95% interval")
    results = ROOT / "benchmarks" / "results"
    results.mkdir(exist_ok=True)
    (results / "shares.json").write_text(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
