"""Draw the uncertain inputs: scipy's quasi-Monte Carlo (Latin hypercube or Sobol), seeded.

One uniform number per independent draw (pbo.models.uncertainty.Dimension) and sample; each
member of the draw turns it into its own value through its distribution's inverse CDF, so a
group's inputs move together. The scenario of sample k is the point scenario with each drawn
input changed, validated like any scenario.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from pbo.models.io.loading import scenario_from_data
from pbo.models.scenario import Scenario
from pbo.models.uncertainty import Dimension, Member, _lookup

Method = Literal["lhs", "sobol"]


def uniforms(n: int, dims: int, seed: int, method: Method = "lhs") -> np.ndarray:
    """An (n, dims) array of numbers in (0, 1): the same for the same n, dims, seed, method."""
    from scipy.stats import qmc

    if dims == 0:
        return np.zeros((n, 0))
    rng = np.random.default_rng(seed)
    engine = (qmc.Sobol(dims, scramble=True, rng=rng) if method == "sobol"
              else qmc.LatinHypercube(dims, rng=rng))
    u = engine.random(n)
    return np.clip(u, 1e-12, 1 - 1e-12)


def quantile(member: Member, u: float) -> float:
    """The member's value (multiplier or absolute) at cumulative probability u."""
    from scipy import stats

    p = member.parameters
    kind = member.distribution
    if kind in ("uniform", "triangular", "pert"):
        lo, hi = p["low"], p["high"]
        if hi - lo <= 0:
            return lo
        if kind == "uniform":
            return lo + u * (hi - lo)
        c = (p["mode"] - lo) / (hi - lo)
        if kind == "triangular":
            return float(stats.triang.ppf(u, c, loc=lo, scale=hi - lo))
        a, b = 1 + 4 * c, 1 + 4 * (1 - c)  # PERT: a beta with the mode's weight 4
        return float(stats.beta.ppf(u, a, b, loc=lo, scale=hi - lo))
    if kind == "normal":
        if p["sd"] == 0:
            return p["mean"]
        return max(0.0, float(stats.norm.ppf(u, loc=p["mean"], scale=p["sd"])))
    if p["sigma"] == 0:
        return p["median"]
    return float(stats.lognorm.ppf(u, p["sigma"], scale=p["median"]))


def _scaled(value: Any, k: float) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value * k
    if isinstance(value, list | tuple):
        return [_scaled(v, k) for v in value]
    if isinstance(value, dict):
        return {key: _scaled(v, k) for key, v in value.items()}
    return value


def member_values(dims: Sequence[Dimension], u: np.ndarray) -> list[list[float]]:
    """Per sample, the value of every member of every draw, in order (drawn here, once, so
    that workers need no sampling library)."""
    return [[quantile(m, float(x)) for dim, x in zip(dims, row, strict=True)
             for m in dim.members] for row in u]


def point_values(base: Mapping[str, Any], dims: Sequence[Dimension]) -> list[Any]:
    """The point value of every member of every draw, in order."""
    return [_lookup(base, m.path) for dim in dims for m in dim.members]


def sample_changes(base: Mapping[str, Any], dims: Sequence[Dimension],
                   values: Sequence[float], points: Sequence[Any] | None = None
                   ) -> list[tuple[str, Any]]:
    """The (path, value) changes of one sample, from its member values (`points`: the
    members' point values, from point_values, if already known)."""
    members = [m for dim in dims for m in dim.members]
    points = points if points is not None else point_values(base, dims)
    changes: list[tuple[str, Any]] = []
    for member, x, point in zip(members, values, points, strict=True):
        changes.append((member.path, float(x) if member.absolute else _scaled(point, float(x))))
    return changes


def with_changes(base: Mapping[str, Any], changes: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    """`base` with each change applied, copying only what a change touches (the sampled
    paths were checked when the scenario was validated, so they all exist)."""
    out: dict[str, Any] = dict(base)
    copied: set[tuple[str, ...]] = set()
    positions: dict[str, dict[str, int]] = {}
    for path, value in changes:
        parts = path.split(".")
        node: Any = out
        for depth, key in enumerate(parts[:-1]):
            here = tuple(parts[: depth + 1])
            if isinstance(node, list):
                index = positions.setdefault(".".join(parts[:depth]), {
                    item["id"]: k for k, item in enumerate(node) if isinstance(item, dict)})
                slot: Any = index[key]
            else:
                slot = key
            if here not in copied:
                child = node[slot]
                node[slot] = list(child) if isinstance(child, list) else dict(child)
                copied.add(here)
            node = node[slot]
        node[parts[-1]] = value
    return out


def point_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data to draw from: every profile one value per year, and no
    uncertainty section (a sampled scenario is a plain scenario)."""
    data = scenario.model_dump(by_alias=True)
    data.pop("uncertainty", None)
    return data


def sampled_scenario(base: Mapping[str, Any], changes: list[tuple[str, Any]]) -> Scenario:
    return scenario_from_data(with_changes(base, changes))


def describe(dims: Sequence[Dimension]) -> list[dict[str, Any]]:
    """The draws as they go into the manifest."""
    return [{"draw": d.name, "inputs": [m.as_dict() for m in d.members]} for d in dims]
