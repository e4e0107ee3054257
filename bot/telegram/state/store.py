"""What the bot remembers, behind one object: conversation turns, answer counters, gaps and feedback.

- conversation turns: the user's question, who asked and when, only the last `max_turns` per
  (chat, forum topic), and only within `retention_days`;
- answered / unanswered counters: per-day totals with no user id (nothing in them is about anyone);
- gaps: the text of questions the knowledge base could not answer (for admins), with the asker's id
  only so that `forget_user` can delete them;
- feedback: one +1/-1 per (user, chat, message).

The file itself (privacy, durability, recovery) is `database`; the tables `schema`; forgetting `erasure`.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.telegram.state import erasure
from bot.telegram.state.database import StateDB
from bot.telegram.state.erasure import DAY_S

MAX_QUESTION_CHARS = 4096
"""Telegram's own message limit: nothing longer is ever stored, whatever a caller passes."""

MAX_GAPS = 20


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
        self.retention_days = retention_days
        self.max_turns = max_turns
        self._clock = clock
        self.db = StateDB(Path(path), self._cutoff())
        """The open file; tests read it through `db.transaction(write=False)`."""

    @property
    def path(self) -> Path:
        return self.db.path

    @property
    def recovered(self) -> str | None:
        """Set when the file was damaged (or the disk full): what admins must be told was lost."""
        return self.db.recovered

    def _cutoff(self) -> float:
        return self._clock() - self.retention_days * DAY_S

    # -- conversations --------------------------------------------------------------------------

    def add_turn(self, chat_id: int, thread_id: int | None, user_id: int, question: str) -> None:
        """Remember a user turn for follow-ups; older turns beyond max_turns are dropped at once."""
        if self.max_turns == 0:
            return
        conversation = (chat_id, thread_id)
        with self.db.transaction(best_effort=True) as conn:
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
        with self.db.transaction(write=False) as conn:
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
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM turns WHERE chat_id = ? AND thread_id IS ?", (chat_id, thread_id))

    # -- counters, gaps, feedback ---------------------------------------------------------------

    def record_question(self, user_id: int, answered: bool, question: str) -> None:
        """Count the question; keep its text only when unanswered, as a gap for the admins."""
        now = self._clock()
        column = "answered" if answered else "unanswered"
        with self.db.transaction(best_effort=True) as conn:
            conn.execute(
                f"INSERT INTO question_counts (day, {column}) VALUES (?, 1) "  # noqa: S608 - column is a literal
                f"ON CONFLICT (day) DO UPDATE SET {column} = {column} + 1",
                (int(now // DAY_S),),
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
        with self.db.transaction(best_effort=True) as conn:
            conn.execute(
                """INSERT INTO feedback (user_id, chat_id, message_id, value, created) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (user_id, chat_id, message_id)
                   DO UPDATE SET value = excluded.value, created = excluded.created""",
                (user_id, chat_id, message_id, value, self._clock()),
            )

    def stats(self) -> Stats:
        """Totals within retention, read in one snapshot so the numbers agree with each other."""
        cutoff = self._cutoff()
        with self.db.transaction(write=False) as conn:
            answered, unanswered = conn.execute(
                "SELECT COALESCE(SUM(answered), 0), COALESCE(SUM(unanswered), 0) FROM question_counts WHERE day >= ?",
                (int(cutoff // DAY_S),),
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
        """/forget_me: every row about the user, in every chat (see `erasure.forget_user`)."""
        return erasure.forget_user(self.db, user_id)

    def purge_expired(self) -> int:
        """Delete everything older than retention_days; returns the number of rows deleted."""
        return erasure.purge_expired(self.db, self._cutoff())

    def close(self) -> None:
        """Close the file; safe to call twice."""
        self.db.close()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
