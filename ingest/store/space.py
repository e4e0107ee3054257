"""A full disk is a clear refusal, not an outage: check before writing a version, and say so if it fills.

Every write of an ingest (the embedding cache, the new version, its manifest, the pointer) happens
before the atomic switch, so running out of space anywhere leaves the live version serving; what is
left is to tell the admin in one line, and to free what the failed attempt wrote.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ingest.errors import NoSpaceError
from ingest.store.manifest import VersionInfo

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
BYTES_PER_CHUNK = 8 * 1024
"""A version's size per chunk before any version was measured: 7.3 KB at 3,000 generated articles
(SQLite with text, metadata and vectors, plus the HNSW files)."""
FIXED_BYTES = 1024 * 1024
"""What an empty version takes (Chroma's SQLite schema, the HNSW files' preallocation)."""
NEARLY_FULL = 1024 * 1024
"""Free bytes below which SQLite's "disk I/O error" is taken to mean a full disk."""
MARGIN = 1.25
"""Head room: SQLite's journal and Chroma's compaction need some space beyond the final size."""


def estimate_bytes(records: tuple[list[str], Any, list[str], list[dict[str, Any]]], kept: list[VersionInfo]) -> int:
    """The new version's size, scaled from the newest measured version, or from BYTES_PER_CHUNK."""
    chunks = len(records[0])
    measured = [i for i in kept if i.files and i.stored_count]  # a delta's files hold only its own records
    per_chunk = measured[-1].size / measured[-1].stored_count if measured else BYTES_PER_CHUNK
    return int((FIXED_BYTES + chunks * per_chunk) * MARGIN)


def _message(root: Path, detail: str = "") -> str:
    return (
        f"no space left on device under {root}{detail}; the live version was not changed. "
        "Free some space and run the ingest again."
    )


def need_free_space(root: Path, needed: int) -> None:
    """Refuse to start writing a version the disk cannot hold."""
    free = shutil.disk_usage(root).free
    if free < needed:
        raise NoSpaceError(_message(root, f" (the new version needs about {_mb(needed)}, {_mb(free)} free)"))


def is_no_space(exc: BaseException, where: Path | None = None) -> bool:
    """Whether an error means the disk is full. SQLite often says only "disk I/O error" when it cannot
    grow its -shm or -wal file, so with `where` such an error counts when that disk is (nearly) full."""
    if isinstance(exc, OSError):
        return exc.errno in NO_SPACE
    if not isinstance(exc, sqlite3.Error):
        return False
    code = getattr(exc, "sqlite_errorcode", None)
    if code == sqlite3.SQLITE_FULL:
        return True
    if code is not None and code & 0xFF == sqlite3.SQLITE_IOERR and where is not None:
        try:
            return shutil.disk_usage(where).free < NEARLY_FULL
        except OSError:
            return False
    return False


@contextmanager
def space_errors(root: Path) -> Iterator[None]:
    """Turn 'no space' anywhere in a block into NoSpaceError; every other error passes unchanged."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        if is_no_space(exc, root):
            raise NoSpaceError(_message(root)) from exc
        raise


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
