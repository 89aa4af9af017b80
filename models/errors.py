"""The small exception hierarchy (the CLI maps each class to its exit code in one place), and
how a message quotes text from an input file."""

from __future__ import annotations

from collections.abc import Sequence

SHOWN_CHARS = 80
"""Longest text from an input file that a message quotes whole (an id's longest)."""


def abridged(text: str) -> str:
    """`text` as a message quotes it: whole up to SHOWN_CHARS, else its start, its end and its
    length (an id of 100,000 characters made a 100 KB line of every problem that named it)."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:40]}…{text[-12:]} ({len(text):,} characters)"


class PboError(Exception):
    """Base of every error the engine raises on purpose."""


class InputError(PboError):
    """The scenario (or an override) is wrong; ``problems`` lists every located message."""

    def __init__(self, problems: Sequence[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"{head} in the scenario:\n" + "\n".join(f"  - {p}" for p in self.problems))


class UsageError(InputError):
    """The command line itself is malformed (an option's syntax or suffix, a missing argument):
    exit 2, like the usage errors typer reports. Problems in the scenario stay InputError."""


class SolverError(PboError):
    """HiGHS failed, or stopped at a limit without a plan."""


class InfeasibleError(PboError):
    """Raised only when a caller asks for a plan and the scenario is proven infeasible."""


class OutputError(PboError):
    """A result could not be written (a full disk, a folder that went away): exit 1. The file
    that was there before is left as it was."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped pbo: `during` says what it stopped, `left` what that leaves behind. A
    KeyboardInterrupt, so code that does not know it still stops."""

    def __init__(self, during: str, left: str):
        super().__init__(f"interrupted during {during}; {left}")
        self.during = during
        self.left = left
