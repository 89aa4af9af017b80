"""Bad input: every problem is an InputError with a located message, and the CLI turns it
into exit status 1 with the message and no traceback (SPEC sections 2 and 5).

Each case writes a small scenario (or a broken file) to tmp_path, checks the problems that
`pbo.models.io.loading.load_scenario` reports, then runs `pbo validate` and `pbo solve` on the same
file through typer's CliRunner.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import InputError
from pbo.models.io.loading import load_scenario

Data = dict[str, Any]

BASE: Data = {
    "name": "bad input",
    "start_year": 2020,
    "years": 2,
    "discount_rate": 0.0,
    "partners": [
        {"id": "council", "poolable_budget": 1000},
        {"id": "police", "poolable_budget": 500},
    ],
    "interventions": [
        {"id": "troubled_families", "theme": "families", "max_units": 10, "unit_cost": 10,
         "benefits": {"council": 20, "police": 5}},
        {"id": "hub", "max_units": 1, "unit_cost": 100, "benefits": {"council": 150}},
    ],
    "targets": [
        {"id": "council_savings", "partner": "council", "measure": "net_cashable_savings",
         "min": 0},
    ],
    "red_lines": [
        {"id": "police_cap", "rule": "max_share", "partner": "police", "share": 0.5},
    ],
}

runner = CliRunner()


def write_yaml(path: Path, data: Data) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def changed(change: Callable[[Data], None]) -> Data:
    data = copy.deepcopy(BASE)
    change(data)
    return data


def setter(*path: Any, value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


PLACE = re.compile(r" \((line \d+|as changed by --set or --scenario)\)$")
"""Where a problem sits, appended to YAML problems (checked in test_yaml_problems_name_lines)."""


def problems_of(path: Path, overrides: list[tuple[str, Any]] | None = None,
                places: bool = False) -> list[str]:
    """The problems load_scenario reports (without where they sit, unless `places`)."""
    with pytest.raises(InputError) as caught:
        load_scenario(path, overrides or [])
    return caught.value.problems if places else [PLACE.sub("", p) for p in
                                                  caught.value.problems]


def assert_cli_rejects(args: list[str], *messages: str, code: int = 1) -> None:
    """`pbo ARGS` exits `code` (1: bad input; 2: a malformed command line), prints each
    message, and shows no traceback."""
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for message in messages:
        assert message in result.output


def assert_rejected_everywhere(path: Path, *messages: str) -> None:
    """load_scenario reports exactly these problems; validate and solve exit 1 with them."""
    assert problems_of(path) == list(messages)
    assert_cli_rejects(["validate", str(path)], *messages)
    assert_cli_rejects(["solve", str(path)], *messages)


def test_the_base_scenario_is_valid(tmp_path: Path) -> None:
    """The cases below each break one thing in BASE, which is itself accepted."""
    path = write_yaml(tmp_path / "ok.yaml", BASE)
    assert len(load_scenario(path).interventions) == 2
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ scenario content
CONTENT_CASES = [
    pytest.param(
        setter("interventions", 0, "benefits", value={"council": 20, "polise": 5}),
        ["interventions[troubled_families].benefits: unknown partner 'polise' — did you mean "
         "'police'?"],
        id="unknown-partner-in-benefits"),
    pytest.param(
        setter("interventions", 1, "funders", value=["councel"]),
        ["interventions[hub].funders: unknown partner 'councel' — did you mean 'council'?"],
        id="unknown-funder"),
    pytest.param(
        setter("interventions", 1, "requires", value=["troubled_family"]),
        ["interventions[hub].requires: unknown intervention 'troubled_family' — did you mean "
         "'troubled_families'?"],
        id="unknown-required-intervention"),
    pytest.param(
        setter("red_lines", 0, "partner", value="polce"),
        ["red_lines[police_cap].partner: unknown partner 'polce' — did you mean 'police'?"],
        id="unknown-partner-in-red-line"),
    pytest.param(
        setter("targets", 0, "partner", value="counsil"),
        ["targets[council_savings].partner: unknown partner 'counsil' — did you mean "
         "'council'?"],
        id="unknown-partner-in-target"),
    pytest.param(
        setter("partners", 0, "poolable_budget", value=-5),
        ["partners[council].poolable_budget: must be >= 0, not -5"],
        id="negative-budget"),
    pytest.param(
        setter("interventions", 0, "unit_cost", value=[10, -1]),
        ["interventions[troubled_families].unit_cost: entry 2: must be >= 0, not -1"],
        id="negative-cost-in-profile"),
    pytest.param(
        setter("interventions", 0, "unit_cost", value=[-5, -100]),
        ["interventions[troubled_families].unit_cost: entry 1: must be >= 0, not -5; entry 2: "
         "must be >= 0, not -100"],
        id="every-bad-entry-of-a-profile"),
    pytest.param(
        setter("partners", 0, "poolable_budget", value={2020: "lots", 2021: -1}),
        ["partners[council].poolable_budget: year 2020: must be a number, not 'lots'; year "
         "2021: must be >= 0, not -1"],
        id="every-bad-year-of-a-profile"),
    pytest.param(
        setter("interventions", 0, "funders", value=[]),
        ["interventions[troubled_families].funders: empty, so no partner can pay its costs "
         "(leave funders out to let every partner pay)"],
        id="no-funders-for-a-cost"),
    pytest.param(
        setter("interventions", 0, "deadweight", value=1.5),
        ["interventions[troubled_families].deadweight: must be <= 1, not 1.5"],
        id="share-above-one"),
    pytest.param(
        setter("red_lines", 0, "share", value=-0.1),
        ["red_lines[police_cap].share: must be >= 0, not -0.1"],
        id="share-below-zero"),
    pytest.param(
        setter("interventions", 0, "cashable", value={"council": 2}),
        ["interventions[troubled_families].cashable: partner 'council': must be <= 1, not 2"],
        id="cashable-share-by-partner"),
    pytest.param(
        lambda d: d["partners"].append({"id": "council", "poolable_budget": 1}),
        ["partners[council]: duplicate id 'council'"],
        id="duplicate-partner-id"),
    pytest.param(
        lambda d: d["interventions"].append({"id": "hub", "max_units": 2}),
        ["interventions[hub]: duplicate id 'hub'"],
        id="duplicate-intervention-id"),
    pytest.param(
        setter("interventions", 0, "min_units", value=20),
        ["interventions[troubled_families]: min_units 20 is above max_units 10"],
        id="min-units-above-max"),
    pytest.param(
        setter("targets", 0, "max", value=-5),
        ["targets[council_savings]: min 0 is above max -5"],
        id="target-min-above-max"),
    pytest.param(
        setter("interventions", 0, "unit_cost", value=[10, 10, 10]),
        ["interventions[troubled_families].unit_cost: the profile has 3 entries but the "
         "horizon has 2 years (2020..2021)"],
        id="profile-length"),
    pytest.param(
        setter("partners", 1, "poolable_budget", value={2020: 5, 2030: 5}),
        ["partners[police].poolable_budget: year 2030 is outside the horizon 2020..2021"],
        id="profile-year-outside-horizon"),
    pytest.param(  # no year at all: said once, by its field, not again as outside the horizon
        setter("targets", 0, "period", value=1800),
        ["targets[council_savings].period: must be a year from 1900 to 2200, not 1800"],
        id="target-year-not-a-year"),
    pytest.param(
        lambda d: d["red_lines"].append({"id": "cap", "rule": "spend_cap", "amount": 5,
                                         "year": 1800}),
        ["red_lines[cap].year: must be a year from 1900 to 2200, not 1800"],
        id="red-line-year-not-a-year"),
    pytest.param(
        setter("red_lines", 0, "rule", value="max_shares"),
        ["red_lines[police_cap]: unknown rule 'max_shares' — did you mean 'max_share'? "
         "(rules: no_pooling, funding_window, ring_fence, no_funding, max_share, "
         "no_worse_off, exclude_intervention, must_fund, spend_cap)"],
        id="unknown-red-line-rule"),
    pytest.param(
        setter("interventions", 0, "unit_costs", value=5),
        ["interventions[troubled_families].unit_costs: unknown field — did you mean "
         "'unit_cost'?"],
        id="unknown-field"),
    pytest.param(
        setter("partners", 0, "budget", value=5),
        ["partners[council].budget: unknown field"],
        id="unknown-field-nothing-close"),
]


@pytest.mark.parametrize(("change", "messages"), CONTENT_CASES)
def test_bad_content_is_located(tmp_path: Path, change: Callable[[Data], None],
                                messages: list[str]) -> None:
    path = write_yaml(tmp_path / "scenario.yaml", changed(change))
    assert_rejected_everywhere(path, *messages)


def test_nan_in_yaml_is_refused(tmp_path: Path) -> None:
    """YAML's .nan parses as a float; every number must be finite."""
    path = write_yaml(tmp_path / "scenario.yaml", BASE)
    text = path.read_text(encoding="utf-8").replace("unit_cost: 100", "unit_cost: .nan")
    assert ".nan" in text
    path.write_text(text, encoding="utf-8")
    assert_rejected_everywhere(path, "interventions[hub].unit_cost: must be a finite number, "
                                     "not nan")


