"""Uncertain inputs: the scenario's `uncertainty:` section and intervention confidence grades.

An entry addresses an input with the same path as `--set` (`interventions.tf.unit_cost`,
`partners.police.poolable_budget`, `interventions.*.benefits`: `*` is every id of that list)
and gives a distribution, as a multiplier of the point value (the default) or as the value
itself. Entries with the same `group` move together: one draw (one uniform number) is pushed
through each member's own distribution, so they rise and fall as one.

An intervention's `confidence: 1..6` (1 best) gives its costs and its benefits a default
triangular range and an optimism-bias correction from CONFIDENCE_TABLE; an explicit entry for
the same path wins, and `uncertainty.confidence_table` replaces rows of the table.

Only data here: the sampling itself (scipy) lives in pbo.optimizer.analyses.risk_sampling.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from pbo.models.base import Number, Share, StrictModel

Distribution = Literal["uniform", "triangular", "pert", "normal", "lognormal"]
DISTRIBUTIONS: tuple[str, ...] = Distribution.__args__  # type: ignore[attr-defined]

CONFIDENCE_SOURCE = (
    "HM Treasury, Public Service Transformation Network and New Economy, 'Supporting public "
    "service transformation: cost benefit analysis guidance for local partnerships' (April "
    "2014), https://www.gov.uk/government/publications/supporting-public-service-"
    "transformation-cost-benefit-analysis-guidance-for-local-partnerships")
"""The method the confidence grades follow. Its own table of figures could not be read from
the sources available when this was written: CONFIDENCE_TABLE's numbers are a PLACEHOLDER in
the guidance's shape (grade 1 best, a larger correction for weaker evidence), to be checked
against the guidance and overridden per scenario with `uncertainty.confidence_table`."""


class ConfidenceGrade(StrictModel):
    range: Share
    """Half-width of the triangular range, as a share of the corrected value (0.2: ±20%)."""
    optimism_bias: Share
    """Correction: benefits are reduced, and costs raised, by this share."""


CONFIDENCE_TABLE: dict[int, ConfidenceGrade] = {
    grade: ConfidenceGrade(range=r, optimism_bias=ob) for grade, (r, ob) in {
        1: (0.05, 0.00), 2: (0.10, 0.05), 3: (0.20, 0.10),
        4: (0.30, 0.15), 5: (0.40, 0.25), 6: (0.50, 0.40)}.items()}
"""PLACEHOLDER defaults (see CONFIDENCE_SOURCE): grade -> range and optimism-bias correction."""


class UncertainInput(StrictModel):
    model_config = ConfigDict(**StrictModel.model_config, validate_by_name=True,
                              validate_by_alias=True, serialize_by_alias=True)

    path: str
    """The input, as a --set path; `*` stands for every id of a list (interventions.*.unit_cost)."""
    distribution: Distribution
    low: Number | None = None
    """uniform, triangular, pert: the lowest value."""
    mode: Number | None = None
    """triangular, pert: the most likely value."""
    high: Number | None = None
    """uniform, triangular, pert: the highest value."""
    mean: Number | None = None
    """normal: the mean."""
    sd: Number | None = None
    """normal: the standard deviation (draws are cut at 0)."""
    median: Number | None = None
    """lognormal: the median."""
    sigma: Number | None = None
    """lognormal: the standard deviation of the logarithm."""
    as_: Literal["multiplier", "absolute"] = Field("multiplier", alias="as")
    """multiplier: the draw scales the point value (1 = as written); absolute: it is the value."""
    group: str | None = None
    """Inputs with the same group move together (one draw)."""

    @model_validator(mode="after")
    def _parameters(self) -> UncertainInput:
        needs = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                 "pert": ("low", "mode", "high"), "normal": ("mean", "sd"),
                 "lognormal": ("median", "sigma")}[self.distribution]
        missing = [k for k in needs if getattr(self, k) is None]
        extra = [k for k in ("low", "mode", "high", "mean", "sd", "median", "sigma")
                 if k not in needs and getattr(self, k) is not None]
        if missing:
            raise ValueError(f"a {self.distribution} distribution needs {', '.join(needs)}; "
                             f"missing {', '.join(missing)}")
        if extra:
            raise ValueError(f"a {self.distribution} distribution takes {', '.join(needs)}, "
                             f"not {', '.join(extra)}")
        lo, mo, hi = self.low, self.mode, self.high
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"low {lo:g} is above high {hi:g}")
        if mo is not None and lo is not None and hi is not None and not lo <= mo <= hi:
            raise ValueError(f"mode {mo:g} must lie between low {lo:g} and high {hi:g}")
        for name in ("sd", "sigma"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"{name} must be >= 0, not {v:g}")
        if self.median is not None and self.median <= 0:
            raise ValueError(f"a lognormal median must be above 0, not {self.median:g}")
        return self

    def parameters(self) -> dict[str, float]:
        return {k: float(v) for k in ("low", "mode", "high", "mean", "sd", "median", "sigma")
                if (v := getattr(self, k)) is not None}


class Uncertainty(StrictModel):
    inputs: list[UncertainInput] = Field(default_factory=list)
    """The uncertain inputs, each a path and a distribution."""
    confidence_table: dict[int, ConfidenceGrade] = Field(default_factory=dict)
    """Rows replacing the default confidence table: {grade: {range, optimism_bias}}."""

    @model_validator(mode="after")
    def _grades(self) -> Uncertainty:
        bad = [g for g in self.confidence_table if not 1 <= g <= 6]
        if bad:
            raise ValueError(f"confidence_table: grades run 1..6, not {bad}")
        return self

    def table(self) -> dict[int, ConfidenceGrade]:
        return {**CONFIDENCE_TABLE, **self.confidence_table}


@dataclass(frozen=True)
class Member:
    """One concrete input of a draw: its path (no wildcard) and distribution."""

    path: str
    distribution: str
    parameters: dict[str, float]
    absolute: bool

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "distribution": self.distribution,
                "parameters": self.parameters, "as": "absolute" if self.absolute
                else "multiplier"}


@dataclass(frozen=True)
class Dimension:
    """One independent draw and every input it moves."""

    name: str
    members: tuple[Member, ...]


SECTIONS = ("partners", "interventions", "targets", "red_lines")


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a concrete path of plain scenario data (KeyError if there is none)."""
    parts = path.split(".")
    node: Any = data
    for key in parts:
        if isinstance(node, list):
            node = next(item for item in node if isinstance(item, dict) and item.get("id") == key)
        elif isinstance(node, dict):
            node = node[key]
        else:
            raise KeyError(key)
    return node


