"""What the bot remembers, in one SQLite file: conversation turns, answer counters, gaps and feedback.

Our users are health-system executives, so the store keeps as little as it can and can forget on
request:

- conversation turns: the user's question, who asked and when, only the last `max_turns` per
  (chat, forum topic), and only within `retention_days`;
- answered / unanswered counters: per-day totals with no user id (nothing in them is about anyone);
- gaps: the text of questions the knowledge base could not answer (for admins), with the asker's id
  only so that `forget_user` can delete them;
- feedback: one +1/-1 per (user, chat, message).

Deleted text is really gone: `secure_delete` zeroes freed space in the database pages, and the
erasing operations (`forget_user`, `purge_expired`) then checkpoint and truncate the write-ahead
log, which would otherwise still hold old copies of the pages. That is cheaper than a VACUUM
(which rewrites the whole file) and covers the WAL, which VACUUM alone does not.

Durability: WAL mode with synchronous=FULL, and every public write is one transaction, so a crash
or SIGKILL mid-write leaves the previous state. One connection shared by the bot's worker threads
(asyncio.to_thread) is serialised by a lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import reason
from ingest.store.space import is_no_space
from ingest.store.sqlitefile import SIDECARS, damaged_copies, is_damage, problem, set_aside

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Bump when the schema changes and add the upgrade steps to `_MIGRATIONS`."""

MAX_QUESTION_CHARS = 4096
"""Telegram's own message limit: nothing longer is ever stored, whatever a caller passes."""

MAX_GAPS = 20
_DAY = 86400.0

_SCHEMA: tuple[str, ...] = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    # thread_id is NULL outside forum topics; conversations are matched with `thread_id IS ?`.
    """CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        chat_id INTEGER NOT NULL,
        thread_id INTEGER,
        user_id INTEGER NOT NULL,
        question TEXT NOT NULL,
        created REAL NOT NULL)""",
    "CREATE INDEX turns_conversation ON turns (chat_id, thread_id, id)",
    "CREATE INDEX turns_user ON turns (user_id)",
    "CREATE INDEX turns_created ON turns (created)",
    # Per-day totals without user ids: counting needs no personal data.
    """CREATE TABLE question_counts (
        day INTEGER PRIMARY KEY,
        answered INTEGER NOT NULL DEFAULT 0,
        unanswered INTEGER NOT NULL DEFAULT 0)""",
    """CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL,
        normalized TEXT NOT NULL,
        question TEXT NOT NULL,
        created REAL NOT NULL)""",
    "CREATE INDEX gaps_normalized ON gaps (normalized)",
    "CREATE INDEX gaps_user ON gaps (user_id)",
    "CREATE INDEX gaps_created ON gaps (created)",
    """CREATE TABLE feedback (
        user_id INTEGER NOT NULL,
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        value INTEGER NOT NULL CHECK (value IN (-1, 1)),
        created REAL NOT NULL,
        PRIMARY KEY (user_id, chat_id, message_id)) WITHOUT ROWID""",
    "CREATE INDEX feedback_created ON feedback (created)",
)

_MIGRATIONS: dict[int, tuple[str, ...]] = {}
"""from_version -> statements that upgrade to from_version + 1, run in one transaction."""


class StateError(RuntimeError):
    """The state file cannot be used as is (e.g. written by a newer version of the bot)."""


@dataclass(frozen=True)
class Stats:
    """Totals within the retention window, for the admins' /stats."""

    questions: int
    answered: int
    unanswered: int
    gaps: list[tuple[str, int]]
    """(question text, times asked), most asked first, at most 20."""
    feedback_up: int
    feedback_down: int


