"""Explanations: why a scenario is infeasible (conflicts, the nearest plan, unblocks) and why an
intervention is or is not funded."""
