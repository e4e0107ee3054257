"""The state's SQLite file: opened owner-only in WAL mode, set aside and started anew when damaged,
kept in memory when the disk is full, and used one lock-held transaction at a time.

Deleted text is really gone: `secure_delete` zeroes freed space in the database pages, and
`scrub_wal` checkpoints and truncates the write-ahead log, which would otherwise still hold old
copies of the pages. That is cheaper than a VACUUM (which rewrites the whole file) and covers the
WAL, which VACUUM alone does not.

Durability: WAL mode with synchronous=FULL, and every write is one transaction, so a crash or
SIGKILL mid-write leaves the previous state. One connection, shared by the bot's worker threads
(asyncio.to_thread), is serialised by a lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.telegram.state.schema import StateError, migrate
from ingest.errors import reason
from ingest.store.space import is_no_space
from ingest.store.sqlitefile import SIDECARS, damaged_copies, is_damage, problem, set_aside

log = logging.getLogger(__name__)


class StateDB:
    """One open state file (or, on a full disk, an in-memory stand-in); thread-safe."""

    def __init__(self, path: Path, damaged_cutoff: float) -> None:
        """Open `path`; damaged copies set aside before `damaged_cutoff` (a timestamp) are deleted."""
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.recovered: str | None = None
        """Set when the file was damaged and started anew: what admins must be told was lost."""
        self._conn: sqlite3.Connection | None = None
        self._drop_old_damaged(damaged_cutoff)
        try:
            self._open()
        except (sqlite3.DatabaseError, PermissionError) as exc:  # not a database, malformed, unreadable
            if isinstance(exc, sqlite3.Error) and is_no_space(exc, self.path.parent):
                self._open_in_memory()
                return
            if isinstance(exc, sqlite3.Error) and not is_damage(exc):
                raise
            aside = set_aside(self.path)
            self.recovered = (
                f"The state file was damaged ({reason(exc)}) and was moved aside as {aside.name}; the bot started with "
                "an empty state, so conversation memory, question counts, gaps and feedback from before are lost."
            )
            log.error("state: %s", self.recovered)
            self._open()

    # -- set-up ---------------------------------------------------------------------------------

    def _open(self) -> None:
        self._create_private(self.path)
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10.0)
        try:
            self._configure(conn)
            found = problem(conn)
            if found is not None:
                raise sqlite3.DatabaseError(found)
            self._conn = conn
            self._migrate()
        except BaseException:
            conn.close()
            self._conn = None
            raise

    def _open_in_memory(self) -> None:
        """A full disk must not keep the bot from answering: remember in memory until it restarts."""
        conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._configure(conn, wal=False)
        self._conn = conn
        self._migrate()
        self.recovered = (
            "No space left on device for the state file: conversation memory, question counts, gaps and "
            "feedback are kept in memory only, and lost when the bot restarts. Free some space."
        )
        log.error("state: %s", self.recovered)

    def _drop_old_damaged(self, cutoff: float) -> None:
        """A damaged file set aside still holds users' questions: it is kept no longer than they would be."""
        for old in damaged_copies(self.path):
            if old.stat().st_mtime < cutoff:
                for path in (old, *(old.with_name(old.name + s) for s in SIDECARS)):
                    path.unlink(missing_ok=True)

    @staticmethod
    def _create_private(path: Path) -> None:
        """Create the file owner-only before SQLite does; its -wal/-shm files inherit the mode."""
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        os.close(fd)

    @staticmethod
    def _configure(conn: sqlite3.Connection, wal: bool = True) -> None:
        if wal:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StateError(f"{mode}: SQLite could not switch the state file to WAL mode")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA trusted_schema=OFF")
        conn.execute("PRAGMA busy_timeout=10000")

    def _migrate(self) -> None:
        with self.transaction() as conn:
            migrate(conn, self.path)

    # -- use ------------------------------------------------------------------------------------

    def _require_open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StateError("the state store is closed")
        return self._conn

    @contextmanager
    def transaction(self, write: bool = True, best_effort: bool = False) -> Iterator[sqlite3.Connection]:
        """One lock-held transaction; IMMEDIATE for writes so a concurrent writer fails early.

        `best_effort`: on a full disk the write is skipped with a warning, because remembering a turn
        or counting a question must never stop the answer itself from going out.
        """
        with self._lock:
            conn = self._require_open()
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if best_effort and is_no_space(exc, self.path.parent):
                    log.warning("state: no space left on device; this write was skipped")
                    return
                raise

    def scrub_wal(self) -> None:
        """Copy the WAL into the database and truncate it, so erased text leaves no old page copy."""
        with self._lock:
            conn = self._require_open()
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                log.warning("state: another connection blocked the WAL checkpoint; erased rows linger in the WAL")

    def close(self) -> None:
        """Close the connection (SQLite checkpoints and removes the WAL); safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
