"""The scenario file a result records, read for `pbo audit`: a regular file only, to a bound.

A result file names its input by path, and a result can be written by anyone: the path may be
a folder, a device that never ends (/dev/zero), a pipe that never answers (a FIFO), or a file
that cannot be read (/proc/self/mem). Each is said in plain words; nothing hangs or fills
memory. The file is opened without blocking and checked on the open handle, so a path swapped
for a pipe after the check cannot hang the read either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pbo.models.errors import InputError

MAX_INPUT_BYTES = 256 * 2**20
"""Largest recorded input read (256 MiB, above any scenario pbo reads)."""
_CHUNK = 2**20


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_recorded_input(path: Path | str) -> bytes | None:
    """The bytes of the recorded input file; None when nothing is at `path` (a result audited
    on another machine). InputError when it is there but not a readable regular file of at
    most MAX_INPUT_BYTES."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{path} is {_kind(mode)}, not a scenario file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"{path} is {_kind(mode)}, not a scenario file")
        chunks, size = [], 0
        while size <= MAX_INPUT_BYTES:
            chunk = os.read(fd, _CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    if size > MAX_INPUT_BYTES:
        raise InputError(f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB, so not a "
                         "scenario file pbo wrote a result for")
    return b"".join(chunks)
