"""Hostile and careless scenario text (issue 10): YAML 1.2 numbers, duplicate keys, tags,
located messages in YAML and JSON, the warnings channel, and terminal safety.

Each case gives the exit code and the message `pbo validate` (and `pbo solve` where it
matters) must print; none may show a traceback.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.errors import InputError
from pbo.models.io.json_reader import load_json
from pbo.models.io.loading import load_scenario, read_data
from pbo.models.io.yaml12 import ReadProblems, load_yaml, resolve
from pbo.models.overrides import parse_value
from pbo.models.warnings import scenario_warnings
from pbo.optimizer.present.terminal import printable

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

HEAD = """name: hostile
start_year: 2020
years: 2
discount_rate: 0
partners:
  - {id: council, poolable_budget: 1000}
  - {id: police, poolable_budget: 500}
interventions:
  - {id: hub, theme: health, max_units: 10, unit_cost: 10, benefits: {council: 30}}
"""
"""A valid scenario: hub pays 30 - 10 = 20 a unit a year to the council, 10 units, so the
optimum funds all 10 (net fiscal value 2 years x 10 x 20 = 400, undiscounted)."""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    if result.exit_code not in (0, 4):
        assert isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def assert_refused(path: Path, *messages: str, commands: tuple[str, ...] = ("validate",
                                                                            "solve")) -> None:
    for command in commands:
        code, output = cli(command, str(path))
        assert code == 1, output
        for message in messages:
            assert message in output, output


# ------------------------------------------------------------------ YAML 1.2 core schema
@pytest.mark.parametrize(("text", "value"), [
    ("1e7", 1e7), ("2e6", 2e6), ("1.5e6", 1.5e6), ("-3E-2", -0.03), ("3", 3), ("-7", -7),
    ("0123", 123), ("0x10", 16), ("0o17", 15), (".5", 0.5), ("1.", 1.0), ("+.inf", math.inf),
    ("-.Inf", -math.inf), ("true", True), ("FALSE", False), ("~", None), ("null", None),
    ("", None), ("12:30", "12:30"), ("yes", "yes"), ("no", "no"), ("on", "on"),
    ("off", "off"), ("y", "y"), ("1_000", "1_000"), ("2020-01-01", "2020-01-01"),
    ("0b101", "0b101"), ("nan", "nan"), ("inf", "inf"), ("0x", "0x"), ("1e", "1e"),
    ("TrUe", "TrUe"), ("Yes", "Yes"), ("police", "police"),
])
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text: str, value: Any) -> None:
    """The same rule in a file, as a mapping value, and in --set (and a workbook cell)."""
    for got in (resolve(text), load_yaml(f"k: {text}")["k"], parse_value(text)):
        assert got == value
        assert type(got) is type(value)


def test_nan_is_only_dot_nan() -> None:
    assert math.isnan(resolve(".nan"))
    assert math.isnan(resolve(".NaN"))


def test_quoted_numbers_stay_text() -> None:
    assert load_yaml("a: '1e7'\nb: \"12:30\"\nc: !!str 5\n") == {"a": "1e7", "b": "12:30",
                                                                   "c": "5"}


def test_readme_example_reads_with_its_numbers() -> None:
    """The README's scenario example (police's budget [2e6, 2e6, 1.5e6, ...]) and its named
    scenario `targets.council_savings.min: 3e6` parse as numbers."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)
                 if "partners:" in b)
    block += "scenarios: {stretch: {targets.council_savings.min: 3e6}}\n"
    data = load_yaml(block)
    police = next(p for p in data["partners"] if p["id"] == "police")
    assert police["poolable_budget"] == [2e6, 2e6, 1.5e6, 1.5e6, 1.5e6]
    assert data["scenarios"]["stretch"]["targets.council_savings.min"] == 3e6


def test_scientific_numbers_in_a_file_and_in_set(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("poolable_budget: 1000", "poolable_budget: 1e7"))
    sc = load_scenario(path, [("partners.police.poolable_budget", parse_value("2.5e6"))])
    assert sc.partner["council"].poolable_budget == (1e7, 1e7)
    assert sc.partner["police"].poolable_budget == (2.5e6, 2.5e6)
    code, _ = cli("validate", str(path))
    assert code == 0


