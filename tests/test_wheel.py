"""The installed wheel, not the work tree: build it from a clean copy of the sources, install
it into a fresh virtual environment, and use it from a folder that holds its own `models.py`
and `cli.py` (names a user's project may well have).

One environment serves every test here (a module-scoped fixture). It has no pbo but the
wheel's; its third-party dependencies are those of the test environment, reached through a
path file (a `.pth` line adds the folder to sys.path without running the folder's own path
files, so the work tree's editable install stays out), which keeps the test to seconds and
off the network.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_library import LIBRARY_MODULES

SOURCES = ("pyproject.toml", "README.md", "cli.py", "pbo", "models", "optimizer", "scenarios")


def run(args: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONNOUSERSITE": "1", **env}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A fresh venv with the wheel installed: its python, site-packages and a user folder."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, src / name)
    dist = base / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", dist, src], cwd=base)
    wheels = list(dist.glob("pbo-*.whl"))
    assert len(wheels) == 1
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       cwd=base).stdout.strip())
    run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q",
         wheels[0]], cwd=base)
    (purelib / "_test_dependencies.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    user = base / "user_project"
    user.mkdir()
    (user / "models.py").write_text('raise ImportError("the user\'s own models.py was imported")\n')
    (user / "cli.py").write_text('raise ImportError("the user\'s own cli.py was imported")\n')
    return {"python": python, "site": purelib, "user": user, "wheel": wheels[0]}


def test_the_wheel_holds_only_pbo(installed: dict[str, Path]) -> None:
    """site-packages gains `pbo` and its dist-info, and no generic top-level name."""
    names = {p.name for p in installed["site"].iterdir()}
    assert "pbo" in names
    assert any(n.startswith("pbo-") and n.endswith(".dist-info") for n in names)
    for generic in ("models", "optimizer", "cli", "cli.py", "scenarios"):
        assert generic not in names
    record = next(installed["site"].glob("pbo-*.dist-info")) / "RECORD"
    installed_files = [line.split(",")[0] for line in record.read_text().splitlines()]
    tops = {f.split("/", 1)[0] for f in installed_files if not f.startswith("../")}
    assert tops == {"pbo", record.parent.name}  # (and the `pbo` command, in bin/)
    package = installed["site"] / "pbo"
    assert (package / "py.typed").is_file()
    assert (package / "scenarios" / "tutorial.yaml").is_file()
    assert not (package / "models").is_symlink()  # real files, not links to a work tree


def test_the_installed_pbo_solves_the_tutorial_beside_a_users_models_py(
        installed: dict[str, Path]) -> None:
    """From a folder with its own models.py and cli.py, `import pbo` is the wheel's and
    solves the tutorial as the work tree does; the docstring examples and the README's "As a
    library" section run there (no file of the work tree needed); the `pbo` command says its
    version."""
    from pbo.models.io.loading import load_scenario
    from pbo.optimizer.solving.plan import solve

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## As a library", 1)[1].split("\n## ", 1)[0]
    (installed["user"] / "readme_section.txt").write_text(section, encoding="utf-8")
    script = (
        "import doctest, importlib, json, sys, pbo\n"
        "sc = pbo.load_scenario(pbo.example_path('tutorial'))\n"
        "r = pbo.solve(sc)\n"
        "flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE\n"
        f"mods = {LIBRARY_MODULES!r}\n"
        "failed = sum(doctest.testmod(importlib.import_module(m), optionflags=flags).failed"
        " for m in mods)\n"
        "failed += doctest.testfile('readme_section.txt', module_relative=False,"
        " optionflags=flags).failed\n"
        "print(json.dumps({'file': pbo.__file__, 'status': r.status, 'objective': r.objective,"
        " 'version': pbo.__version__, 'failed': failed}))\n")
    done = run([installed["python"], "-c", script], cwd=installed["user"])
    out = json.loads(done.stdout.splitlines()[-1])
    assert Path(out["file"]).is_relative_to(installed["site"])
    expected = solve(load_scenario(ROOT / "scenarios" / "tutorial.yaml"))
    assert out["status"] == expected.status == "optimal"
    assert out["objective"] == pytest.approx(expected.objective, rel=1e-9)
    assert out["failed"] == 0, done.stdout  # the docstring examples and the README's
    import pbo

    assert out["version"] == pbo.__version__
    command = installed["python"].parent / "pbo"
    assert run([command, "--version"], cwd=installed["user"]).stdout.strip() == \
        f"pbo {pbo.__version__}"


CLIENT = '''\
"""A program that embeds pbo, checked with mypy --strict against the installed wheel."""

import pbo


def plan_value(years: int) -> float | None:
    scenario: pbo.Scenario = pbo.Scenario(
        start_year=2025, years=years,
        partners=[pbo.Partner(id="council", poolable_budget=100_000.0)],
        interventions=[pbo.Intervention(id="hub", max_units=10.0, unit_cost=10_000.0,
                                        benefits={"council": 12_000.0})],
        red_lines=[pbo.MaxShare(id="cap", rule="max_share", partner="council", share=0.5)])
    scenario = scenario.with_changes({"partners.council.poolable_budget": 200_000.0})
    result: pbo.PlanResult = pbo.solve(scenario, options=pbo.SolverOptions(time_limit=10.0))
    ranked: pbo.SensitivityResult = pbo.sensitivity(scenario)
    names: list[str] = [r.id for r in ranked.red_lines]
    sweep: pbo.SweepResult = pbo.sweep(scenario, ["interventions.hub.unit_cost=1:2:2"])
    payload: dict[str, object] = result.to_json()
    schema: dict[str, object] = pbo.result_schema("plan")
    page: str = pbo.report(scenario)
    framed: pbo.Scenario = pbo.scenario_from_frames(
        partners=[{"id": "council"}], budgets={"partner": ["council"], "year": [2025],
                                               "poolable_budget": [1.0]},
        start_year=2025, years=1)
    audited: bool = pbo.audit(result).passed
    print(framed.partners[0].poolable_budget, audited)
    try:
        pbo.load_scenario(pbo.example_path("tutorial"))
    except pbo.InputError as exc:
        problems: list[str] = exc.problems
        print(problems)
    print(names, len(sweep.results), len(payload), len(schema), len(page), pbo.__version__)
    return result.objective
'''


def test_mypy_strict_passes_on_a_client_of_the_installed_wheel(
        installed: dict[str, Path]) -> None:
    """py.typed reaches a user's mypy: a client of the public API checks under --strict (an
    untyped package would fail it with import-untyped), and a wrong type is caught."""
    client = installed["user"] / "client.py"
    client.write_text(CLIENT, encoding="utf-8")
    bad = installed["user"] / "bad_client.py"
    bad.write_text("import pbo\n\nvalue: str = pbo.solve(pbo.load_scenario('x')).objective\n",
                   encoding="utf-8")
    checked = subprocess.run(
        [str(installed["python"]), "-m", "mypy", "--strict", "--cache-dir",
         str(installed["user"] / ".mypy_cache"), str(client), str(bad)],
        cwd=installed["user"], capture_output=True, text=True, timeout=300)
    errors = [line for line in checked.stdout.splitlines() if ": error:" in line]
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert len(errors) == 1, checked.stdout  # the client is clean; the wrong type is caught
    assert errors[0].startswith(bad.name)
    assert "Incompatible types in assignment" in errors[0]
