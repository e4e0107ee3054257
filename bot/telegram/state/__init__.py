"""What the bot remembers, in one SQLite file, keeping as little as it can and forgetting on request.

`store` is the API handlers use (StateStore); `database` the file (owner-only, WAL, recovery,
erasing for real); `schema` the tables and migrations; `erasure` /forget_me and retention.
"""

from bot.telegram.state.database import StateDB
from bot.telegram.state.schema import SCHEMA_VERSION, StateError
from bot.telegram.state.store import MAX_GAPS, MAX_QUESTION_CHARS, StateStore, Stats, normalize_question

__all__ = [
    "MAX_GAPS",
    "MAX_QUESTION_CHARS",
    "SCHEMA_VERSION",
    "StateDB",
    "StateError",
    "StateStore",
    "Stats",
    "normalize_question",
]
