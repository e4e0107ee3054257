"""Forgetting: a user's rows on request (/forget_me), and everything past the retention window.

Both really erase: the rows go in one transaction, then the write-ahead log is scrubbed so no old
page copy of the text is left behind (see `database`).
"""

from __future__ import annotations

import logging

from bot.telegram.state.database import StateDB
from bot.telegram.state.schema import PERSONAL_TABLES

log = logging.getLogger(__name__)

DAY_S = 86400.0


def forget_user(db: StateDB, user_id: int) -> int:
    """Erase every row about the user (turns, gaps, feedback), including old copies in the WAL.

    The per-day question counters carry no user id, so they stay: they are not about anyone.
    """
    with db.transaction() as conn:
        deleted = 0
        for table in PERSONAL_TABLES:
            cursor = conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608
            deleted += cursor.rowcount
    db.scrub_wal()
    log.info("state: forgot a user (%d rows)", deleted)
    return deleted


def purge_expired(db: StateDB, cutoff: float) -> int:
    """Delete everything older than `cutoff` (a timestamp); returns the number of rows deleted."""
    with db.transaction() as conn:
        deleted = 0
        for table in PERSONAL_TABLES:
            cursor = conn.execute(f"DELETE FROM {table} WHERE created < ?", (cutoff,))  # noqa: S608
            deleted += cursor.rowcount
        cursor = conn.execute("DELETE FROM question_counts WHERE day < ?", (int(cutoff // DAY_S),))
        deleted += cursor.rowcount
    if deleted:
        db.scrub_wal()
        log.info("state: purged %d expired rows", deleted)
    return deleted
