"""Validated, immutable scenario and result models (`io/` holds their files)."""
