"""Writing files so that a reader never sees half of one: a single file through a temporary
file in the same folder (written, flushed to disk, then renamed over the old one), and a set of
files (the CSV tables of one result) written whole before any is renamed, with a manifest
written last that says which contents belong together.

A writer killed before its rename leaves the old file; after it, the new one. A set can still
be torn by a kill between its renames (the rename of six files is not one step): the manifest
then no longer matches the files, which `verify_file_set` (or `sha256sum -c`) shows.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import signal
import stat
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pbo.models.errors import Interrupted, OutputError

MANIFEST_FORMAT = "pbo-file-set/1"


def _file_mode(path: Path) -> int:
    """The permissions `path` should end with: those it has, or a new file's (0o666 less the
    umask), not the owner-only 0o600 of a temporary file."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path: Path | str, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    except OSError as exc:
        if not directory or exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise  # (some file systems cannot sync a folder; the rename still happened)
    finally:
        os.close(fd)


def unwritable(exc: OSError, path: Path, kept: str = "") -> OutputError:
    """A plain sentence for a failed write: what, why (the system's words), what is left."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        reason = "no space left on the device"
    return OutputError(f"could not write {path}: {reason.lower()}"
                       + (f"; {kept}" if kept else ""))


def _target(path: Path) -> Path:
    """The file a write lands in: through a symbolic link, as the shell's `>` would."""
    return path.resolve() if path.is_symlink() else path


def _temporary(path: Path) -> Path:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:
        raise OutputError(f"could not write {path}: the folder {path.parent} does not exist "
                          "(pbo does not create folders)") from None
    os.close(fd)
    return Path(tmp)