def normalize_question(text: str) -> str:
    """The grouping key for gaps: the same question typed with other case or spacing is one gap."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _clip(text: str) -> str:
    """At most MAX_QUESTION_CHARS, and valid UTF-8 (a lone surrogate from JSON must not crash a write)."""
    return text[:MAX_QUESTION_CHARS].encode("utf-8", "replace").decode("utf-8")


class StateStore:
    """The bot's memory. Thread-safe; every method is short and blocking (call it via to_thread)."""

    def __init__(
        self,
        path: Path,
        retention_days: int,
        max_turns: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_days < 1:
            raise ValueError("retention_days must be at least 1")
        if max_turns < 0:
            raise ValueError("max_turns must not be negative")
        self.path = Path(path)
        self.retention_days = retention_days
        self.max_turns = max_turns
        self._clock = clock
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.recovered: str | None = None
        """Set when the file was damaged and started anew: what admins must be told was lost."""
        self._conn: sqlite3.Connection | None = None
        self._drop_old_damaged()
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

    def _drop_old_damaged(self) -> None:
        """A damaged file set aside still holds users' questions: it is kept no longer than they would be."""
        cutoff = self._cutoff()
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
        """Create the schema on first use; upgrade older files; refuse files from a newer bot."""
        with self._transaction() as conn:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            if exists is None:
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                return
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise StateError(
                    f"{self.path}: state schema version {version} is newer than this bot's ({SCHEMA_VERSION})"
                )
            while version < SCHEMA_VERSION:
                steps = _MIGRATIONS.get(version)
                if steps is None:
                    raise StateError(f"{self.path}: no migration from state schema version {version}")
                for statement in steps:
                    conn.execute(statement)
                version += 1
            conn.execute("UPDATE schema_version SET version = ?", (version,))

    # -- plumbing -------------------------------------------------------------------------------

    def _require_open(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StateError("the state store is closed")
        return self._conn

    @contextmanager
    def _transaction(self, write: bool = True, best_effort: bool = False) -> Iterator[sqlite3.Connection]:
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

    def _cutoff(self) -> float:
        return self._clock() - self.retention_days * _DAY

    def _scrub_wal(self) -> None:
        """Copy the WAL into the database and truncate it, so erased text leaves no old page copy."""
        with self._lock:
            conn = self._require_open()
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy:
                log.warning("state: another connection blocked the WAL checkpoint; erased rows linger in the WAL")

    # -- conversations --------------------------------------------------------------------------

    def add_turn(self, chat_id: int, thread_id: int | None, user_id: int, question: str) -> None:
        """Remember a user turn for follow-ups; older turns beyond max_turns are dropped at once."""
        if self.max_turns == 0:
            return
        conversation = (chat_id, thread_id)
        with self._transaction(best_effort=True) as conn:
            conn.execute(
                "INSERT INTO turns (chat_id, thread_id, user_id, question, created) VALUES (?, ?, ?, ?, ?)",
                (*conversation, user_id, _clip(question), self._clock()),
            )
            conn.execute(
                """DELETE FROM turns WHERE chat_id = ? AND thread_id IS ? AND id NOT IN (
                       SELECT id FROM turns WHERE chat_id = ? AND thread_id IS ? ORDER BY id DESC LIMIT ?)""",
                (*conversation, *conversation, self.max_turns),
            )

    def history(self, chat_id: int, thread_id: int | None) -> list[str]:
        """The conversation's user turns, oldest first: at most max_turns, none past retention."""
        if self.max_turns == 0:
            return []
        with self._transaction(write=False) as conn:
            rows = conn.execute(
                """SELECT question FROM (
                       SELECT id, question FROM turns
                       WHERE chat_id = ? AND thread_id IS ? AND created >= ?
                       ORDER BY id DESC LIMIT ?)
                   ORDER BY id""",
                (chat_id, thread_id, self._cutoff(), self.max_turns),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def reset(self, chat_id: int, thread_id: int | None) -> None:
        """/reset: the next question starts a new conversation."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM turns WHERE chat_id = ? AND thread_id IS ?", (chat_id, thread_id))

    # -- counters, gaps, feedback ---------------------------------------------------------------

    def record_question(self, user_id: int, answered: bool, question: str) -> None:
        """Count the question; keep its text only when unanswered, as a gap for the admins."""
        now = self._clock()
        column = "answered" if answered else "unanswered"
        with self._transaction(best_effort=True) as conn:
            conn.execute(
                f"INSERT INTO question_counts (day, {column}) VALUES (?, 1) "  # noqa: S608 - column is a literal
                f"ON CONFLICT (day) DO UPDATE SET {column} = {column} + 1",
                (int(now // _DAY),),
            )
            if answered:
                return
            text = _clip(question).strip()
            normalized = normalize_question(text)
            if normalized:
                conn.execute(
                    "INSERT INTO gaps (user_id, normalized, question, created) VALUES (?, ?, ?, ?)",
                    (user_id, normalized, text, now),
                )

    def add_feedback(self, user_id: int, chat_id: int, message_id: int, value: int) -> None:
        """A thumbs up (+1) or down (-1) on one answer; a user's second vote replaces the first."""
        if value not in (1, -1):
            raise ValueError(f"feedback value must be +1 or -1, not {value!r}")
        with self._transaction(best_effort=True) as conn:
            conn.execute(
                """INSERT INTO feedback (user_id, chat_id, message_id, value, created) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (user_id, chat_id, message_id)
                   DO UPDATE SET value = excluded.value, created = excluded.created""",
                (user_id, chat_id, message_id, value, self._clock()),
            )

    def stats(self) -> Stats:
        """Totals within retention, read in one snapshot so the numbers agree with each other."""
        cutoff = self._cutoff()
        with self._transaction(write=False) as conn:
            answered, unanswered = conn.execute(
                "SELECT COALESCE(SUM(answered), 0), COALESCE(SUM(unanswered), 0) FROM question_counts WHERE day >= ?",
                (int(cutoff // _DAY),),
            ).fetchone()
            gaps = conn.execute(
                """SELECT g.question, c.n FROM (
                       SELECT normalized, COUNT(*) AS n, MAX(id) AS last_id FROM gaps
                       WHERE created >= ? GROUP BY normalized) AS c
                   JOIN gaps AS g ON g.id = c.last_id
                   ORDER BY c.n DESC, c.last_id DESC LIMIT ?""",
                (cutoff, MAX_GAPS),
            ).fetchall()
            up, down = conn.execute(
                "SELECT COALESCE(SUM(value = 1), 0), COALESCE(SUM(value = -1), 0) FROM feedback WHERE created >= ?",
                (cutoff,),
            ).fetchone()
        return Stats(
            questions=int(answered) + int(unanswered),
            answered=int(answered),
            unanswered=int(unanswered),
            gaps=[(str(text), int(n)) for text, n in gaps],
            feedback_up=int(up),
            feedback_down=int(down),
        )

    # -- erasure --------------------------------------------------------------------------------

    def forget_user(self, user_id: int) -> int:
        """Erase every row about the user (turns, gaps, feedback), including old copies in the WAL.

        The per-day question counters carry no user id, so they stay: they are not about anyone.
        """
        with self._transaction() as conn:
            deleted = 0
            for table in ("turns", "gaps", "feedback"):
                cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608
                deleted += cursor.rowcount
        self._scrub_wal()
        log.info("state: forgot a user (%d rows)", deleted)
        return deleted

    def purge_expired(self) -> int:
        """Delete everything older than retention_days; returns the number of rows deleted."""
        cutoff = self._cutoff()
        with self._transaction() as conn:
            deleted = 0
            for table in ("turns", "gaps", "feedback"):
                cursor = conn.execute(f"DELETE FROM {table} WHERE created < ?", (cutoff,))  # noqa: S608
                deleted += cursor.rowcount
            cursor = conn.execute("DELETE FROM question_counts WHERE day < ?", (int(cutoff // _DAY),))
            deleted += cursor.rowcount
        if deleted:
            self._scrub_wal()
            log.info("state: purged %d expired rows", deleted)
        return deleted

    def close(self) -> None:
        """Close the connection (SQLite checkpoints and removes the WAL); safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
