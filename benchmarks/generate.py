"""Deterministic generator of realistic benchmark scenarios (SPEC section 2 format).

    python benchmarks/generate.py --interventions 500 --partners 10 --years 10 --out s.yaml

Partner 0 is a pure grant funder (no benefits, money in the first years only). Each
intervention has 2-4 funders, benefits to 2-3 partners arriving after its costs, integer or
continuous units, sometimes a minimum scale and a fixed cost; a few have `requires`/`excludes`.
Budgets cover roughly half of the interventions at full scale. Every red-line rule in
`pbo.models.scenario.RED_LINE_RULES` appears at least once; partner savings targets are >= 0 only,
which the empty plan (plus the must-fund intervention, which pays for itself) meets.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

THEMES = ("families", "crime", "health", "work", "housing", "early_years")
PARTNER_KINDS = ("council", "nhs", "police", "probation", "dwp", "fire", "housing",
                 "education", "ccg", "public_health")
START_YEAR = 2020


def _partners(rng: random.Random, n: int, years: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"id": "grant", "name": "Transformation grant",
                                  "poolable_budget": {START_YEAR: 0.0,
                                                      START_YEAR + 1: 0.0}}]
    for k in range(n - 1):
        kind = PARTNER_KINDS[k % len(PARTNER_KINDS)]
        out.append({"id": f"{kind}_{k}", "name": f"{kind.title()} {k}",
                    "poolable_budget": 0.0, "carry_over": rng.random() < 0.3,
                    "reinvest_savings": rng.choice([0.0, 0.0, 0.25, 0.5])})
    return out


def _agreements(rng: random.Random, ids: list[str]) -> dict[str, list[str]]:
    """Each theme's funding agreement: the 3-5 partners that pool for that kind of work."""
    return {theme: sorted(rng.sample(ids[1:], min(len(ids) - 1, rng.choice([3, 4, 5]))))
            for theme in THEMES}


def _funders(rng: random.Random, theme: str, agreements: dict[str, list[str]] | None,
             ids: list[str], benefit_partners: list[str]) -> list[str] | None:
    """Realistic: the theme's agreement (60%), the agreement and the intervention's main
    beneficiary (25%), or the whole pool (15%, no funders list). Random (agreements None):
    2-4 partners drawn at random, plus the main beneficiary (the structure of earlier runs)."""
    if agreements is None:
        return sorted(set(rng.sample(ids, rng.choice([2, 3, 4]))) | {benefit_partners[0]})
    draw = rng.random()
    if draw < 0.6:
        return agreements[theme]
    if draw < 0.85:
        return sorted({*agreements[theme], benefit_partners[0]})
    return None


