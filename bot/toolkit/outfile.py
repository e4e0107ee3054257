"""Writing a toolkit document to the `--out` file a user named: checked before anything is built, written
whole or not at all.

Why a temporary file and os.replace: a crash, a full disk or a kill mid-write must never leave a half
scorecard where the old one was; the rename swaps the whole file in one step.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

NEW_FILE_MODE = 0o644
"""A new document is for sharing with the panel: readable like any file the user saves."""


class OutFileError(ValueError):
    """An --out path the command cannot write to; the message is one line naming the path and why."""


def check_out(path: Path, extensions: Iterable[str]) -> str:
    """The file's format (its lower-case extension) if `path` can take a new file, else OutFileError."""
    allowed = sorted(extensions)
    ext = path.suffix.lower()
    if ext not in allowed:
        kinds = ", ".join(allowed[:-1]) + f" or {allowed[-1]}" if len(allowed) > 1 else allowed[0]
        raise OutFileError(f"{path}: unknown file type {ext or '(none)'!r}: use {kinds}")
    folder = path.parent
    if not folder.is_dir():
        raise OutFileError(f"{path}: no such directory: {folder}")
    if path.is_dir():
        raise OutFileError(f"{path}: is a directory")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutFileError(f"{path}: cannot write in {folder}")
    return ext


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same directory and one os.replace: readers see
    the old file or the new one, never part of either. An existing file keeps its permissions."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)  # os.replace
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(path.parent)


def _sync_directory(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a platform that cannot open a directory skips it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
