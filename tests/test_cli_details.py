"""The command line as a new user meets it: readable help, a version, the what-ifs said
before the plan, a hint that keeps the flags given, and ids that wrap at 80 columns."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import pbo
from pbo.cli import app
from tests.conftest import SCENARIOS

runner = CliRunner()
NARROW = {"COLUMNS": "80"}
TUTORIAL = str(SCENARIOS / "tutorial.yaml")
WHOLE_PLACE = str(SCENARIOS / "whole_place_example.yaml")
COMMANDS = ["validate", "solve", "schema", "sweep", "compare", "audit", "template", "convert",
            "report", "explain", "sensitivity"]


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_bool_metavar_and_keeps_brackets(command: str) -> None:
    """Flags show no '<bool>'; '[a,b,...]' in the --set help is printed, not eaten as
    markup."""
    shown = runner.invoke(app, [command, "--help"], env=NARROW)
    assert shown.exit_code == 0, shown.output
    assert "<bool>" not in shown.output
    if command in ("solve", "report", "explain", "sensitivity"):
        assert "[a,b,...] each year" in words(shown.output)


def test_version() -> None:
    shown = runner.invoke(app, ["--version"])
    assert shown.exit_code == 0
    assert shown.output.strip() == f"pbo {pbo.__version__}"


def test_solve_says_the_what_ifs_it_applied_first() -> None:
    """Each named scenario's changes, then each --set as typed, in the order applied, before
    the plan; with none, nothing is said."""
    shown = runner.invoke(app, ["solve", WHOLE_PLACE, "--no-binding", "--scenario",
                                "three_year_nhs", "--set", "targets.council_savings.min=1e5"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[:3] == [
        "What-ifs applied, in order:",
        "  --scenario three_year_nhs: red_lines.nhs_no_multi_year.last_year=2017",
        "  --set targets.council_savings.min=1e5",
    ]
    plain = runner.invoke(app, ["solve", TUTORIAL, "--no-binding"])
    assert "What-ifs" not in plain.output


def test_the_explain_hint_keeps_the_flags_given() -> None:
    """An infeasible solve suggests the `pbo explain` of the same what-if and objective."""
    shown = runner.invoke(app, ["solve", TUTORIAL, "--set", "targets.council_savings.min=1e9",
                                "--objective", "min_cost"], env=NARROW)
    assert shown.exit_code == 4, shown.output
    assert (f"Run `pbo explain {TUTORIAL} --set targets.council_savings.min=1e9 --objective "
            "min_cost` to see why") in words(shown.output)


@pytest.mark.parametrize("args", [
    ["solve", WHOLE_PLACE],
    ["sensitivity", WHOLE_PLACE],
    ["explain", WHOLE_PLACE, "--intervention", "home_safety_checks"],
], ids=["solve", "sensitivity", "explain"])
def test_ids_wrap_instead_of_being_cut_at_80_columns(args: list[str]) -> None:
    """No table cell is cut short with '…' (it was: 'dwp_no_p…', 'interventi…'), and every
    line fits 80 columns."""
    shown = runner.invoke(app, args, env=NARROW)
    assert shown.exit_code == 0, shown.output
    assert "…" not in shown.output
    assert max(len(line) for line in shown.output.splitlines()) <= 80


def test_help_lists_every_command_in_the_order_users_meet_them() -> None:
    from pbo.cli import HELP_ORDER

    out = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "100"}).output
    listed = [line.split()[0] for line in out.split("Commands:")[1].splitlines()
              if line.startswith("  ") and line.split()]
    assert listed == list(HELP_ORDER)


def test_a_time_limited_plan_says_its_gap_in_the_headline() -> None:
    """A plan stopped at --time-limit is the best found in time: its headline says how far
    the best possible may be (the MIP gap, which was only in the JSON), in words. The
    tutorial's plan, marked as stopped at a gap of 25%: the line says 'up to 25.0% better'."""
    from rich.console import Console

    from pbo import load_scenario, solve
    from pbo.optimizer.present.tables import plan_summary

    result = solve(load_scenario(SCENARIOS / "tutorial.yaml"))
    console = Console(width=200, record=True)
    console.print(plan_summary(result))
    assert "MIP gap" not in console.export_text()
    stopped = result.model_copy(update={"status": "time_limit", "mip_gap": 0.25})
    console = Console(width=200, record=True)
    console.print(plan_summary(stopped))
    head = console.export_text().splitlines()[0]
    assert "time_limit, net fiscal value" in head
    assert "the best plan found in time; the best possible may be up to 25.0% better " \
           "(the MIP gap)" in head
    console = Console(width=200, record=True)  # a gap below 0.1% keeps two figures
    console.print(plan_summary(result.model_copy(update={"status": "time_limit",
                                                         "mip_gap": 2.345e-5})))
    assert "may be up to 0.0023% better" in console.export_text()
