"""`pbo audit` against forgery: every kind of edit to a result is caught and named (exit 1),
and a hostile recorded input (a folder, a device, a pipe) is said in words without a hang.

The scenario (no discounting, 2020-2021): the hub costs £10 a unit in 2020 and pays back £12
a unit to the council and £6 to the police in 2021 (net £8 a unit), at most 10 units. The
council may pool £80; the police £50, but a red line caps it at 0.2 of that (£10). So 9 units
(£90 = £80 + £10): objective 9 x 8 = £72; relaxing the cap gives 10 units, £80 (binding).
The council nets 108 - 80 = £28 and the police 54 - 10 = £44, both paying back in 2021.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from pbo.cli import app
from pbo.models.results import PlanResult
from pbo.optimizer.analyses.audit import audit
from pbo.optimizer.solving.figures import KEYS, figures, plan_scale, tolerance
from tests.conftest import assert_plan, iv, partner, scenario_data

DATA = scenario_data(
    years=2,
    partners=[partner("council", 80), partner("police", 50)],
    interventions=[iv("hub", max_units=10, unit_cost=[10, 0],
                      benefits={"council": [0, 12], "police": [0, 6]},
                      outcomes={"families": 1})],
    targets=[{"id": "council_savings", "partner": "council", "measure": "net_cashable_savings",
              "min": 0},
             {"id": "families", "measure": "outcome", "outcome": "families", "min": 5}],
    red_lines=[{"id": "police_cap", "rule": "max_share", "partner": "police", "share": 0.2}])


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> tuple[Path, dict[str, Any]]:
    """The genuine result, written by `pbo solve --out`, and its payload."""
    folder = tmp_path_factory.mktemp("audit")
    scenario = folder / "scenario.json"
    scenario.write_text(json.dumps(DATA))
    out = folder / "result.json"
    res = CliRunner().invoke(app, ["solve", str(scenario), "--out", str(out)])
    assert res.exit_code == 0, res.output
    return out, json.loads(out.read_text())


def _audit(tmp_path: Path, payload: dict[str, Any]):
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(payload))
    return CliRunner().invoke(app, ["audit", str(path)], env={"COLUMNS": "200"})


def _row(payload: dict[str, Any], section: str, key: str) -> dict[str, Any]:
    names = KEYS[section]
    return next(r for r in payload[section]
                if ",".join(str(r[f]) for f in names) == key)


def set_figure(payload: dict[str, Any], name: str, value: Any) -> None:
    """Set a figure named as the audit names it: 'targets[families].achieved', 'objective'."""
    if "[" not in name:
        payload[name] = value
        return
    head, field = name.rsplit(".", 1)
    section, key = head[:-1].split("[", 1)
    _row(payload, section, key)[field] = value


def test_the_genuine_result_is_the_hand_computed_plan_and_passes(solved, tmp_path):
    out, payload = solved
    result = PlanResult.model_validate(payload)
    assert_plan(result, 72.0, {"hub": 9.0},
                {("council", "hub", 2020): 80.0, ("police", "hub", 2020): 10.0})
    assert [(p.net_cashable_savings_npv, p.payback_year) for p in result.partners] == [
        (28.0, 2021), (44.0, 2021)]
    assert [(t.achieved, t.met) for t in result.targets] == [(28.0, True), (9.0, True)]
    assert [(r.binding, r.relaxed_objective) for r in result.red_lines] == [(True, 80.0)]
    res = CliRunner().invoke(app, ["audit", str(out)])
    assert res.exit_code == 0, res.output
    assert "FAIL" not in res.output


# --- a forged manifest ---------------------------------------------------------------------

def _with_set(tmp_path: Path, solved) -> dict[str, Any]:
    """A result solved with --set (police budget £500: the cap is then £100, so 10 units,
    objective £80), its manifest then forged to look like a plain solve of the file."""
    out, genuine = solved
    scenario = Path(genuine["meta"]["input_file"])
    forged_out = tmp_path / "with_set.json"
    res = CliRunner().invoke(app, ["solve", str(scenario), "--out", str(forged_out),
                                   "--set", "partners.police.poolable_budget=500"])
    assert res.exit_code == 0, res.output
    payload = json.loads(forged_out.read_text())
    assert payload["objective"] == pytest.approx(80.0)
    return payload


def test_hash_restored_and_overrides_cleared_is_caught(solved, tmp_path):
    payload = _with_set(tmp_path, solved)
    payload["meta"]["input_sha256"] = solved[1]["meta"]["input_sha256"]
    payload["meta"]["overrides"] = []
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert "scenario is the input file with the recorded changes" in res.output
    assert "partners[police].poolable_budget: the file with the recorded changes gives " \
        "[50.0, 50.0], the result records [500.0, 500.0]" in res.output


def test_overrides_cleared_alone_is_caught(solved, tmp_path):
    payload = _with_set(tmp_path, solved)
    payload["meta"]["overrides"] = []
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert "partners[police].poolable_budget: the file with the recorded changes" in res.output


def test_a_recorded_scenario_edited_where_no_figure_shows_is_caught(solved, tmp_path):
    """A red line's description changes no figure: only the comparison with the input file
    can see it, and it does."""
    payload = copy.deepcopy(solved[1])
    payload["meta"]["scenario"]["red_lines"][0]["description"] = "agreed by the minister"
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1
    assert "red_lines[police_cap].description: the file with the recorded changes gives '', " \
        "the result records 'agreed by the minister'" in res.output
    assert "re-solved" not in res.output.split("What differs:")[1]  # every figure follows


def test_an_input_file_changed_after_the_solve_is_caught(solved, tmp_path):
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(DATA))
    out = tmp_path / "r.json"
    assert CliRunner().invoke(app, ["solve", str(scenario), "--out", str(out)]).exit_code == 0
    scenario.write_text(json.dumps({**DATA, "name": "changed"}))
    res = CliRunner().invoke(app, ["audit", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 1
    assert "meta.input_sha256: recorded" in res.output
    assert "name: the file with the recorded changes gives 'changed', the result records 't'" \
        in res.output


# --- forged figures ------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "value", "said"), [
    ("targets[council_savings].achieved", 56.0,
     "targets[council_savings].achieved: recorded £56.00, recomputed £28.00"),
    ("targets[families].met", False, "targets[families].met: recorded no, recomputed yes"),
    ("targets[families].achieved", 18.0, "targets[families].achieved: recorded 18, recomputed 9"),
    ("red_lines[police_cap].binding", False,
     "red_lines[police_cap].binding: recorded no, re-solved yes"),
    ("red_lines[police_cap].relaxed_objective", 90.0,
     "red_lines[police_cap].relaxed_objective: recorded £90.00, re-solved £80.00"),
    ("mip_gap", 0.5, "mip_gap: recorded 0.5, re-solved 0"),
    ("objective", 144.0, "objective: recorded £144.00, recomputed £72.00"),
    ("partners[police].payback_year", 2020,
     "partners[police].payback_year: recorded 2020, recomputed 2021"),
    ("interventions[hub].units", 10.0, "interventions[hub].units: recorded 10, re-solved 9"),
    ("funding[council,hub,2020].amount", 70.0,
     "funding[council,hub,2020].amount: recorded £70.00, re-solved £80.00"),
])
def test_each_forged_figure_is_named(solved, tmp_path, name, value, said):
    payload = copy.deepcopy(solved[1])
    set_figure(payload, name, value)
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert said in res.output


@pytest.mark.parametrize(("name", "value", "said"), [
    ("interventions[hub].units", float("inf"), "interventions[hub].units: inf, not a number"),
    ("funding[council,hub,2020].amount", float("nan"),
     "funding[council,hub,2020].amount: nan, not an amount"),
    ("objective", float("nan"), "objective: recorded £nan, recomputed £72.00"),
    ("partners[council].payback_year", 10**30,
     "partners[council].payback_year: recorded 1000000000000000000000000000000, recomputed "
     "2021"),
])
def test_values_no_result_holds_are_named_without_a_traceback(solved, tmp_path, name, value,
                                                             said):
    """Python's JSON reads NaN and Infinity; a figure of either is named, not a crash."""
    payload = copy.deepcopy(solved[1])
    set_figure(payload, name, value)
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert said in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(("overrides", "said"), [
    ([["interventions.hub.unit_cost", "abc"]],
     "the input file with the recorded changes: interventions[hub].unit_cost: must be a number"),
    ([["nonsense.path", 1]], "the input file with the recorded changes: nonsense.path: unknown"),
    ([["only a path"]], "meta.overrides[0]: ['only a path'] is not a change [PATH, VALUE]"),
])
def test_malformed_recorded_changes_are_named(solved, tmp_path, overrides, said):
    payload = copy.deepcopy(solved[1])
    payload["meta"]["overrides"] = overrides
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert said in res.output


