"""Reading an input file once, as a regular file, to a bound: a scenario (YAML, JSON or a
workbook), a result for `pbo audit`, and the scenario file a result records.

A path may name a folder, a device that never ends (/dev/zero), a pipe that never answers (a
FIFO), or a file that cannot be read (/proc/self/mem); a result can be written by anyone, and
so can the path it records. Each is said in plain words; nothing hangs or fills memory. The
file is opened without blocking and checked on the open handle, so a path swapped for a pipe
after a check cannot hang the read. Each file is read once: what is parsed, and the SHA-256 a
result records of it, are of the same bytes, even when the file is saved again meanwhile.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
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


def read_file(path: Path | str, limit: int, what: str = "a scenario file",
              too_large: Callable[[int], str] | None = None) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them. InputError when
    nothing is there, it is not a readable regular file (`what` names what it should be), or
    it is larger than `limit`: said by `too_large(size)` (the caller's words; by default
    "PATH: N bytes is larger than WHAT may be (L MiB, the limit)"). The size is checked on the
    open handle before anything is read, so a 300 MB file is refused without reading it, and
    again as it is read, for a file that grows meanwhile."""
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path}: is {_kind(info.st_mode)}, not {what}")
        said = info.st_size
        chunks, size = [], 0
        while size <= limit and said <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if max(size, said) > limit:
            big = max(size, said)
            raise InputError(too_large(big) if too_large else
                             f"{path}: {big:,} bytes is larger than {what} may be "
                             f"({limit // 2**20} MiB, the limit)")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_recorded_input(path: Path | str) -> bytes | None:
    """The bytes of the recorded input file; None when nothing is at `path` (a result audited
    on another machine). InputError when it is there but not a readable regular file of at
    most MAX_INPUT_BYTES."""
    if not os.path.exists(path):
        return None
    return read_file(path, MAX_INPUT_BYTES, too_large=lambda _: (
        f"{path}: larger than {MAX_INPUT_BYTES // 2**20} MiB, so not a scenario file pbo "
        "wrote a result for"))
