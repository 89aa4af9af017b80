"""Shared fixtures: paths, tiny-scenario builders and plan assertions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pbo.models.io.loading import scenario_from_data

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"

Data = dict[str, Any]
Funding = dict[tuple[str, str, int], float]
"""(partner, intervention, year) -> amount paid."""


def make_scenario(**fields: Any):
    """A validated scenario from keyword fields, with a 1-year horizon starting 2020 and no
    discounting unless given."""
    data: dict[str, Any] = {"name": "test", "start_year": 2020, "years": 1, "discount_rate": 0.0}
    data.update(fields)
    return scenario_from_data(data)


def scenario_data(*, partners: list[Data], interventions: list[Data], years: int = 1,
                  discount_rate: float = 0.0, red_lines: list[Data] | None = None,
                  targets: list[Data] | None = None, objective: str = "net_fiscal_value",
                  **fields: Any) -> Data:
    """Scenario data starting in 2020 (no discounting unless given); `fields` adds any other
    top-level field, such as cost_sharing."""
    return {"name": "t", "start_year": 2020, "years": years, "discount_rate": discount_rate,
            "objective": objective, "partners": partners, "interventions": interventions,
            "red_lines": red_lines or [], "targets": targets or [], **fields}


def partner(pid: str, budget: Any, **fields: Any) -> Data:
    return {"id": pid, "poolable_budget": budget, **fields}


def iv(iid: str, **fields: Any) -> Data:
    return {"id": iid, **fields}


def funding_of(result) -> Funding:
    return {(r.partner, r.intervention, r.year): r.amount for r in result.funding}


def units_of(result) -> dict[str, float]:
    return {r.id: r.units for r in result.interventions}


def assert_reconciles(result) -> None:
    """Every figure adds up and follows from the plan's own decisions (the check every solve
    and `pbo audit` make: rows hold, figures recompute, funding to cost, partners to
    partnership, NPVs to years), against a fresh model of the scenario the result records."""
    from pbo.optimizer.formulation.build import build_model
    from pbo.optimizer.solving.highs import HighsSession
    from pbo.optimizer.solving.results import reconcile

    assert result.meta.scenario is not None
    sc = scenario_from_data(result.meta.scenario)
    built = build_model(sc, result.objective_name)
    assert reconcile(result, HighsSession(built)) == []


def assert_plan(result, objective: float, units: dict[str, float], funding: Funding) -> None:
    """The plan is optimal with this objective, these units (every intervention) and exactly
    these funding rows, and its figures reconcile."""
    assert result.status == "optimal"
    assert result.objective == pytest.approx(objective)
    assert units_of(result) == pytest.approx(units)
    got = funding_of(result)
    assert set(got) == set(funding)
    assert got == pytest.approx(funding)
    assert_reconciles(result)


@pytest.fixture
def scenarios_dir() -> Path:
    return SCENARIOS


def audit_file(path: Path, payload: dict[str, Any] | None = None) -> tuple[int, str]:
    """`pbo audit PATH` (after writing `payload` there, if given): its exit code and its
    output on one line, table rules dropped, never a traceback."""
    import json

    from typer.testing import CliRunner

    from pbo.cli import app

    if payload is not None:
        path.write_text(json.dumps(payload))
    res = CliRunner().invoke(app, ["audit", str(path)], env={"COLUMNS": "200"})
    assert "Traceback" not in res.output
    return res.exit_code, " ".join(res.output.replace("│", " ").split())