def test_a_funding_row_given_twice_is_named(solved, tmp_path):
    payload = copy.deepcopy(solved[1])
    payload["funding"].append(dict(payload["funding"][0]))
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1
    assert "funding[council,hub,2020]: appears more than once" in res.output


def test_a_payment_by_a_partner_that_cannot_pay_is_named(solved, tmp_path):
    payload = copy.deepcopy(solved[1])
    payload["funding"].append({"partner": "council", "intervention": "hub", "year": 2021,
                               "amount": 5.0})
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1
    assert "funding[council,hub,2021]: council cannot pay towards hub in 2021" in res.output


# --- the property: any single figure changed is caught and named ---------------------------

def _changeable(payload: dict[str, Any]) -> list[str]:
    """Every reported figure (the objective's name is the question asked, not a figure)."""
    named, _ = figures(PlanResult.model_validate(payload))
    return [k for k in named if k != "objective_name"]


def _changed(value: Any, factor: float, sign: int, scale: float, name: str) -> Any:
    if isinstance(value, bool):
        return not value
    if name.endswith(".partner"):
        return "police" if value is None else None
    if value is None:
        return 2021 if name.endswith("year") else 1234.5
    if isinstance(value, int):
        return value - 1
    if isinstance(value, str):
        return "time_limit" if name == "status" else value + "_forged"
    return value + sign * factor * tolerance(value, value, scale)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), factor=st.floats(2.0, 1e6), sign=st.sampled_from([-1, 1]))
