"""Analyses over many solves of one model: red-line sensitivity, marginal values, sweeps,
comparison and the audit."""
