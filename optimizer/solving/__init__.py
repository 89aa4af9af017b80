"""Solving: the HiGHS session, the plan (objective, fairness stage, binding checks) and results."""