def test_any_single_figure_changed_past_the_tolerance_fails_and_is_named(
        solved, tmp_path, data, factor, sign):
    payload = copy.deepcopy(solved[1])
    names = _changeable(payload)
    name = data.draw(st.sampled_from(names), label="figure")
    event(name.split("[")[0] + "." + name.rsplit(".", 1)[-1])
    current, _ = figures(PlanResult.model_validate(payload))
    new = _changed(current[name], factor, sign, plan_scale(current), name)
    set_figure(payload, name, new)
    report = audit(payload)
    assert not report.passed, name
    assert any(f.startswith(f"{name}: recorded ") for f in report.findings), report.findings


def test_every_figure_changed_just_past_the_tolerance_is_named(solved):
    """The property's edge, for every figure in turn: twice the tolerance is enough."""
    current, _ = figures(PlanResult.model_validate(solved[1]))
    scale = plan_scale(current)
    unnamed = []
    for name in _changeable(solved[1]):
        payload = copy.deepcopy(solved[1])
        set_figure(payload, name, _changed(current[name], 2.0, 1, scale, name))
        report = audit(payload)
        if report.passed or not any(f.startswith(f"{name}: recorded ") for f in
                                    report.findings):
            unnamed.append(name)
    assert unnamed == []


def test_a_change_within_the_tolerance_is_not_a_forgery(solved):
    """Half the tolerance on the objective (round-off a JSON reader might add) passes."""
    payload = copy.deepcopy(solved[1])
    current, _ = figures(PlanResult.model_validate(payload))
    payload["objective"] += 0.5 * tolerance(72.0, 72.0, plan_scale(current))
    assert audit(payload).passed


