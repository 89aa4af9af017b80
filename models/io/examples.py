"""The example scenarios installed with pbo (the repository's scenarios/ folder)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from pbo.models.checks import did_you_mean
from pbo.models.errors import InputError


def examples() -> list[str]:
    """The names of the installed example scenarios ('tutorial', 'whole_place_example')."""
    folder = files("pbo") / "scenarios"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def example_path(name: str = "tutorial") -> Path:
    """The file of an installed example scenario, to load or copy.

    >>> import pbo
    >>> pbo.load_scenario(pbo.example_path("tutorial")).name
    'Tutorial partnership'
    """
    path = Path(str(files("pbo") / "scenarios" / f"{name}.yaml"))
    if not path.is_file():
        raise InputError(f"example {name!r}: no such example scenario"
                         f"{did_you_mean(name, examples())} (examples: "
                         f"{', '.join(examples())})")
    return path