def test_infinity_in_json_is_refused(tmp_path: Path) -> None:
    """Python's json reads Infinity; it is refused like NaN."""
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(BASE).replace('"poolable_budget": 500', '"poolable_budget": '
                                             'Infinity'), encoding="utf-8")
    assert_rejected_everywhere(path, "partners[police].poolable_budget: must be a finite "
                                     "number, not inf")


def test_several_problems_are_reported_at_once(tmp_path: Path) -> None:
    """Type problems and reference problems in one file come back together."""
    def break_three(d: Data) -> None:
        d["partners"][0]["poolable_budget"] = -5
        d["interventions"][0]["unit_costs"] = 5
        d["interventions"][1]["funders"] = ["polic"]

    path = write_yaml(tmp_path / "scenario.yaml", changed(break_three))
    messages = [
        "partners[council].poolable_budget: must be >= 0, not -5",
        "interventions[troubled_families].unit_costs: unknown field — did you mean "
        "'unit_cost'?",
        "interventions[hub].funders: unknown partner 'polic' — did you mean 'police'?",
    ]
    assert sorted(problems_of(path)) == sorted(messages)
    assert_cli_rejects(["validate", str(path)], "3 problems", *messages)
    assert_cli_rejects(["solve", str(path)], "3 problems", *messages)


