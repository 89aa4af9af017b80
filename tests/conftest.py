"""Shared fixtures: paths and a tiny-scenario builder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.loading import scenario_from_data

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def make_scenario(**fields: Any):
    """A validated scenario from keyword fields, with a 1-year horizon starting 2020 and no
    discounting unless given."""
    data: dict[str, Any] = {"name": "test", "start_year": 2020, "years": 1, "discount_rate": 0.0}
    data.update(fields)
    return scenario_from_data(data)


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS
