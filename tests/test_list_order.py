"""Issue 13: the plan does not depend on the order of the scenario's lists. The model is
built over a canonical order (optimizer/formulation/canonical.py), so permuting the
partners, interventions, each intervention's benefits and funders, the targets and the red
lines gives the same model, hence the same plan and figures; the results keep the user's
order."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import scenario_data

from pbo import SolverOptions, solve
from pbo.models.io.loading import scenario_from_data
from tests.conftest import iv, partner
from tests.conftest import scenario_data as tiny

Data = dict[str, Any]
OPTIONS = SolverOptions(check_binding=True)


def shuffled(data: Data, seed: int) -> Data:
    """A copy with every list the user writes in another order (and each mapping's keys)."""
    rng = random.Random(seed)
    out = copy.deepcopy(data)

    def mixed(items: list) -> list:
        items = list(items)
        rng.shuffle(items)
        return items

    for key in ("partners", "interventions", "targets", "red_lines"):
        if key in out:
            out[key] = mixed(out[key])
    for item in out["interventions"]:
        item["benefits"] = dict(mixed(list(item.get("benefits", {}).items())))
        if isinstance(item.get("cashable"), dict):
            item["cashable"] = dict(mixed(list(item["cashable"].items())))
        for key in ("funders", "requires", "excludes"):
            if item.get(key):
                item[key] = mixed(item[key])
    shares = out["cost_sharing"].get("shares")
    if shares:
        out["cost_sharing"]["shares"] = {i: dict(mixed(list(split.items())))
                                         for i, split in mixed(list(shares.items()))}
    return out


def figures(result) -> dict[str, Any]:
    """What must not depend on list order: status, objective, each intervention's selection
    and units, each partner's figures, and the funding rows as a set."""
    return {
        "status": result.status,
        "objective": result.objective,
        "interventions": {r.id: (r.selected, r.units) for r in result.interventions},
        "partners": {p.id: (p.contribution_npv, p.cashable_benefit_npv,
                            p.net_cashable_savings_npv, p.payback_year)
                     for p in result.partners},
        "funding": {(r.partner, r.intervention, r.year, r.amount) for r in result.funding},
        "binding": {r.id: r.binding for r in result.red_lines},
    }


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=scenario_data(with_red_lines=True), seed=st.integers(0, 2**16))
def test_permuting_the_lists_changes_no_figure(data: Data, seed: int) -> None:
    """The same figures, exactly (the same model reaches HiGHS), and the rows in the user's
    order."""
    base = solve(scenario_from_data(data), options=OPTIONS)
    other_data = shuffled(data, seed)
    other = solve(scenario_from_data(other_data), options=OPTIONS)
    assert figures(other) == figures(base)
    if other.status != "optimal":
        return
    assert [r.id for r in other.interventions] == [i["id"] for i in other_data["interventions"]]
    assert [p.id for p in other.partners] == [p["id"] for p in other_data["partners"]]
    assert [t.id for t in other.targets] == [t["id"] for t in other_data.get("targets", [])]
    assert [r.id for r in other.red_lines] == [r["id"] for r in other_data.get("red_lines", [])]


def test_funding_rows_keep_the_users_order() -> None:
    """Two interventions listed z before a, two funders listed police before council: the
    funding rows come intervention by intervention as listed, then by funder as listed
    (each partner may pool 100; z costs 30 and a 20, both worth more than they cost; under
    max-min fairness each pays half, the council and the police gaining alike)."""
    data = tiny(partners=[partner("police", 100), partner("council", 100)],
                interventions=[iv("z", max_units=1, unit_cost=30, funders=["police", "council"],
                                  benefits={"council": 40, "police": 40}),
                               iv("a", max_units=1, unit_cost=20, funders=["police", "council"],
                                  benefits={"council": 30, "police": 30})])
    result = solve(scenario_from_data(data))
    assert [(r.intervention, r.partner) for r in result.funding] == [
        ("z", "police"), ("z", "council"), ("a", "police"), ("a", "council")]
    assert [r.amount for r in result.funding] == [15.0, 15.0, 10.0, 10.0]


def test_a_generated_realistic_scenario_in_any_order() -> None:
    """The seeded benchmark generator's realistic structure (funding agreements per theme,
    links, red lines of every kind, whole units and fixed costs), small: two orders of its
    lists give the same figures, exactly."""
    from benchmarks.generate import generate

    data = generate(interventions=24, partners=6, years=3, seed=5)
    base = solve(scenario_from_data(data), options=OPTIONS)
    assert base.status == "optimal"
    for seed in (1, 2):
        assert figures(solve(scenario_from_data(shuffled(data, seed)), options=OPTIONS)) \
            == figures(base)


def test_the_plan_is_the_same_in_processes_with_other_hash_seeds(tmp_path) -> None:
    """String sets iterate in an order that changes with PYTHONHASHSEED between processes;
    none decides the model. The example solved (shuffled) by `pbo solve` in two processes
    with different seeds gives the same figures, exactly."""
    import json
    import os
    import subprocess
    import sys

    import yaml

    from tests.conftest import SCENARIOS

    data = yaml.safe_load((SCENARIOS / "whole_place_example.yaml").read_text(encoding="utf-8"))
    source = tmp_path / "shuffled.json"
    source.write_text(json.dumps(shuffled(data, 7)), encoding="utf-8")
    out = []
    for seed in ("1", "2"):
        target = tmp_path / f"plan{seed}.json"
        subprocess.run([sys.executable, "-m", "pbo.cli", "solve", str(source), "--out",
                        str(target)], check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        plan = json.loads(target.read_text(encoding="utf-8"))
        out.append({key: plan[key] for key in ("objective", "interventions", "funding",
                                               "partners", "red_lines")})
    assert out[0] == out[1]
