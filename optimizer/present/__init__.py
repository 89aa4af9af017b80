"""Presentation: terminal tables, charts and the decision pack."""