def test_the_cli_names_the_changed_figure(solved, tmp_path):
    payload = copy.deepcopy(solved[1])
    set_figure(payload, "partners[council].net_cashable_savings_npv", 29.0)
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1
    assert "partners[council].net_cashable_savings_npv: recorded £29.00, recomputed £28.00" \
        in res.output


# --- hostile recorded inputs and options ---------------------------------------------------

@contextlib.contextmanager
def _deadline(seconds: int):
    """Fail instead of hanging forever (the FIFO did)."""
    def stop(*_):
        raise TimeoutError("audit hung")
    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize(("kind", "said"), [
    ("folder", "is a folder, not a scenario file"),
    ("/dev/zero", "/dev/zero: is a device, not a scenario file"),
    ("/proc/self/mem", "/proc/self/mem: cannot be read"),
    ("fifo", "is a pipe (FIFO), not a scenario file"),
])
def test_a_recorded_input_that_is_not_a_file_is_said_without_a_hang(solved, tmp_path, kind,
                                                                    said):
    payload = copy.deepcopy(solved[1])
    if kind == "folder":
        target = str(tmp_path)
    elif kind == "fifo":
        target = str(tmp_path / "pipe")
        os.mkfifo(target)
    else:
        target = kind
    payload["meta"]["input_file"] = target
    with _deadline(60):
        res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert f"meta.input_file: {target if kind != '/dev/zero' else ''}" in res.output
    assert said in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize(("option", "value", "said"), [
    ("threads", 100000, "meta.solver_options.threads 100000: a whole number from 1 to 256"),
    ("mip_gap", 1.5, "meta.solver_options.mip_gap 1.5: a relative gap at least 0 and below 1"),
    ("time_limit", -1, "meta.solver_options.time_limit -1: seconds, more than 0"),
    ("presolve", "off", "meta.solver_options.presolve: not a pbo solver option"),
])
def test_recorded_solver_options_out_of_range_are_a_plain_error(solved, tmp_path, option,
                                                                value, said):
    payload = copy.deepcopy(solved[1])
    payload["meta"]["solver_options"][option] = value
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    assert said in res.output
    assert "Traceback" not in res.output


def test_a_result_with_no_solver_options_says_the_defaults_were_used(solved, tmp_path):
    """pbo always records its options; with them removed the audit re-solved with the
    defaults and its row said 'mip_gap 1e-06' as if recorded. The figures still hold (the
    plan is the hand-computed 9 units), so it passes, saying what it assumed."""
    payload = copy.deepcopy(solved[1])
    del payload["meta"]["solver_options"]
    res = _audit(tmp_path, payload)
    assert res.exit_code == 0, res.output
    assert "mip_gap 1e-06 (none recorded: pbo's defaults, which may not be what it was " \
        "solved with)" in " ".join(res.output.replace("│", " ").split())


def test_a_recorded_scenario_past_the_numeric_limits_is_refused(solved, tmp_path):
    payload = copy.deepcopy(solved[1])
    payload["meta"]["input_file"] = None
    payload["meta"]["scenario"]["interventions"][0]["max_units"] = 1e25
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1
    assert "interventions[hub].max_units 1e+25: HiGHS reads 1e+20 and above as no limit" \
        in res.output


def test_a_recorded_input_pointed_elsewhere_is_held_against_the_auditors_copy(solved,
                                                                             tmp_path):
    """A --set solve whose manifest names a file that is not there passes only as 'skipped';
    `--input` holds it against the auditor's own copy of the scenario, and it fails."""
    payload = _with_set(tmp_path, solved)
    payload["meta"]["overrides"] = []
    payload["meta"]["input_file"] = str(tmp_path / "gone.json")
    res = _audit(tmp_path, payload)
    assert res.exit_code == 0, res.output
    assert "skipped" in res.output
    forged = tmp_path / "forged.json"
    res = CliRunner().invoke(app, ["audit", str(forged), "--input",
                                   solved[1]["meta"]["input_file"]], env={"COLUMNS": "200"})
    assert res.exit_code == 1, res.output
    assert "partners[police].poolable_budget: the file with the recorded changes" in res.output


