"""Ctrl-C during a HiGHS run: stop HiGHS at its next check, promptly, and say so.

Python delivers SIGINT (as KeyboardInterrupt) only in the main thread and only between
bytecodes, so while the main thread is inside HiGHS's `run()` an interrupt waits for the run
to end (39 s once). highspy's own way round this (`Highs.startSolve`/`wait`/`cancelSolve`,
highspy >= 1.8) is used: HiGHS runs in a worker thread, the main thread waits in short steps
and so sees Ctrl-C at once, and `cancelSolve` sets the flag highspy's simplex, IPM and MIP
interrupt callbacks pass to HiGHS (`user_interrupt`). highspy's `solve()` does the same but
prints its own messages and exits the process on the fifth Ctrl-C; this module raises
`Interrupted` instead, for the CLI to report.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from pbo.models.errors import Interrupted

NOTHING_WRITTEN = "nothing was written"


def _interruptible() -> bool:
    """Only where Ctrl-C would raise KeyboardInterrupt: the main thread, Python's handler."""
    return (threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler)


def run(h: Any, during: str) -> None:
    """`h.run()` that Ctrl-C stops: raises Interrupted(during) once HiGHS has stopped (a
    second Ctrl-C stops waiting for it). Elsewhere (a worker thread, a program with its own
    SIGINT handler) a plain `h.run()`."""
    if not _interruptible():
        h.run()
        return
    h.HandleUserInterrupt = True  # highspy subscribes its interrupt callbacks
    try:
        h.startSolve()
        try:
            while not h.wait(0.1)[0]:
                pass
        except KeyboardInterrupt:
            h.cancelSolve()
            try:
                while not h.wait(0.1)[0]:
                    pass
            except KeyboardInterrupt:
                pass  # asked twice: leave HiGHS to the process's exit
            raise Interrupted(during, NOTHING_WRITTEN) from None
    finally:
        if not h.is_solver_running():
            h.HandleUserInterrupt = False


class Halt:
    """A stop pbo asks for itself in the middle of a MIP run (a binding check that has found
    its answer): set `now`, and HiGHS stops at its next check. Subscribed once per HiGHS
    object, before highspy's own Ctrl-C handler, it sets HiGHS's interrupt flag to `now` at
    every check: HiGHS keeps that flag between runs, so a stop asked in one run would
    otherwise stop the next at once. (highspy's handler, which runs after it, still sets
    the flag for Ctrl-C.)"""

    def __init__(self, h: Any):
        self.now = False
        h.cbMipInterrupt += self._check

    def _check(self, event: Any) -> None:
        event.interrupt(self.now)
