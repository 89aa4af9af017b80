"""Model building, solving and analyses.

>>> from optimizer import load_scenario, solve
>>> result = solve(load_scenario("scenarios/tutorial.yaml"))
"""

from models.loading import load_scenario
from optimizer.plan import solve
from optimizer.solve import SolverOptions

__all__ = ["SolverOptions", "load_scenario", "solve"]
