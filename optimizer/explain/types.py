"""The typed results of `pbo explain` (pbo.optimizer.explain.infeasible): frozen, JSON-ready models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pbo.models.results import PlanResult

StatementKind = Literal["target", "red_line", "budget", "link", "must_fund"]


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


def _frame(rows: list[Any], model: type[BaseModel]) -> Any:
    """Rows of one model as a DataFrame, with its columns even when there are none."""
    import pandas as pd

    return pd.DataFrame([r.model_dump() for r in rows], columns=list(model.model_fields))


class Conflict(_Row):
    """One scenario statement in the conflict set."""

    id: str
    """The target's or red line's id; the partner's id for a budget; 'A requires B' or
    'A excludes B' for a link."""
    kind: StatementKind
    detail: str
    """What the statement says, in words."""
    year: int | None = None
    """For a budget: the year whose budget (or running total, with carry_over) is involved."""
    rows: list[str] = Field(default_factory=list)
    """The model rows of the statement, e.g. red_line[dwp_no_pooling,all]."""


class Shortfall(_Row):
    """A target the nearest plan falls short of, or a red line it breaches."""

    id: str
    kind: StatementKind
    required: float
    """The bound the statement sets (a target's min or max; a red line's limit)."""
    achievable: float
    """The value the nearest feasible plan reaches."""
    period: str
    """'horizon', a year, or for a red line the part of it (all, select, units, a year)."""
    detail: str
    money: bool = True
    """required and achievable are money (False: outcome units, a selection, units)."""
    best_alone: float | None = None
    """For a target short together with others: the best it reaches with the other targets
    set aside (its bound when it could then be met); None when it is the only one short."""


class Unblock(_Row):
    """A smallest set of negotiable red lines whose relaxation makes the scenario feasible."""

    red_lines: list[str]
    objective: float | None
    """The objective the scenario reaches with these red lines relaxed (and nothing else)."""
    status: str


class Explanation(_Row):
    """Why a scenario is infeasible, the nearest feasible plan, and the cheapest unblock.

    For a feasible scenario only `status` ('feasible') and `message` are filled in.
    """

    status: Literal["infeasible", "feasible", "time_limit", "unbounded", "error"]
    scenario_name: str
    currency: str = "GBP"
    message: str = ""
    conflicts: list[Conflict] = Field(default_factory=list)
    conflict_method: str = ""
    """'LP IIS (HiGHS), then deletion filter' or 'deletion filter'."""
    irreducible: bool = True
    """Every listed statement was proven necessary (False only when a re-solve hit a limit)."""
    nearest_plan: PlanResult | None = None
    """The plan of the elastic re-solve (targets may fall short, negotiable red lines may be
    breached, each violation priced); null when even that has no plan."""
    shortfalls: list[Shortfall] = Field(default_factory=list)
    unblock: list[Unblock] = Field(default_factory=list)
    unblock_searched: int = 0
    """The largest number of red lines relaxed together in the unblock search."""
    weights: dict[str, float] = Field(default_factory=dict)
    """The prices of the elastic re-solve (see ElasticWeights)."""
    sentences: list[str] = Field(default_factory=list)
    """The explanation in plain English, one sentence per finding."""

    def to_json(self) -> dict[str, Any]:
        """The explanation as JSON data (`pbo explain --out`); schema: `pbo.result_schema(
        "explain")`."""
        return self.model_dump(mode="json")

    def tables(self) -> dict[str, Any]:
        """Tidy tables: conflicts, shortfalls, unblocks (one row per red line of each
        unblock), and the nearest plan's tables prefixed 'nearest_'."""
        import pandas as pd

        rows = [{"unblock": k, "red_line": r, "objective": u.objective, "status": u.status}
                for k, u in enumerate(self.unblock) for r in u.red_lines]
        out = {"conflicts": _frame(self.conflicts, Conflict),
               "shortfalls": _frame(self.shortfalls, Shortfall),
               "unblocks": pd.DataFrame(rows, columns=["unblock", "red_line", "objective",
                                                       "status"])}
        if self.nearest_plan is not None:
            out |= {f"nearest_{k}": v for k, v in self.nearest_plan.tables().items()}
        return out


