"""The naive formulation issue 12 measures against, written to MPS for HiGHS alone.

    python benchmarks/naive.py SCENARIO OUT.mps

One funding column per partner, intervention and year, and a cost-met row per intervention
and year, as the issue describes it ("one funding variable per partner, intervention and
year, 204,000 columns and 24,100 rows" at 2,000 x 10 x 10). It is pbo's full formulation
(SPEC 3.1 as written) over every (partner, intervention, year) instead of only the
partners who may fund an intervention and only the years it costs something: the columns
the full formulation leaves out are kept at 0 by their upper bound, the kindest way to
write them for HiGHS, whose presolve drops them at once. Its optimum is the full
formulation's (benchmarks/run.py prints both objectives).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from pbo.models.io.loading import load_scenario
from pbo.optimizer.formulation.build import BuiltModel, build_from_data
from pbo.optimizer.formulation.data import ModelData, funding_maps


def naive_model(path: Path) -> BuiltModel:
    """The naive formulation of the scenario at `path` (module docstring)."""
    sc = load_scenario(path)
    d = ModelData.from_scenario(sc, "full")
    costed = tuple((i, t) for i in d.interventions for t in d.years)
    index = tuple((p, i, t) for i, t in costed for p in d.partners)
    dense = dataclasses.replace(d, costed=costed, fund_index=index,
                                **funding_maps(costed, index))
    built = build_from_data(dense, sc.objective)
    eligible = set(d.fund_index)
    for key, var in built.m.fund.items():
        if key not in eligible:
            var.setub(0.0)
    return built


def main(argv: list[str]) -> int:
    from pbo.optimizer.solving.highs import HighsSession

    scenario, out = (Path(a) for a in argv)
    HighsSession(naive_model(scenario)).highs.writeModel(str(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
