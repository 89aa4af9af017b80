"""Validated, immutable scenario and result models."""

from models.errors import InfeasibleError, InputError, PboError, SolverError
from models.loading import load_scenario, read_data, scenario_from_data
from models.scenario import Intervention, Partner, Scenario, Target

__all__ = [
    "InfeasibleError", "InputError", "Intervention", "Partner", "PboError", "Scenario",
    "SolverError", "Target", "load_scenario", "read_data", "scenario_from_data",
]
