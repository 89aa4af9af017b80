"""Reduced against full formulation on many generated scenarios (issue 12: at least 200).

    python benchmarks/exactness.py                # 250 scenarios
    python benchmarks/exactness.py --examples 400

Uses the suite's own strategy and check (tests/test_formulations_agree.py: same status,
same objective within the MIP gap, the reduced plan and payments feasible in the full model,
the same partner figures where both choose the same plan). Prints the tally and writes
benchmarks/results/exactness.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from test_formulations_agree import classed_scenarios, compare  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=250)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    tally: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    started = time.perf_counter()

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=classed_scenarios())
    def run(data) -> None:
        out = compare(data)
        tally["scenarios"] += 1
        tally[f"status {out['status']}"] += 1
        if out["same_plan"] is not None:
            tally["same plan" if out["same_plan"] else "tied plans (objective equal)"] += 1
        rules[f"sharing {data['cost_sharing']['rule']}"] += 1
        rules[f"objective {data['objective']}"] += 1
        for r in data.get("red_lines", []):
            rules[f"red line {r['rule']}"] += 1

    seed(args.seed)(run)()
    figures = {"tally": dict(tally), "coverage": dict(sorted(rules.items())),
               "seconds": round(time.perf_counter() - started, 1), "disagreements": 0}
    print(json.dumps(figures, indent=2))
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "exactness.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
