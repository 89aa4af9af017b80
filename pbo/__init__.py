"""pbo, the pooled-budget optimiser, as a library.

>>> import pbo
>>> scenario = pbo.load_scenario(pbo.example_path("tutorial"))
>>> result = pbo.solve(scenario)
>>> result.status
'optimal'

A scenario can also be built in code (`pbo.Scenario(partners=[pbo.Partner(...)], ...)`),
from pandas (`pbo.scenario_from_frames(...)`) or from plain data (`pbo.scenario_from_data`);
every way is checked as a file is, and bad input raises `pbo.InputError` listing every located
problem. Each analysis (`solve`, `sensitivity`, `sweep`, `explain`, `explain_intervention`,
`compare`, `report`) takes a Scenario; each result has `tables()` (tidy DataFrames) and
`to_json()`, whose JSON Schema `pbo.result_schema(kind)` gives.

Names are imported on first use, so ``import pbo`` (and the ``pbo`` command's start-up) loads no
solver: Pyomo and HiGHS are loaded by the first call that solves.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from pbo._version import __version__

if TYPE_CHECKING:
    from pbo.models.errors import InfeasibleError, InputError, PboError, SolverError, UsageError
    from pbo.models.io.examples import example_path, examples
    from pbo.models.io.frames import scenario_frames, scenario_from_frames
    from pbo.models.io.loading import load_scenario, scenario_from_data
    from pbo.models.results import PlanResult
    from pbo.models.scenario import (
        CostSharing,
        ExcludeIntervention,
        FundingWindow,
        Intervention,
        MaxShare,
        MustFund,
        NoFunding,
        NoPooling,
        NoWorseOff,
        Partner,
        RedLine,
        RingFence,
        Scenario,
        SpendCap,
        Target,
    )
    from pbo.optimizer.analyses.audit import AuditReport, audit
    from pbo.optimizer.analyses.compare import Comparison, compare
    from pbo.optimizer.analyses.partner_case import PartnerCases, partner_cases
    from pbo.optimizer.analyses.risk import risk
    from pbo.optimizer.analyses.risk_result import RiskResult
    from pbo.optimizer.analyses.sensitivity import SensitivityResult, sensitivity
    from pbo.optimizer.analyses.shares import SharesResult, shares
    from pbo.optimizer.analyses.sweep import SweepParam, SweepResult, sweep
    from pbo.optimizer.explain.infeasible import explain
    from pbo.optimizer.explain.types import Explanation, InterventionExplanation
    from pbo.optimizer.explain.why import explain_intervention
    from pbo.optimizer.present.publish import report
    from pbo.optimizer.present.result_schemas import result_schema
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve

_SCENARIO_TYPES = (
    "Scenario", "Partner", "Intervention", "Target", "CostSharing", "RedLine", "NoPooling",
    "FundingWindow", "RingFence", "NoFunding", "MaxShare", "NoWorseOff",
    "ExcludeIntervention", "MustFund", "SpendCap",
)
_HOME = {
    "PboError": "pbo.models.errors", "InputError": "pbo.models.errors",
    "InfeasibleError": "pbo.models.errors", "SolverError": "pbo.models.errors",
    "UsageError": "pbo.models.errors",
    "example_path": "pbo.models.io.examples", "examples": "pbo.models.io.examples",
    "scenario_from_frames": "pbo.models.io.frames", "scenario_frames": "pbo.models.io.frames",
    "load_scenario": "pbo.models.io.loading", "scenario_from_data": "pbo.models.io.loading",
    "PlanResult": "pbo.models.results",
    **{name: "pbo.models.scenario" for name in _SCENARIO_TYPES},
    "audit": "pbo.optimizer.analyses.audit", "AuditReport": "pbo.optimizer.analyses.audit",
    "compare": "pbo.optimizer.analyses.compare", "Comparison": "pbo.optimizer.analyses.compare",
    "risk": "pbo.optimizer.analyses.risk", "RiskResult": "pbo.optimizer.analyses.risk_result",
    "sensitivity": "pbo.optimizer.analyses.sensitivity",
    "SensitivityResult": "pbo.optimizer.analyses.sensitivity",
    "shares": "pbo.optimizer.analyses.shares", "SharesResult": "pbo.optimizer.analyses.shares",
    "partner_cases": "pbo.optimizer.analyses.partner_case",
    "PartnerCases": "pbo.optimizer.analyses.partner_case",
    "sweep": "pbo.optimizer.analyses.sweep", "SweepParam": "pbo.optimizer.analyses.sweep",
    "SweepResult": "pbo.optimizer.analyses.sweep",
    "explain": "pbo.optimizer.explain.infeasible",
    "Explanation": "pbo.optimizer.explain.types",
    "InterventionExplanation": "pbo.optimizer.explain.types",
    "explain_intervention": "pbo.optimizer.explain.why",
    "report": "pbo.optimizer.present.publish",
    "result_schema": "pbo.optimizer.present.result_schemas",
    "SolverOptions": "pbo.optimizer.solving.highs",
    "solve": "pbo.optimizer.solving.plan",
}
"""Where each public name lives: the one place it is defined."""

__all__ = [
    "__version__",
    "AuditReport",
    "Comparison",
    "CostSharing",
    "ExcludeIntervention",
    "Explanation",
    "FundingWindow",
    "InfeasibleError",
    "InputError",
    "Intervention",
    "InterventionExplanation",
    "MaxShare",
    "MustFund",
    "NoFunding",
    "NoPooling",
    "NoWorseOff",
    "Partner",
    "PartnerCases",
    "PboError",
    "PlanResult",
    "RedLine",
    "RingFence",
    "RiskResult",
    "Scenario",
    "SensitivityResult",
    "SharesResult",
    "SolverError",
    "SolverOptions",
    "SpendCap",
    "SweepParam",
    "SweepResult",
    "Target",
    "UsageError",
    "audit",
    "compare",
    "example_path",
    "examples",
    "explain",
    "explain_intervention",
    "load_scenario",
    "report",
    "result_schema",
    "scenario_frames",
    "partner_cases",
    "risk",
    "scenario_from_data",
    "scenario_from_frames",
    "sensitivity",
    "shares",
    "solve",
    "sweep",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'pbo' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