def numeric(value: Any) -> bool:
    """A number, a profile (list or {year: value}) or a mapping of profiles (benefits)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(numeric(v) for v in value)
    if isinstance(value, dict):
        return bool(value) and all(numeric(v) for v in value.values())
    return False


def expand(data: Mapping[str, Any], path: str) -> tuple[list[str], str | None]:
    """The concrete paths a (wildcard) path names in `data`, or a located problem."""
    parts = path.split(".")
    found: list[list[str]] = [[]] if parts else []
    node_of: list[Any] = [data]
    for depth, key in enumerate(parts):
        nxt, nxt_nodes = [], []
        for prefix, node in zip(found, node_of, strict=True):
            if isinstance(node, list) and key == "*":
                for item in node:
                    if isinstance(item, dict) and isinstance(item.get("id"), str):
                        nxt.append([*prefix, item["id"]])
                        nxt_nodes.append(item)
            elif isinstance(node, list):
                item = next((i for i in node if isinstance(i, dict) and i.get("id") == key), None)
                if item is None:
                    from pbo.models.checks import did_you_mean

                    ids = [str(i.get("id")) for i in node if isinstance(i, dict)]
                    where = ".".join(parts[:depth]) or "scenario"
                    return [], f"no item '{key}' in {where}{did_you_mean(key, ids)}"
                nxt.append([*prefix, key])
                nxt_nodes.append(item)
            elif isinstance(node, dict) and key in node and key != "*":
                nxt.append([*prefix, key])
                nxt_nodes.append(node[key])
            elif isinstance(node, dict) and key == "*":
                for k, v in node.items():
                    nxt.append([*prefix, str(k)])
                    nxt_nodes.append(v)
            elif isinstance(node, dict):
                continue  # absent here (a default): a wildcard match simply has no such input
            else:
                return [], f"cannot go inside '{'.'.join(prefix)}'"
        found, node_of = nxt, nxt_nodes
    bad = [".".join(p) for p, v in zip(found, node_of, strict=True) if not numeric(v)]
    if bad:
        return [], f"'{bad[0]}' is not a number or a profile"
    if not found:
        return [], "names no input in this scenario"
    return [".".join(p) for p in found], None


def resolve(data: Mapping[str, Any]) -> tuple[list[Dimension], list[str]]:
    """The independent draws of a scenario's data (a normalised model dump), and problems.

    Confidence grades come first, then explicit inputs, which replace a confidence default for
    the same path."""
    section = data.get("uncertainty") or {}
    table = {**CONFIDENCE_TABLE, **{int(k): ConfidenceGrade.model_validate(v) for k, v in
                                    (section.get("confidence_table") or {}).items()}}
    members: dict[str, tuple[str, Member]] = {}
    problems: list[str] = []
    for iv in data.get("interventions") or []:
        grade = iv.get("confidence")
        if grade is None:
            continue
        row = table[int(grade)]
        i = iv["id"]
        benefit = 1.0 - row.optimism_bias
        cost = 1.0 + row.optimism_bias
        for field, centre, group in (("benefits", benefit, f"confidence {i} benefits"),
                                     ("unit_cost", cost, f"confidence {i} costs"),
                                     ("fixed_cost", cost, f"confidence {i} costs")):
            if not numeric(iv.get(field)) or not _any_nonzero(iv.get(field)):
                continue
            params = {"low": centre * (1 - row.range), "mode": centre,
                      "high": centre * (1 + row.range)}
            path = f"interventions.{i}.{field}"
            members[path] = (group, Member(path, "triangular", params, False))
    for k, entry in enumerate(section.get("inputs") or []):
        try:
            spec = UncertainInput.model_validate(entry)
        except ValueError:
            continue  # pydantic reports it, located
        paths, problem = expand(data, spec.path)
        if problem:
            problems.append(f"uncertainty.inputs[{k}].path: {spec.path}: {problem}")
            continue
        for path in paths:
            if spec.as_ == "absolute" and isinstance(_lookup(data, path), dict):
                problems.append(f"uncertainty.inputs[{k}].path: {path} holds one profile per "
                                "partner: give it as a multiplier, or name one partner")
                continue
            group = spec.group or f"{path}"
            members[path] = (group, Member(path, spec.distribution, spec.parameters(),
                                           spec.as_ == "absolute"))
    problems.extend(_overlaps(list(members)))
    dims: dict[str, list[Member]] = {}
    for group, member in members.values():
        dims.setdefault(group, []).append(member)
    return [Dimension(name, tuple(ms)) for name, ms in dims.items()], problems


def _any_nonzero(value: Any) -> bool:
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, list | tuple):
        return any(_any_nonzero(v) for v in value)
    if isinstance(value, dict):
        return any(_any_nonzero(v) for v in value.values())
    return False


def _overlaps(paths: list[str]) -> list[str]:
    """A path inside another (benefits and benefits.council) would be drawn twice."""
    out = []
    for p in paths:
        for q in paths:
            if q.startswith(p + "."):
                out.append(f"uncertainty: {q} lies inside {p}: it would be drawn twice; "
                           "give one of them")
    return out


def uncertainty_problems(data: Mapping[str, Any]) -> list[str]:
    """Every located problem with the uncertainty section of a (normalised) scenario dump."""
    try:
        return resolve(data)[1]
    except (ValueError, TypeError, KeyError) as exc:  # already reported by pydantic
        return [f"uncertainty: {exc}"]