def _intervention(rng: random.Random, k: int, ids: list[str], years: int,
                  agreements: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """One intervention: costs in its first one or two years, benefits from the next."""
    integer = rng.random() < 0.3
    first = rng.randrange(0, max(1, years // 2))
    span = rng.choice([1, 2])
    unit_cost = [0.0] * years
    base = rng.uniform(500, 5000)
    for t in range(first, min(years, first + span)):
        unit_cost[t] = round(base / span, 2)
    max_units = rng.choice([1, 2, 5, 10]) if integer else rng.randrange(100, 2000, 10)
    if integer:  # a hub or team: big lumps
        unit_cost = [round(c * 100, 2) for c in unit_cost]
    per_unit_cost = sum(unit_cost)
    benefit_partners = rng.sample(ids[1:], rng.choice([2, 3]))
    ratio = rng.uniform(0.6, 2.2)  # gross benefit / cost: some do not pay back
    benefits: dict[str, list[float]] = {}
    weights = [rng.random() + 0.2 for _ in benefit_partners]
    later = list(range(min(years - 1, first + span), years))
    for p, w in zip(benefit_partners, weights, strict=True):
        total = per_unit_cost * ratio * w / sum(weights)
        ramp = [rng.uniform(0.5, 1.5) for _ in later]
        benefits[p] = [0.0] * years
        for t, r in zip(later, ramp, strict=True):
            benefits[p][t] = round(total * r / sum(ramp), 2)
    theme = rng.choice(THEMES)
    funders = _funders(rng, theme, agreements, ids, benefit_partners)
    item: dict[str, Any] = {
        "id": f"iv_{k:05d}", "name": f"Intervention {k}", "theme": theme,
        "max_units": max_units, "integer_units": integer, "unit_cost": unit_cost,
        "benefits": benefits, "cashable": round(rng.uniform(0.3, 0.9), 2),
        "optimism_bias": rng.choice([0.0, 0.1, 0.2, 0.3]),
        "deadweight": rng.choice([0.0, 0.1, 0.2]),
        "social_value": round(per_unit_cost * rng.uniform(0, 0.3) / years, 2),
        "outcomes": {"people_helped": round(rng.uniform(0.2, 1.0), 2)},
    }
    if funders is not None:
        item["funders"] = funders
    if not integer and rng.random() < 0.3:
        item["min_units"] = round(max_units * rng.uniform(0.1, 0.3))
    if rng.random() < 0.25:
        item["fixed_cost"] = {START_YEAR + first: round(per_unit_cost * max_units * 0.05, 2)}
    return item


def _full_cost(iv: dict[str, Any]) -> list[float]:
    years = len(iv["unit_cost"])
    fixed = iv.get("fixed_cost", {})
    return [iv["unit_cost"][t] * iv["max_units"] + fixed.get(START_YEAR + t, 0.0)
            for t in range(years)]


def _size_budgets(rng: random.Random, partners: list[dict[str, Any]],
                  interventions: list[dict[str, Any]], years: int) -> None:
    """Pooled budgets (all partners, all years) of about half the full-scale cost."""
    yearly = [0.0] * years
    for iv in interventions:
        for t, c in enumerate(_full_cost(iv)):
            yearly[t] += c
    half = [0.5 * c for c in yearly]
    grant_share = 0.1
    partners[0]["poolable_budget"] = {START_YEAR: round(grant_share * sum(half[:2]) / 2, 2),
                                      START_YEAR + 1: round(grant_share * sum(half[:2]) / 2, 2)}
    weights = [rng.uniform(0.5, 2.0) for _ in partners[1:]]
    for p, w in zip(partners[1:], weights, strict=True):
        share = (1 - grant_share) * w / sum(weights)
        p["poolable_budget"] = [round(share * h, 2) for h in half]


def _links(rng: random.Random, interventions: list[dict[str, Any]]) -> None:
    n = len(interventions)
    for _ in range(max(1, n // 50)):
        a, b = rng.sample(range(n), 2)
        interventions[a]["requires"] = [interventions[b]["id"]]
    for _ in range(max(1, n // 50)):
        a, b = rng.sample(range(n), 2)
        if interventions[b]["id"] not in interventions[a].get("requires", []):
            interventions[a]["excludes"] = [interventions[b]["id"]]


def _red_lines(rng: random.Random, partners: list[dict[str, Any]],
               interventions: list[dict[str, Any]], years: int) -> list[dict[str, Any]]:
    ids = [p["id"] for p in partners]
    ivs = [iv["id"] for iv in interventions]
    linked = {x for iv in interventions for x in (*iv.get("requires", []),
                                                   *iv.get("excludes", []))}
    linked |= {iv["id"] for iv in interventions if iv.get("requires") or iv.get("excludes")}
    free = [i for i in ivs if i not in linked]
    # must_fund: the intervention paying back best, unlinked, at a small scale
    best = max((iv for iv in interventions if iv["id"] in free),
               key=lambda iv: sum(map(sum, iv["benefits"].values())) / sum(_full_cost(iv)))
    excluded, barred = rng.sample([i for i in free if i != best["id"]], 2)
    p = ids[1:]
    total_budget = sum(sum(q["poolable_budget"]) for q in partners[1:])
    return [
        {"id": "grant_window", "rule": "funding_window", "partner": "grant",
         "last_year": START_YEAR + 1, "owner": "DCLG", "negotiable": False},
        {"id": "grant_ring_fence", "rule": "ring_fence", "partner": "grant",
         "themes": ["families", "early_years", "work"], "owner": "DCLG"},
        {"id": f"{p[0]}_cap", "rule": "max_share", "partner": p[0], "share": 0.6,
         "owner": "Home Office"},
        {"id": f"{p[1]}_no_pooling_late", "rule": "no_pooling", "partner": p[1],
         "from_year": START_YEAR + max(1, years // 2 - 1), "owner": "DH"},
        {"id": f"{p[2]}_no_pooling", "rule": "no_pooling", "partner": p[2],
         "from_year": START_YEAR + years - 1, "owner": "MoJ"},  # late: may have no rows
        {"id": f"{p[3]}_no_worse_off", "rule": "no_worse_off", "partner": p[3],
         "owner": "DWP"},
        {"id": f"{p[4]}_barred", "rule": "no_funding", "partner": p[4],
         "interventions": [barred], "owner": "DH"},
        {"id": "excluded_pilot", "rule": "exclude_intervention", "intervention": excluded,
         "owner": "HM Treasury"},
        {"id": "must_fund_best", "rule": "must_fund", "intervention": best["id"],
         "min_units": best.get("min_units", 1) if best["integer_units"] else
         max(best.get("min_units", 0), round(best["max_units"] * 0.2)),
         "owner": "Cabinet Office", "negotiable": False},
        {"id": "total_cap", "rule": "spend_cap", "amount": round(0.9 * total_budget, 2),
         "owner": "HM Treasury"},
        {"id": "first_year_cap", "rule": "spend_cap", "year": START_YEAR,
         "amount": round(0.8 * sum(q["poolable_budget"][0] for q in partners[1:]), 2),
         "owner": "HM Treasury"},
    ]


def generate(interventions: int = 500, partners: int = 10, years: int = 10,
             seed: int = 0, *, structure: str = "realistic",
             red_lines: bool = True) -> dict[str, Any]:
    """A scenario dict; the same arguments always give the same scenario.

    `structure`: realistic (funders from each theme's funding agreement) or random (2-4
    funders drawn per intervention); `red_lines`: False for none (targets kept)."""
    if partners < 6:
        raise ValueError("need at least 6 partners (one grant funder, five for red lines)")
    if years < 3 or interventions < 10:
        raise ValueError("need at least 3 years and 10 interventions")
    rng = random.Random(seed)
    ps = _partners(rng, partners, years)
    ids = [p["id"] for p in ps]
    agreements = _agreements(rng, ids) if structure == "realistic" else None
    ivs = [_intervention(rng, k, ids, years, agreements) for k in range(interventions)]
    _size_budgets(rng, ps, ivs, years)
    _links(rng, ivs)
    rules = _red_lines(rng, ps, ivs, years) if red_lines else []
    targets = [{"id": f"{pid}_savings", "partner": pid, "measure": "net_cashable_savings",
                "min": 0.0} for pid in ids[1:4]]
    targets.append({"id": "people", "measure": "outcome", "outcome": "people_helped",
                    "min": 1.0})
    return {
        "name": f"Benchmark {interventions}x{partners}x{years} (seed {seed})",
        "currency": "GBP", "start_year": START_YEAR, "years": years,
        "discount_rate": 0.035, "objective": "net_fiscal_value",
        "cost_sharing": {"rule": "optimise"},
        "partners": ps, "interventions": ivs, "targets": targets, "red_lines": rules,
    }


def write(data: dict[str, Any], out: Path) -> None:
    if out.suffix == ".json":
        import json

        out.write_text(json.dumps(data, indent=1))
    else:
        import yaml

        out.write_text(yaml.safe_dump(data, sort_keys=False, width=100))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--interventions", type=int, default=500)
    ap.add_argument("--partners", type=int, default=10)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True, help=".yaml or .json")
    ap.add_argument("--structure", choices=("realistic", "random"), default="realistic")
    ap.add_argument("--no-red-lines", action="store_true")
    ap.add_argument("--no-validate", action="store_true")
    args = ap.parse_args(argv)
    try:
        data = generate(args.interventions, args.partners, args.years, args.seed,
                        structure=args.structure, red_lines=not args.no_red_lines)
    except ValueError as exc:  # a size it cannot generate: say so, as for a bad option
        ap.error(str(exc))
    if not args.no_validate:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from pbo.models.io.loading import scenario_from_data

        scenario_from_data(data)
    write(data, args.out)
    print(f"wrote {args.out}: {args.interventions} interventions, {args.partners} partners, "
          f"{args.years} years, {len(data['red_lines'])} red lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