def test_a_forged_currency_is_named(solved, tmp_path):
    payload = copy.deepcopy(solved[1])
    payload["meta"]["currency"] = "USD"
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1
    assert "meta.currency: recorded 'USD', the recorded scenario's 'GBP'" in res.output


def test_a_recorded_input_that_is_not_a_scenario_file_is_not_read(solved, tmp_path):
    """A result names its input file, and anyone can write a result: one pointing at a file
    that is no scenario (no .yaml, .yml, .json or .xlsx) has its SHA-256 compared but is
    never parsed, so none of its text is echoed as 'unknown field' lines (it was, for
    /etc/shadow)."""
    secret = tmp_path / "secret"
    secret.write_text("DB_PASSWORD: hunter2\nadmin:x:0:0:the line itself\n")
    payload = copy.deepcopy(solved[1])
    payload["meta"]["input_file"] = str(secret)
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert f"meta.input_file: {secret} is not a scenario file" in said
    assert "DB_PASSWORD" not in res.output
    assert "hunter2" not in res.output
    assert "the line itself" not in res.output


@pytest.mark.parametrize(("text", "said"), [
    ('{"objective": 1' + "0" * 4400 + "}", "must be a finite number"),
    ("[" * 5000 + "]" * 5000, "nested deeper than 64 levels"),
    ('{"a":' * 1500 + "1" + "}" * 1500, "nested deeper than 64 levels"),
    ('{"status": "optimal", "status": "infeasible"}', "duplicate key 'status'"),
])
def test_a_hostile_result_file_is_a_located_error_not_a_traceback(tmp_path, text, said):
    """The result reader bounds what it decodes as the scenario reader does: a 4,401-digit
    integer and 5,000-deep nesting gave Python tracebacks (ValueError, RecursionError), and a
    key given twice was read silently, the last one winning."""
    path = tmp_path / "hostile.json"
    path.write_text(text)
    res = CliRunner().invoke(app, ["audit", str(path)], env={"COLUMNS": "200"})
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert said in res.output
    assert str(path) in " ".join(res.output.split())


def test_an_auditors_input_that_is_not_there_is_a_usage_error(solved, tmp_path):
    """`--input` names the auditor's own copy: a typo is exit 2, not a 'skipped' pass."""
    res = CliRunner().invoke(app, ["audit", str(solved[0]), "--input",
                                   str(tmp_path / "typo.yaml")])
    assert res.exit_code == 2, res.output
    assert "typo.yaml: no such file" in res.output


def test_an_audit_prints_at_most_fifty_differences_and_counts_the_rest(solved, tmp_path):
    """A result padded with 200 made-up interventions: each is named ('not in the
    scenario', and again by the checks that re-solve), the first 50 printed, then '… and N
    more' (a result padded with 200,000 printed 1.4 million lines)."""
    payload = copy.deepcopy(solved[1])
    row = payload["interventions"][0]
    payload["interventions"] += [{**row, "id": f"made_up_{k}"} for k in range(200)]
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    shown = [line for line in res.output.splitlines() if line.startswith("  - ")]
    assert len(shown) == 50
    assert "… and " in res.output
    assert "more" in res.output.splitlines()[-1]


def test_a_file_that_is_not_a_result_names_the_fields_that_do_not_fit(solved, tmp_path):
    """'not a pbo result file (1 fields do not fit)' named no field; now each is named with
    where it is, up to five, and the rest counted; a row by its id, as in a scenario's
    problems (partners[council], not partners[0])."""
    payload = copy.deepcopy(solved[1])
    payload["objective"] = "lots"
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert "not a pbo result file (1 field does not fit: objective: input should be a valid " \
           "number" in said
    payload = copy.deepcopy(solved[1])
    for row in payload["partners"]:
        row["contribution_npv"] = "?"
    del payload["meta"]
    res = _audit(tmp_path, payload)
    assert res.exit_code == 1, res.output
    said = " ".join(res.output.split())
    assert "(3 fields do not fit: partners[council].contribution_npv: input should be a " \
           "valid number" in said
    assert "partners[police].contribution_npv:" in said
    assert "meta: field required)" in said
