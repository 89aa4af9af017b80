"""pbo, the pooled-budget optimiser, as a library.

>>> import pbo
>>> result = pbo.solve(pbo.load_scenario("scenarios/tutorial.yaml"))

Names are imported on first use, so ``import pbo`` (and the ``pbo`` command's start-up) loads no
solver: Pyomo and HiGHS are loaded by the first call that solves.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from pbo._version import __version__

if TYPE_CHECKING:
    from pbo.models.errors import InfeasibleError, InputError, PboError, SolverError
    from pbo.models.io.loading import load_scenario, scenario_from_data
    from pbo.models.results import PlanResult
    from pbo.models.scenario import Intervention, Partner, Scenario, Target
    from pbo.optimizer.analyses.audit import AuditReport, audit
    from pbo.optimizer.analyses.compare import Comparison, compare
    from pbo.optimizer.analyses.risk import risk
    from pbo.optimizer.analyses.risk_result import RiskResult
    from pbo.optimizer.analyses.sensitivity import SensitivityResult, sensitivity
    from pbo.optimizer.analyses.sweep import SweepParam, SweepResult, sweep
    from pbo.optimizer.explain.infeasible import explain
    from pbo.optimizer.explain.types import Explanation, InterventionExplanation
    from pbo.optimizer.explain.why import explain_intervention
    from pbo.optimizer.solving.highs import SolverOptions
    from pbo.optimizer.solving.plan import solve

_HOME = {
    "PboError": "pbo.models.errors", "InputError": "pbo.models.errors",
    "InfeasibleError": "pbo.models.errors", "SolverError": "pbo.models.errors",
    "load_scenario": "pbo.models.io.loading", "scenario_from_data": "pbo.models.io.loading",
    "PlanResult": "pbo.models.results",
    "Scenario": "pbo.models.scenario", "Partner": "pbo.models.scenario",
    "Intervention": "pbo.models.scenario", "Target": "pbo.models.scenario",
    "audit": "pbo.optimizer.analyses.audit", "AuditReport": "pbo.optimizer.analyses.audit",
    "compare": "pbo.optimizer.analyses.compare", "Comparison": "pbo.optimizer.analyses.compare",
    "risk": "pbo.optimizer.analyses.risk", "RiskResult": "pbo.optimizer.analyses.risk_result",
    "sensitivity": "pbo.optimizer.analyses.sensitivity",
    "SensitivityResult": "pbo.optimizer.analyses.sensitivity",
    "sweep": "pbo.optimizer.analyses.sweep", "SweepParam": "pbo.optimizer.analyses.sweep",
    "SweepResult": "pbo.optimizer.analyses.sweep",
    "explain": "pbo.optimizer.explain.infeasible",
    "Explanation": "pbo.optimizer.explain.types",
    "InterventionExplanation": "pbo.optimizer.explain.types",
    "explain_intervention": "pbo.optimizer.explain.why",
    "SolverOptions": "pbo.optimizer.solving.highs",
    "solve": "pbo.optimizer.solving.plan",
}
"""Where each public name lives: the one place it is defined."""

__all__ = [
    "__version__",
    "AuditReport",
    "Comparison",
    "Explanation",
    "InfeasibleError",
    "InputError",
    "Intervention",
    "InterventionExplanation",
    "Partner",
    "PboError",
    "PlanResult",
    "RiskResult",
    "Scenario",
    "SensitivityResult",
    "SolverError",
    "SolverOptions",
    "SweepParam",
    "SweepResult",
    "Target",
    "audit",
    "compare",
    "explain",
    "explain_intervention",
    "load_scenario",
    "risk",
    "scenario_from_data",
    "sensitivity",
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