def _prepare(path: Path, write: Callable[[Path], object]) -> Path:
    """Write `path`'s new content to a temporary file beside it, flushed to disk."""
    tmp = _temporary(path)
    try:
        write(tmp)
        os.chmod(tmp, _file_mode(path))
        _fsync(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _kept(path: Path) -> str:
    return f"{path.name} is unchanged" if path.exists() else f"no {path.name} was written"


def write_atomic(path: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file in the same folder, then rename over `path`: a reader
    (or a crash) sees the old file or the whole new one, never part of it. `write(tmp)`
    writes the content to the path it is given. A failed write (a full disk) raises
    OutputError, and Ctrl-C raises Interrupted, each saying so; both leave the old file."""
    path = _target(Path(path))
    try:
        tmp = _prepare(path, write)
    except OSError as exc:
        raise unwritable(exc, path, _kept(path)) from exc
    except Interrupted:
        raise
    except KeyboardInterrupt:
        raise Interrupted(f"writing {path}", _kept(path)) from None
    try:
        with interrupts_deferred():
            os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise unwritable(exc, path, _kept(path)) from exc
    _sync_folder(path)


def _sync_folder(path: Path) -> None:
    """Flush the folder's entry for a renamed file to disk, so the rename survives a crash."""
    try:
        _fsync(path.parent, directory=True)
    except OSError as exc:
        raise OutputError(f"wrote {path}, but its folder could not be flushed to disk: "
                          f"{(exc.strerror or str(exc)).lower()}") from exc


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) for the few microseconds of a set's renames, then deliver it, so an
    interrupt does not tear the set. (Only the main thread can change signal handling; SIGKILL
    cannot be held, which is what the manifest is for.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        if callable(previous):
            previous(signal.SIGINT, None)
        elif previous != signal.SIG_IGN:
            raise KeyboardInterrupt


def write_stdout(text: str) -> None:
    """Print `text` whole, or raise OutputError (a full device, a closed pipe) with nothing
    left for Python to fail on again at exit."""
    import sys

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        raise _stdout_lost(exc) from exc


def stdout_failure(exc: OSError) -> OutputError | None:
    """The OutputError to report when `exc` came from printing to standard output (a full
    device, a closed pipe): the failing call wrote to a `file` that is sys.stdout, as a rich
    Console does. None when it came from anywhere else."""
    import sys

    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    writer = tb.tb_frame.f_locals.get("self") if tb is not None else None
    if getattr(writer, "file", None) is not sys.stdout:
        return None
    return _stdout_lost(exc)


def _stdout_lost(exc: OSError) -> OutputError:
    import sys

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # what is left in the buffer goes nowhere
    os.close(devnull)
    reason = "no space left on the device" if exc.errno == errno.ENOSPC else \
        (exc.strerror or str(exc)).lower()
    return OutputError(f"could not write to standard output: {reason}")


def manifest_path(path: Path) -> Path:
    """plan.csv -> plan_manifest.json, beside the tables."""
    return path.with_name(f"{path.stem}_manifest.json")


def write_file_set(manifest: Path, files: Sequence[tuple[Path, Callable[[Path], object]]],
                   about: dict[str, Any] | None = None) -> list[Path]:
    """Write several files as one set: every file to a temporary name first (flushed to disk),
    then each renamed into place, then the manifest (each file's name, size and SHA-256, and
    the set's id and time) renamed last. A failure before the renames leaves the old set
    whole; a kill between them leaves files the manifest does not describe (a torn set,
    which `verify_file_set` reports)."""
    paths = [_target(Path(p)) for p, _ in files]
    manifest = _target(Path(manifest))
    prepared: list[Path] = []
    done = 0
    current = manifest
    try:
        try:
            for path, (_, write) in zip(paths, files, strict=True):
                current = path
                prepared.append(_prepare(path, write))
            record = {
                "format": MANIFEST_FORMAT, "set_id": uuid.uuid4().hex,
                "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
                **(about or {}),
                "files": [{"name": p.name, "bytes": t.stat().st_size, "sha256": sha256_file(t)}
                          for p, t in zip(paths, prepared, strict=True)]}
            text = json.dumps(record, indent=2) + "\n"
            current = manifest
            prepared.append(_prepare(manifest, lambda tmp: tmp.write_text(text, "utf-8")))
        except Interrupted:
            raise
        except KeyboardInterrupt:
            raise Interrupted(f"writing the {len(paths)} files {manifest.name} lists",
                              "the earlier files are unchanged") from None
        finally:
            if len(prepared) < len(paths) + 1:
                for tmp in prepared:
                    tmp.unlink(missing_ok=True)
        with interrupts_deferred():
            for tmp, path in zip(prepared, [*paths, manifest], strict=True):
                current = path
                os.replace(tmp, path)
                done += 1
    except OSError as exc:
        for tmp in prepared[done:]:
            tmp.unlink(missing_ok=True)
        kept = ("the earlier files are unchanged" if done == 0 else
                f"{done} of {len(prepared)} files were replaced, so {manifest.name} does not "
                "match them: write the set again")
        raise unwritable(exc, current, kept) from exc
    _sync_folder(manifest)
    return [*paths, manifest]


def verify_file_set(manifest: Path) -> list[str]:
    """What is wrong with a set written by `write_file_set`: a file missing, or whose content
    is not the one the manifest records (a torn set, or a file changed since). Empty: the
    files are the whole set the manifest describes. A listed name that is not a plain file
    name beside the manifest (a path, '..') is a problem, never read."""
    try:
        record = json.loads(Path(manifest).read_text(encoding="utf-8"))
        files = record["files"]
        entries = [(str(e["name"]), str(e["sha256"])) for e in files]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{manifest}: not a readable pbo manifest ({exc})"]
    problems = []
    for name, sha in entries:
        if name in ("", ".", "..") or Path(name).name != name:
            problems.append(f"{name}: not a file name beside the manifest")
            continue
        path = Path(manifest).with_name(name)
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != sha:
            problems.append(f"{name}: content differs from the manifest "
                            f"(set {record.get('set_id')})")
    return problems
