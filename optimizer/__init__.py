"""Model building, solving and analyses.

>>> from optimizer import load_scenario, solve
>>> result = solve(load_scenario("scenarios/tutorial.yaml"))
"""

from models.loading import load_scenario
from optimizer.compare import compare
from optimizer.explain import explain
from optimizer.explain_why import explain_intervention
from optimizer.plan import solve
from optimizer.sensitivity import sensitivity
from optimizer.solve import SolverOptions
from optimizer.sweep import SweepParam, sweep

__all__ = ["SolverOptions", "SweepParam", "compare", "explain", "explain_intervention",
           "load_scenario", "sensitivity", "solve", "sweep"]
