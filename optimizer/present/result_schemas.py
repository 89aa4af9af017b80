"""The JSON every result is written as (`to_json()`, `--out FILE.json`), as pydantic models:
their JSON Schemas (`pbo schema --result KIND`, `pbo.result_schema(KIND)`) let another tool
check what it reads, and the tests check every result's JSON against its model.

PlanResult, Explanation and InterventionExplanation are pydantic models already: their JSON is
their own dump. The analyses' dataclasses are described here, field by field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class BaseSolveJSON(_Wire):
    status: str
    objective: float | None


class RedLineValueJSON(_Wire):
    """One red line relaxed on its own."""

    id: str
    rule: str
    owner: str
    negotiable: bool
    status: str
    """optimal | unblocks | infeasible | time_limit | unbounded | error."""
    objective: float | None
    value: float | None
    """Objective gained by relaxing it (min_cost: cost saved); null when not measurable."""
    description: str = ""
    partner_gains: dict[str, float] | None = None
    """Each partner's change in discounted net cashable savings when it is relaxed, the
    cost-sharing rule re-applied to the relaxed plan."""
    verdict: str | None = None
    """all_gain | all_gain_if_resplit | someone_loses (see the README)."""
    smallest_gain: float | None = None
    """The largest smallest partner gain any split of the relaxed plan's costs gives."""
    resplit: dict[str, float] | None = None
    """What each partner pays (discounted) in that split."""
    partners_words: str = ""
    partners_short: str = ""


class PairValueJSON(_Wire):
    """Two red lines relaxed together."""

    first: str
    second: str
    status: str
    objective: float | None
    value: float | None
    interaction: float | None
    """The pair's value less the two single values: > 0 complements, < 0 substitutes."""


class MarginalJSON(_Wire):
    """A marginal value from the LP with the integer decisions fixed at the base plan."""

    kind: str
    """budget | target | red_line."""
    id: str
    period: str
    bound: str
    """upper (a cap) or lower (a minimum)."""
    level: float | None
    dual: float | None
    """Objective gained (min_cost: cost saved) per +1 on that bound."""
    range_low: float | None
    range_high: float | None
    words: str


class _RerunJSON(_Wire):
    """What `pbo audit` needs to re-run an analysis: the input file and its SHA-256, the
    changes applied to it (named what-ifs, in order), the objective and time limit, and the
    versions (`analysis_manifest`)."""

    input_file: str
    input_sha256: str
    overrides: list[list[Any]]
    objective: str | None
    time_limit: float | None
    engine_version: str
    solver: str


class SweepManifestJSON(_RerunJSON):
    """What `pbo audit` needs to re-run a sweep."""

    kind: Literal["sweep"]


class SensitivityManifestJSON(_RerunJSON):
    """What `pbo audit` needs to re-run a red-line sensitivity, with what was asked."""

    kind: Literal["sensitivity"]
    include_non_negotiable: bool
    """`--all`: non-negotiable red lines relaxed too."""
    pairs: int
    """`--pairs K`."""


class SensitivityJSON(_Wire):
    """Red-line sensitivity (`pbo sensitivity --out FILE.json`, SPEC section 4): the base
    solve and each red line relaxed alone, ranked by value."""

    manifest: SensitivityManifestJSON | None = None
    """Absent when run from data in code (no input file to re-run it from)."""

    objective_name: str
    headline: str = ""
    """Which red lines to fight for first, in plain words."""
    base: BaseSolveJSON
    red_lines: list[RedLineValueJSON]
    pairs: list[PairValueJSON]
    marginals: list[MarginalJSON]
    timings: dict[str, float]
    """build, load, highs, runs and total seconds."""


class SweepParamJSON(_Wire):
    path: str
    start: float
    stop: float
    points: int


class SweepPointJSON(BaseModel):
    """One point of the sweep; besides these, one number per swept input (keyed by its
    path) and `net_savings_PARTNER` for each partner (null without a plan)."""

    model_config = ConfigDict(extra="allow", use_attribute_docstrings=True)

    status: str
    objective: float | None
    interventions: str
    """The selected interventions' ids, comma-separated."""
    objective_change_per_unit: float | None = None
    """With one swept input: the objective's change per unit step of it from the previous
    point (null at the first point)."""


class SweepJSON(_Wire):
    """A parametric what-if (`pbo sweep --out FILE.json`)."""

    manifest: SweepManifestJSON | None = None
    """Absent in a sweep run from data in code (no input file to re-run it from)."""

    parameters: list[SweepParamJSON]
    points: list[SweepPointJSON]
    rebuilds: int
    seconds: float
    build_seconds: float
    highs_seconds: float


class InputChangeJSON(_Wire):
    path: str
    """The input's path, list items by id, as --set addresses it."""
    first: Any = None
    second: Any = None
    in_first: bool = True
    """False: the first scenario has no such input (its `first` is then null)."""
    in_second: bool = True


class PairJSON(_Wire):
    first: Any = None
    second: Any = None
    change: float | None = None


class ComparedInterventionJSON(_Wire):
    intervention: str
    units_first: float
    units_second: float
    change: str
    """in | out | scaled | same."""


class ComparedPartnerJSON(_Wire):
    partner: str
    contribution_first: float | None
    contribution_second: float | None
    net_savings_first: float | None
    net_savings_second: float | None


class ComparisonJSON(_Wire):
    """Two scenarios compared (`pbo compare --out FILE.json`)."""

    input_changes: list[InputChangeJSON]
    objective: PairJSON
    status: PairJSON
    interventions: list[ComparedInterventionJSON]
    partners: list[ComparedPartnerJSON]


class AuditCheckJSON(_Wire):
    check: str
    passed: bool | None
    """null: could not be checked here (the input file is elsewhere)."""
    detail: str


class AuditJSON(_Wire):
    """An audit of a result (`pbo.audit`)."""

    passed: bool
    checks: list[AuditCheckJSON] = Field(default_factory=list)
    findings: list[str] = Field(default_factory=list)
    """Each figure that differs, named ("targets[x].achieved: recorded £56.00, recomputed
    £28.00")."""


def _models() -> dict[str, type[BaseModel]]:
    from pbo.models.results import PlanResult
    from pbo.optimizer.explain.types import Explanation, InterventionExplanation

    return {"plan": PlanResult, "sensitivity": SensitivityJSON, "sweep": SweepJSON,
            "compare": ComparisonJSON, "explain": Explanation,
            "explain-intervention": InterventionExplanation, "audit": AuditJSON}


RESULT_KINDS = ("plan", "sensitivity", "sweep", "compare", "explain", "explain-intervention",
                "audit")
"""The results with a JSON form, by the command that writes them."""


def result_model(kind: str) -> type[BaseModel]:
    """The model of one kind of result's JSON (validate what you read with
    `result_model(kind).model_validate(data)`)."""
    from pbo.models.errors import UsageError

    models = _models()
    if kind not in models:
        raise UsageError(f"--result {kind}: no such result (one of {', '.join(RESULT_KINDS)})")
    return models[kind]


def result_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of result's JSON, as `to_json()` writes it.

    >>> import pbo
    >>> pbo.result_schema("plan")["title"]
    'PlanResult'
    """
    return result_model(kind).model_json_schema(mode="serialization")