@pytest.mark.parametrize(("value", "message"), [
    ("12:30", "partners[council].poolable_budget: must be a number, not '12:30'"),
    ("1_000", "partners[council].poolable_budget: must be a number, not '1_000'"),
    ("yes", "partners[council].poolable_budget: must be a number, not 'yes'"),
])
def test_yaml_1_1_forms_are_not_numbers(tmp_path: Path, value: str, message: str) -> None:
    path = write(tmp_path, HEAD.replace("poolable_budget: 1000", f"poolable_budget: {value}"))
    assert_refused(path, message + " (line 6)")
    code, output = cli("solve", str(write(tmp_path, HEAD, "ok.yaml")), "--set",
                       f"partners.council.poolable_budget={value}")
    assert code == 1
    assert message in output


# ------------------------------------------------------------------ duplicate keys
def test_duplicate_key_in_yaml_gives_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("years: 2\n", "years: 2\nyears: 3\n"))
    assert_refused(path, f"{path}:4:1: duplicate key 'years' in one mapping (lines 3 and 4); "
                         "give it once")


def test_every_duplicate_key_is_reported_at_once(tmp_path: Path) -> None:
    text = HEAD.replace("years: 2\n", "years: 2\nyears: 3\n").replace(
        "unit_cost: 10,", "unit_cost: 10, unit_cost: 12,")
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        read_data(path)
    assert caught.value.problems == [
        f"{path}:4:1: duplicate key 'years' in one mapping (lines 3 and 4); give it once",
        f"{path}:10:60: duplicate key 'unit_cost' in one mapping (twice on line 10); give "
        "it once",
    ]
    assert_refused(path, "2 problems", "duplicate key 'unit_cost'")


def test_duplicate_key_in_a_named_scenario(tmp_path: Path) -> None:
    text = HEAD + ("scenarios:\n  lean:\n    partners.council.poolable_budget: 5\n"
                   "    partners.council.poolable_budget: 6\n")
    assert_refused(write(tmp_path, text), "duplicate key 'partners.council.poolable_budget' "
                   "in one mapping (lines 12 and 13)")


def test_duplicate_key_in_json_gives_both_lines(tmp_path: Path) -> None:
    data = load_yaml(HEAD)
    text = json.dumps(data, indent=1).replace('"years": 2,', '"years": 2,\n "years": 3,')
    path = write(tmp_path, text, "s.json")
    lines = text.splitlines()
    first = next(k for k, ln in enumerate(lines, 1) if '"years": 2' in ln)
    assert_refused(path, f"{path}:{first + 1}:2: duplicate key 'years' in one mapping "
                         f"(lines {first} and {first + 1}); give it once")


def test_duplicate_key_in_compact_json() -> None:
    """Minified JSON: both on one line, told by column."""
    with pytest.raises(ReadProblems) as caught:
        load_json('{"a":{"b":1,"b":2},"a":3}')
    assert caught.value.problems == [
        "1:13: duplicate key 'b' in one mapping (twice on line 1); give it once",
        "1:20: duplicate key 'a' in one mapping (twice on line 1); give it once"]


def test_merge_key_is_no_duplicate() -> None:
    """`<<: *defaults` fills the keys an item does not give; an explicit key wins."""
    data = load_yaml("d: &d {a: 1, b: 2}\nx: {<<: *d, b: 3}\n")
    assert data["x"] == {"a": 1, "b": 3}
    data["x"]["a"] = 9
    assert data["d"]["a"] == 1  # an alias is a copy


# ------------------------------------------------------------------ tags and odd documents
@pytest.mark.parametrize("tag", ["!!binary aGk=", "!!timestamp 2020-01-01", "!!set {a}",
                                 "!!python/name:os.system ''", "!custom 5", "!!omap []"])
def test_other_tags_are_refused(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path, HEAD.replace("name: hostile", f"name: {tag}"))
    assert_refused(path, f"{path}:1:7: not valid YAML (unknown tag",
                   "only plain YAML is read (no tags or objects)")


def test_core_tags_are_read() -> None:
    assert load_yaml("a: !!int 5\nb: !!float 5\nc: !!bool true\nd: !!null ~\n") == {
        "a": 5, "b": 5.0, "c": True, "d": None}
    with pytest.raises(ReadProblems, match=r"'x' is not a int"):
        load_yaml("a: !!int x\n")


def test_a_second_document_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "---\nname: other\n")
    assert_refused(path, f"{path}:10:1: a scenario file holds one YAML document")


def test_alias_to_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "scenarios: {a: *nowhere}\n")
    assert_refused(path, "alias '*nowhere' names no anchor")


def test_a_list_as_a_key(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "? [a, b]\n: 1\n")
    assert_refused(path, "a mapping key must be text or a number, not a list")