def test_validate_checks_every_named_what_if_and_names_it(tmp_path: Path) -> None:
    """`pbo validate` said ok of a file whose named scenarios were broken, and `--scenario`
    said a what-if's problem without the what-if. Now validate applies each what-if on its
    own to the file and lists every problem with the what-if it is in (exit 1); solving
    with a broken one names it; a file whose what-ifs are all sound is still ok."""
    data = changed(lambda d: d.update(scenarios={
        "typo": {"partners.polic.poolable_budget": 5},
        "negative": {"partners.council.poolable_budget": -1},
        "fine": {"partners.police.poolable_budget": 400}}))
    path = write_yaml(tmp_path / "scenario.yaml", data)
    assert_cli_rejects(["validate", str(path)], "2 problems",
                       "scenarios.typo: partners.polic: no item with id 'polic'",
                       "scenarios.negative: partners[council].poolable_budget: must be >= 0, "
                       "not -1")
    assert_cli_rejects(["solve", str(path), "--scenario", "fine,typo"],
                       "scenarios.typo: partners.polic: no item with id 'polic'")
    del data["scenarios"]["typo"], data["scenarios"]["negative"]
    fine = runner.invoke(app, ["validate", str(write_yaml(path, data))])
    assert fine.exit_code == 0, fine.output
    assert "ok:" in fine.output


def test_a_what_if_that_is_not_a_mapping_does_not_hide_the_others(tmp_path: Path) -> None:
    """`bad: 5` failed the file's validation, and validate said only that: the typo in the
    what-if beside it went unsaid until the meeting asked for it. Both are said now; with a
    problem outside `scenarios:` too, the file's problems are said alone, as before."""
    data = changed(lambda d: d.update(scenarios={
        "bad": 5, "typo": {"partners.polic.poolable_budget": 5},
        "fine": {"partners.police.poolable_budget": 400}}))
    path = write_yaml(tmp_path / "scenario.yaml", data)
    assert_cli_rejects(["validate", str(path)], "2 problems",
                       "scenarios.bad: Input should be a valid dictionary (line ",
                       "scenarios.typo: partners.polic: no item with id 'polic'")
    data["partners"][0]["poolable_budget"] = -5
    assert_cli_rejects(["validate", str(write_yaml(path, data))], "2 problems",
                       "scenarios.bad: Input should be a valid dictionary",
                       "partners[council].poolable_budget: must be >= 0, not -5")


def test_a_change_that_cannot_be_made_hides_no_other_problem(tmp_path: Path) -> None:
    """`--scenario typo` (or `--set`) naming a partner that is not there was said alone, and
    the file's negative budget only on the next run; both are said at once now."""
    data = changed(lambda d: d.update(scenarios={"typo": {"partners.polic.poolable_budget": 5}}))
    data["partners"][0]["poolable_budget"] = -5
    path = write_yaml(tmp_path / "scenario.yaml", data)
    budget = "partners[council].poolable_budget: must be >= 0, not -5"
    assert_cli_rejects(["solve", str(path), "--scenario", "typo"], "2 problems",
                       "scenarios.typo: partners.polic: no item with id 'polic'", budget)
    assert_cli_rejects(["solve", str(path), "--set", "partners.polic.poolable_budget=5"],
                       "2 problems", "partners.polic: no item with id 'polic'", budget)


