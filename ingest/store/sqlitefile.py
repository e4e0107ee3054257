"""Damaged SQLite files we keep (the embedding cache, the bot's state): tell, and move aside.

Both files can be lost without losing the knowledge base: the cache is rebuilt as articles are
embedded, and the state only holds conversation memory, counters, gaps and feedback. So a damaged one
is moved aside under a name that says when (`<name>.damaged-<time>`, with its -wal and -shm files)
and a new one is started, instead of taking the bot or the ingest down.
"""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

SIDECARS = ("-wal", "-shm")


def problem(conn: sqlite3.Connection) -> str | None:
    """SQLite's own quick check of every page: None when intact, else its first complaint."""
    try:
        rows = conn.execute("PRAGMA quick_check(1)").fetchall()
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        return str(exc)
    first = str(rows[0][0]) if rows else "no answer to a quick check"
    return None if first == "ok" else first


DAMAGE_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM})
"""Errors that say the file itself is bad or unreadable. A full disk or an I/O error is not: moving the
file aside then would throw away a good one."""


def is_damage(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is None or code in DAMAGE_CODES  # None: raised by `problem` (a failed quick check)


def set_aside(path: Path) -> Path:
    """Rename a damaged file (and its -wal/-shm) to `<name>.damaged-<UTC time>`; returns the new name."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}.{number}")
    path.replace(target)
    for suffix in SIDECARS:
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + suffix).replace(target.with_name(target.name + suffix))
    return target


def damaged_copies(path: Path) -> list[Path]:
    """Files set aside earlier for `path`, oldest first."""
    return sorted(p for p in path.parent.glob(f"{path.name}.damaged-*") if not p.name.endswith(SIDECARS))
