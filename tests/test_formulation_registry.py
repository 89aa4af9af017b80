"""The formulation document covers the model (STYLE: a registry test, after Calliope's
`test_all_math_registered`): every constraint family and red-line rule has a section in
docs/FORMULATION.md headed by its function name, every such heading names a real function,
and every Pyomo component the model builds is named in the document."""

from __future__ import annotations

import re
from pathlib import Path

import pyomo.environ as pyo
import pytest

from pbo.models.io.loading import scenario_from_data
from pbo.models.scenario import RED_LINE_RULES
from pbo.optimizer.formulation import build
from pbo.optimizer.formulation.constraints.red_lines import RED_LINE_FAMILIES
from pbo.optimizer.solving import plan

DOC = Path(__file__).resolve().parent.parent / "docs" / "FORMULATION.md"
HEADING = re.compile(r"^#{2,4}\s+`([A-Za-z_][A-Za-z0-9_]*)`\s*$", re.MULTILINE)

DOCUMENTED_FUNCTIONS = {
    *(f.__name__ for f in build.FAMILIES),
    *(f.__name__ for f in RED_LINE_FAMILIES.values()),
    build.add_objective.__name__,
    plan.fairness_stage.__name__,
    plan.check_binding.__name__,
}


def headings() -> set[str]:
    return set(HEADING.findall(DOC.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(DOCUMENTED_FUNCTIONS))
def test_function_has_a_section(name: str) -> None:
    assert name in headings(), f"docs/FORMULATION.md has no '## `{name}`' section"


def test_every_section_names_a_real_function() -> None:
    """A renamed or removed function leaves no stale section behind."""
    assert headings() - DOCUMENTED_FUNCTIONS == set()


def test_every_red_line_rule_has_a_family() -> None:
    assert set(RED_LINE_FAMILIES) == set(RED_LINE_RULES)
    for rule, family in RED_LINE_FAMILIES.items():
        assert family.__name__ == f"red_line_{rule}"


def _every_family_scenario():
    """Two partners, three interventions and one of each kind of row: a minimum scale,
    requires, excludes, fixed cost sharing, a target and a red line."""
    return scenario_from_data({
        "name": "registry", "start_year": 2020, "years": 2,
        "cost_sharing": {"rule": "fixed", "shares": {"a": {"p": 1.0}, "b": {"p": 0.5, "q": 0.5},
                                                     "c": {"q": 1.0}}},
        "partners": [{"id": "p", "poolable_budget": 100}, {"id": "q", "poolable_budget": 100}],
        "interventions": [
            {"id": "a", "max_units": 5, "min_units": 1, "unit_cost": 1, "benefits": {"p": 2}},
            {"id": "b", "max_units": 5, "unit_cost": 1, "requires": ["a"], "excludes": ["c"]},
            {"id": "c", "max_units": 5, "fixed_cost": 3},
        ],
        "targets": [{"id": "t", "partner": "p", "measure": "net_cashable_savings", "min": 0}],
        "red_lines": [{"id": "r", "rule": "max_share", "partner": "q", "share": 0.5}],
    })


def _names(sc, formulation: str) -> set[str]:
    built = build.build_model(sc, formulation=formulation)
    return {c.local_name for c in built.m.component_objects(
        (pyo.Var, pyo.Constraint, pyo.Objective), descend_into=True)}


def test_every_component_is_named_in_the_document() -> None:
    """Both formulations: the full one (fund per intervention, cost_sharing rows) and the
    reduced one (class_fund per eligibility class under optimise; none under fixed)."""
    fixed = _every_family_scenario()
    optimise = fixed.model_copy(update={"cost_sharing": type(fixed.cost_sharing)()})
    full = _names(fixed, "full")
    assert {"select", "units", "fund", "zero", "unit_min", "unit_max", "cost_met",
            "cost_sharing", "budget_limit", "requires", "excludes", "target", "red_line",
            "objective"} <= full
    reduced = _names(optimise, "reduced")
    assert {"class_fund", "class_cost_met"} <= reduced
    assert "fund" not in reduced
    assert not {"fund", "class_fund", "cost_sharing"} & _names(fixed, "reduced")
    names = full | reduced
    text = DOC.read_text(encoding="utf-8")
    missing = {n for n in names if f"`{n}`" not in text and f"`{n}[" not in text}
    assert missing == set(), f"docs/FORMULATION.md does not name {sorted(missing)}"