# ------------------------------------------------------------------ unreadable files
def test_unparseable_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nstart_year: [\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:3:1: not valid YAML")
    assert_cli_rejects(["validate", str(path)], "not valid YAML")
    assert_cli_rejects(["solve", str(path)], "not valid YAML")


def test_unsafe_yaml_tag_is_not_constructed(tmp_path: Path) -> None:
    """The safe loader refuses a !!python/object tag instead of running it."""
    marker = tmp_path / "ran"
    path = tmp_path / "unsafe.yaml"
    path.write_text(f"!!python/object/apply:os.system ['touch {marker}']\n", encoding="utf-8")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:1:1: not valid YAML")
    assert "python/object" in problem
    assert "no tags or objects" in problem
    assert_cli_rejects(["validate", str(path)], "no tags or objects")
    assert_cli_rejects(["solve", str(path)], "no tags or objects")
    assert not marker.exists()


def test_python_object_tag_in_a_field(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "unsafe.yaml", BASE)
    text = path.read_text(encoding="utf-8").replace("name: bad input",
                                                    "name: !!python/object:os.system {}")
    path.write_text(text, encoding="utf-8")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:1:7: not valid YAML")
    assert_cli_rejects(["validate", str(path)], "python/object")


def test_json_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text('{"name": "x",\n "years": 2,}\n', encoding="utf-8")
    assert_rejected_everywhere(
        path, f"{path}:2:13: not valid JSON (Expecting property name enclosed in double quotes)")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert_rejected_everywhere(path, f"{path}: no such file")


def test_folder(tmp_path: Path) -> None:
    assert_rejected_everywhere(tmp_path, f"{tmp_path}: is a folder, not a scenario file")


def test_file_that_is_a_list(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- council\n- police\n", encoding="utf-8")
    assert_rejected_everywhere(path, f"{path}: a scenario is a mapping of fields (name, "
                                     "partners, interventions…), not a list")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    [problem] = problems_of(path)
    assert problem == f"{path}: the file is empty"
    assert_cli_rejects(["validate", str(path)], "the file is empty")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "scenario.txt"
    path.write_text("name: x\n", encoding="utf-8")
    assert_rejected_everywhere(path, f"{path}: unknown scenario format '.txt' (expected "
                                     ".yaml, .yml, .json or .xlsx)")


# ------------------------------------------------------------------ --set
SET_CASES = [
    pytest.param("interventions.troubled_familys.unit_cost=5",
                 "interventions.troubled_familys: no item with id 'troubled_familys' — did you "
                 "mean 'troubled_families'?", id="unknown-id"),
    pytest.param("intervention.hub.unit_cost=5",
                 "intervention.hub.unit_cost: unknown field 'intervention' — did you mean "
                 "'interventions'?", id="unknown-top-level-field"),
    pytest.param("interventions.hub.unit_cost=-5",
                 "interventions[hub].unit_cost: must be >= 0, not -5", id="negative-value"),
    pytest.param("interventions.hub.deadweight=2",
                 "interventions[hub].deadweight: must be <= 1, not 2", id="share-above-one"),
    pytest.param("interventions.hub.unit_cost=lots",
                 "interventions[hub].unit_cost: must be a number, not 'lots'", id="not-a-number"),
    pytest.param("interventions.hub.unit_cost=[1, 2, 3]",
                 "interventions[hub].unit_cost: the profile has 3 entries but the horizon has "
                 "2 years (2020..2021)", id="wrong-profile-length"),
    pytest.param("interventions.hub.unit_cots=5",
                 "interventions[hub].unit_cots: unknown field — did you mean 'unit_cost'?",
                 id="unknown-field"),
]


@pytest.mark.parametrize(("assignment", "message"), SET_CASES)
def test_bad_set_is_located(tmp_path: Path, assignment: str, message: str) -> None:
    from pbo.models.overrides import parse_assignment

    path = write_yaml(tmp_path / "scenario.yaml", BASE)
    assert problems_of(path, [parse_assignment(assignment)]) == [message]
    assert_cli_rejects(["solve", str(path), "--set", assignment], message)


def test_set_without_equals(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "scenario.yaml", BASE)
    assert_cli_rejects(["solve", str(path), "--set", "interventions.hub.unit_cost"],
                       "expected PATH=VALUE", code=2)


def test_set_the_same_path_twice(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "scenario.yaml", BASE)
    assert_cli_rejects(["solve", str(path), "--set", "interventions.hub.unit_cost=1",
                        "--set", "interventions.hub.unit_cost=2"],
                       "--set interventions.hub.unit_cost: given twice; say it once", code=2)


def test_bad_set_leaves_the_file_alone(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "scenario.yaml", BASE)
    before = path.read_bytes()
    assert_cli_rejects(["solve", str(path), "--set", "interventions.hub.unit_cost=-1"],
                       "must be >= 0")
    assert path.read_bytes() == before


def test_yaml_problems_name_lines(tmp_path: Path) -> None:
    """Each YAML problem ends with the line it is about: an unknown partner at its own key,
    a bad number at its field, a duplicate id at the second item; a value changed by --set
    says so instead (the file's line would mislead)."""
    data = changed(setter("interventions", 0, "benefits", value={"council": 20, "polise": 5}))
    data["interventions"][1]["unit_cost"] = -1
    data["partners"].append({"id": "council", "poolable_budget": 1})
    path = write_yaml(tmp_path / "scenario.yaml", data)
    lines = path.read_text(encoding="utf-8").splitlines()

    def line_of(text: str, nth: int = 0) -> int:
        return [k for k, ln in enumerate(lines, 1) if text in ln][nth]

    got = problems_of(path, places=True)
    assert "partners[council]: duplicate id 'council' (line " \
        f"{line_of('- id: council', 1)})" in got
    assert "interventions[hub].unit_cost: must be >= 0, not -1 " \
        f"(line {line_of('unit_cost: -1')})" in got
    assert [p for p in got if "unknown partner 'polise'" in p][0].endswith(
        f"(line {line_of('polise:')})")
    got = problems_of(path, [("interventions.hub.unit_cost", -2)], places=True)
    assert "interventions[hub].unit_cost: must be >= 0, not -2 (as changed by --set or " \
        "--scenario)" in got


@pytest.mark.parametrize("command", [
    ["solve"], ["sensitivity"], ["shares"], ["risk", "--samples", "2"],
    ["sweep", "--set", "targets.council_savings.min=0:1:2"],
])
def test_every_command_that_reads_a_scenario_names_the_line(tmp_path: Path,
                                                            command: list[str]) -> None:
    """A misspelt partner at one line: each command that reads a scenario exits 1 with the
    located problem and its line (the sweep once read the file without its lines)."""
    data = changed(setter("interventions", 0, "benefits", value={"council": 20, "polise": 5}))
    path = write_yaml(tmp_path / "scenario.yaml", data)
    line = [k for k, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if "polise:" in ln][0]
    [name, *options] = command
    assert_cli_rejects([name, str(path), *options], "unknown partner 'polise'",
                       f"(line {line})")


def test_yaml_lines_in_odd_files(tmp_path: Path) -> None:
    """Review cases: a recursive alias is reported, not a RecursionError; a numeric id is
    placed at its own item; a duplicate id's other problems stay with the first item."""
    base = yaml.safe_dump({k: v for k, v in BASE.items() if k != "partners"}, sort_keys=False)
    recursive = tmp_path / "recursive.yaml"
    recursive.write_text(yaml.safe_dump({"partners": BASE["partners"]}) + base
                         + "extra: &x [*x]\n", encoding="utf-8")
    [problem] = problems_of(recursive, places=True)
    assert problem.endswith(":12: recursive alias '*x': a value cannot contain itself")
    numeric = tmp_path / "numeric.yaml"
    numeric.write_text("partners:\n  - name: no id\n    poolable_budget: 5\n"
                       "  - id: 0\n    poolable_budget: 5\n" + base, encoding="utf-8")
    got = problems_of(numeric, places=True)
    assert "partners[0].id: required field is missing (line 2)" in got
    assert "partners[1].id: must be text, not 0 (line 4)" in got
    twice = tmp_path / "twice.yaml"
    twice.write_text("partners:\n  - id: council\n    poolable_budget: [1, 2, 3]\n"
                     "  - id: council\n    poolable_budget: 1\n  - id: police\n"
                     "    poolable_budget: 1\n" + base, encoding="utf-8")
    got = problems_of(twice, places=True)
    assert "partners[council]: duplicate id 'council' (line 4)" in got
    assert any(p.startswith("partners[council].poolable_budget: the profile has 3 entries")
               and p.endswith("(line 3)") for p in got)


def test_a_key_added_by_set_is_not_blamed_on_the_file(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "scenario.yaml", BASE)
    got = problems_of(path, [("interventions.hub.benefits.nobody", 5)], places=True)
    assert got == ["interventions[hub].benefits: unknown partner 'nobody' (as changed by "
                   "--set or --scenario)"]
