"""The state file's tables, its schema version, and the steps that upgrade an older file.

Our users are health-system executives, so the tables hold as little as they can: question text only
for conversation memory and for gaps, user ids only where `forget_user` must find them, and per-day
counters with no user id at all.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1
"""Bump when the schema changes and add the upgrade steps to `MIGRATIONS`."""

SCHEMA: tuple[str, ...] = (
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

MIGRATIONS: dict[int, tuple[str, ...]] = {}
"""from_version -> statements that upgrade to from_version + 1, run in one transaction."""

PERSONAL_TABLES = ("turns", "gaps", "feedback")
"""The tables whose rows are about someone (they carry user_id and created): what erasure deletes."""


class StateError(RuntimeError):
    """The state file cannot be used as is (e.g. written by a newer version of the bot)."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Within the caller's transaction: create the schema on first use, upgrade an older file, and
    refuse a file from a newer bot (its data would be misread)."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchone()
    if exists is None:
        for statement in SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
        return
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StateError(f"{path}: state schema version {version} is newer than this bot's ({SCHEMA_VERSION})")
    while version < SCHEMA_VERSION:
        steps = MIGRATIONS.get(version)
        if steps is None:
            raise StateError(f"{path}: no migration from state schema version {version}")
        for statement in steps:
            conn.execute(statement)
        version += 1
    conn.execute("UPDATE schema_version SET version = ?", (version,))