# ------------------------------------------------------------------ located messages
def test_json_problems_name_lines_too(tmp_path: Path) -> None:
    """JSON is YAML 1.2 flow text, so a JSON scenario's problems are placed like YAML's."""
    data = load_yaml(HEAD)
    data["interventions"][0]["benefits"] = {"polise": 5}
    text = json.dumps(data, indent=2)
    path = write(tmp_path, text, "s.json")
    line = next(k for k, ln in enumerate(text.splitlines(), 1) if "polise" in ln)
    assert_refused(path, "interventions[hub].benefits: unknown partner 'polise' — did you "
                         f"mean 'police'? (line {line})")


def test_one_error_in_a_large_file_reads_it_once(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Placing a problem reuses the lines recorded while reading: the text is parsed once."""
    from pbo.models.io import loading

    items = "".join(f"  - {{id: i{k}, max_units: 1, unit_cost: 1, benefits: {{council: 2}}}}\n"
                    for k in range(300))
    path = write(tmp_path, HEAD.replace("interventions:\n", "interventions:\n" + items)
                 .replace("benefits: {council: 30}", "benefits: {councel: 30}"))
    calls = []
    real = loading.load_yaml
    monkeypatch.setattr(loading, "load_yaml", lambda *a: calls.append(1) or real(*a))
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    assert caught.value.problems == [
        "interventions[hub].benefits: unknown partner 'councel' — did you mean 'council'? "
        "(line 309)"]
    assert len(calls) == 1


# ------------------------------------------------------------------ warnings
RING = HEAD + "red_lines:\n  - {id: rf, rule: ring_fence, partner: police, themes: [helth]}\n"


def test_ring_fence_on_a_missing_theme_warns(tmp_path: Path) -> None:
    """A ring fence naming only 'helth' leaves police nothing to fund; the council (1000 a
    year) still funds hub's 10 units x 10 = 100 a year, so the plan is the same 400."""
    path = write(tmp_path, RING)
    warning = ("red_lines[rf].themes: no intervention has theme 'helth' — did you mean "
               "'health'? (the ring fence lets police fund only the themes it lists)")
    assert scenario_warnings(load_scenario(path)) == [warning]
    code, output = cli("validate", str(path))
    assert code == 0
    assert "warning: red_lines[rf].themes: no intervention has theme 'helth'" in output
    assert output.index("warning:") < output.index("ok:")
    out = tmp_path / "plan.json"
    code, output = cli("solve", str(path), "--out", str(out))
    assert code == 0, output
    assert output.index("warning:") < output.index("optimal")
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["meta"]["warnings"] == [warning]
    assert result["objective"] == pytest.approx(400)


def test_no_did_you_mean_when_nothing_is_close(tmp_path: Path) -> None:
    path = write(tmp_path, RING.replace("[helth]", "[housing, health]"))
    assert scenario_warnings(load_scenario(path)) == [
        "red_lines[rf].themes: no intervention has theme 'housing' (the ring fence lets "
        "police fund only the themes it lists)"]


def test_no_warning_for_a_valid_ring_fence(tmp_path: Path) -> None:
    path = write(tmp_path, RING.replace("[helth]", "[health]"))
    assert scenario_warnings(load_scenario(path)) == []
    code, output = cli("validate", str(path))
    assert code == 0
    assert "warning:" not in output


def test_a_name_listed_twice_warns_and_is_read_once(tmp_path: Path) -> None:
    """`funders: [council, council, police]` was read silently (the fuzzing review): it is
    read once, so the plan is the same 400 (hub's 10 units x 20 net a year x 2 years, the
    council's 1000 a year paying the 100), and each repeat is said as a warning."""
    path = write(tmp_path, RING.replace("[helth]", "[health, health, health]").replace(
        "benefits: {council: 30}", "benefits: {council: 30}, funders: [council, council, police]"))
    assert scenario_warnings(load_scenario(path)) == [
        "interventions[hub].funders: 'council' is listed twice (read once)",
        "red_lines[rf].themes: 'health' is listed 3 times (read once)"]
    out = tmp_path / "plan.json"
    code, output = cli("solve", str(path), "--out", str(out))
    assert code == 0, output
    assert "warning: interventions[hub].funders: 'council' is listed twice" in output
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["objective"] == pytest.approx(400)
    assert [(i["id"], i["units"]) for i in result["interventions"]] == [("hub", 10)]


# ------------------------------------------------------------------ terminal safety
ESC, BEL = "\x1b", "\x07"


def test_printable_escapes_controls() -> None:
    assert printable(f"a{ESC}]0;title{BEL}b\tc\nd\x9b\u202e") == \
        "a\\x1b]0;title\\x07b\tc\nd\\x9b\\u202e"


YESC, YBEL = "\\e", "\\a"
"""ESC and BEL as YAML double-quoted escapes (a raw control character is not valid YAML)."""


def hostile(tmp_path: Path) -> Path:
    text = HEAD.replace("name: hostile", f'name: "x{YESC}]0;pwned{YBEL}{YESC}[2J"').replace(
        "{id: police,", f'{{id: police, name: "Pol{YESC}[31mice{YBEL}",').replace(
        "theme: health,", f'theme: health, name: "Hub{YESC}[1;1H", unit: "fam{YBEL}ily",')
    return write(tmp_path, text)


def test_the_hostile_names_are_read_as_written(tmp_path: Path) -> None:
    sc = load_scenario(hostile(tmp_path))
    assert sc.name == f"x{ESC}]0;pwned{BEL}{ESC}[2J"
    assert sc.partner["police"].name == f"Pol{ESC}[31mice{BEL}"


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    path = hostile(tmp_path)
    for args in (["validate", str(path)], ["solve", str(path)]):
        code, output = cli(*args)
        assert code == 0, output
        assert ESC not in output
        assert BEL not in output
    _, output = cli("solve", str(path))
    assert "\\x1b[31m" in output or "Pol\\x1b" in output
    # the headline is a rich Text, which drops BEL as it is made: it was 'x\\x1b]0;pwned\\x1b'
    assert output.startswith("x\\x1b]0;pwned\\x07\\x1b[2J: optimal")


def test_control_characters_in_error_messages_are_escaped(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD.replace("benefits: {council: 30}",
                                        f'benefits: {{"co{YESC}[2Jx": 30}}'))
    code, output = cli("validate", str(path))
    assert code == 1
    assert ESC not in output
    assert "co\\x1b[2Jx" in output
    code, output = cli("solve", str(write(tmp_path, HEAD, "ok.yaml")), "--set",
                       f"partners.po{ESC}]0;t{BEL}.poolable_budget=1")
    assert code == 1
    assert ESC not in output
    assert BEL not in output
    assert "po\\x1b]0;t\\x07" in output


# ------------------------------------------------------------------ true is not a number
@pytest.mark.parametrize(("old", "new", "message"), [
    ("years: 2", "years: true", "years: must be a whole number, not true"),
    ("start_year: 2020", "start_year: false", "start_year: must be a whole number, not false"),
    ("unit_cost: 10,", "unit_cost: 10, confidence: true,",
     "interventions[hub].confidence: must be a whole number, not true"),
])
def test_true_and_false_are_not_whole_numbers(tmp_path: Path, old: str, new: str,
                                              message: str) -> None:
    """pydantic reads true as 1 in an int field: `years: true` solved a one-year horizon (and,
    with the tutorial's three-year profiles, was said as six profile-length problems)."""
    path = write(tmp_path, HEAD.replace(old, new))
    code, output = cli("validate", str(path))
    assert code == 1, output
    assert f"1 problem:\n  - {message} (line " in output


def test_a_period_or_year_that_is_wrong_is_one_message(tmp_path: Path) -> None:
    """A target's period is 'horizon', 'each_year' or a year; a wrong one was said once for
    each type it could be ('period.literal[...]' and 'period.constrained-int'), and true was
    read as the year 1 (and said as 'year True is outside the horizon')."""
    targets = ("targets:\n  - {id: a, measure: spend, min: 1, period: PERIOD}\n"
               "red_lines:\n  - {id: w, rule: funding_window, partner: council, "
               "last_year: LAST}\n")
    for period, last, said in [
            ("false", "2021", ["targets[a].period: 'horizon', 'each_year' or a year, not false"]),
            ("banana", "true", ["targets[a].period: 'horizon', 'each_year' or a year, not "
                                "'banana'", "red_lines[w].last_year: must be a whole number, "
                                "not true"])]:
        path = write(tmp_path, HEAD + targets.replace("PERIOD", period).replace("LAST", last))
        code, output = cli("validate", str(path))
        assert code == 1, output
        found = re.findall(r"^  - (.*) \(line \d+\)$", output, flags=re.M)
        assert found == said, output
    for period in ("2021", "each_year", "'2021'"):  # still read: a year as text, as a cell is
        path = write(tmp_path, HEAD + targets.replace("PERIOD", period).replace("LAST", "2021"))
        assert cli("validate", str(path))[0] == 0