class BindingRow(_Row):
    """A constraint that binds in the plan (zero slack, non-zero dual in the fixed-integer LP)."""

    id: str
    kind: Literal["target", "red_line", "budget", "link", "must_fund", "unit_limit"]
    year: int | None = None
    detail: str
    shadow_price: float
    """Objective change per unit (£, or unit) by which the constraint is relaxed."""


class BreakEven(_Row):
    """The scale of the intervention's benefits (or costs) at which it enters the plan."""

    lever: Literal["benefit_scale", "cost_scale"]
    """benefit_scale: its benefits (fiscal, economic, social) multiplied by a factor >= 1;
    cost_scale: its costs (fixed and per unit) multiplied by a factor <= 1."""
    value: float | None
    """The break-even factor (the tested factor nearest the threshold at which it is in the
    plan); null when no factor in the searched range brings it in."""
    inside: float | None = None
    """A factor at which it is in the plan (== value)."""
    outside: float | None = None
    """The nearest factor tested at which it is still out of the plan."""
    precision: float
    """Relative width of the bracket [outside, inside] the search stopped at."""
    per_unit: float | None = None
    """For benefit_scale: the discounted benefit per unit it needs; for cost_scale: the
    discounted cost per unit of its min units it may cost at most."""


class InterventionExplanation(_Row):
    """"Why isn't X funded?" for a feasible scenario."""

    intervention: str
    status: str
    objective_name: str
    objective: float | None
    selected: bool | None
    units: float | None
    forced_in_units: float
    """The units it is forced in at: its min_units, or 1 (its max_units if below 1)."""
    forced_in_status: str | None = None
    forced_in_objective: float | None = None
    forced_out_status: str | None = None
    forced_out_objective: float | None = None
    binding: list[BindingRow] = Field(default_factory=list)
    break_even: BreakEven | None = None
    currency: str = "GBP"
    sentences: list[str] = Field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The answer as JSON data (`pbo explain --intervention X --out`); schema:
        `pbo.result_schema("explain-intervention")`."""
        return self.model_dump(mode="json")

    def tables(self) -> dict[str, Any]:
        """Tidy tables: summary (one row: the plan, and the objective with it forced in and
        out), binding, break_even (one row, or none)."""
        import pandas as pd

        summary = self.model_dump(exclude={"binding", "break_even", "sentences"})
        return {"summary": pd.DataFrame([summary]), "binding": _frame(self.binding, BindingRow),
                "break_even": _frame([self.break_even] if self.break_even else [], BreakEven)}


@dataclass(frozen=True)
class ElasticWeights:
    """The prices of violations in the nearest-feasible-plan re-solve.

    The re-solve is lexicographic: first it minimises the priced violation, then, holding that,
    it maximises (or for min_cost minimises) the scenario's own objective. The weights only
    trade violations against each other:

    - `target`: per £ of shortfall of a money target; an outcome target's shortfall is
      priced relative to it: `target` x the money scale per whole target (so per unit of
      outcome, `target` x money scale / its bound);
    - `red_line`: per £ of breach of a money red line (no_pooling, funding_window, ring_fence,
      no_funding, max_share, no_worse_off, spend_cap). A red line on a decision
      (must_fund, exclude_intervention) is priced `red_line` x the scenario's money scale (its
      total poolable budget over the horizon) per whole breach, and a must_fund's min units
      that much per its min units.

    So a target falls short before a red line is breached, unless a £ of breach buys more than
    `red_line / target` £ of target. Non-negotiable red lines, budgets and links never bend.
    """

    target: float = 1.0
    red_line: float = 1000.0

    def as_dict(self) -> dict[str, float]:
        return {"target": self.target, "red_line": self.red_line}


@dataclass(frozen=True)
class ExplainOptions:
    """How `explain` searches."""

    weights: ElasticWeights = ElasticWeights()
    use_iis: bool = True
    """Narrow the candidates with HiGHS's IIS of the LP relaxation before deletion filtering."""
    max_unblock_size: int = 3
    """Relax at most this many red lines together in the cheapest-unblock search."""
    max_unblock_solves: int = 200
    """Stop the cheapest-unblock search after this many re-solves."""
