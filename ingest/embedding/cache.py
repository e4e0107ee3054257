"""Embedding cache keyed by (model, content hash): unchanged text is never embedded twice.

Hand-written rather than LangChain's CacheBackedEmbeddings because we need batched look-ups with
hit/miss counts for the ingest report, compact float32 blobs in one SQLite file, and pruning by the
hashes that kept versions still reference. It stores vectors only, never text, and beside them the
lexicons of articles and versions (ingest.lexicon: word counts and names) and their keyword statistics
(ingest.keywords: term counts per chunk), both derived from kept text and pruned with it, so that what
answering reads from the ingest sits in one file with one writer.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ingest.store.space import is_no_space
from ingest.store.sqlitefile import is_damage, problem, set_aside

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    model TEXT NOT NULL,
    hash TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (model, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lexicons (
    model TEXT NOT NULL,
    key TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (model, key)
) WITHOUT ROWID
"""


class EmbeddingCache:
    """One SQLite file under store.path; only the (single) ingest writer opens it.

    A damaged cache (unreadable, not a database, failing SQLite's quick check) is moved aside and a
    new one started: `damage` then says what was found, for the ingest report.
    """

    def __init__(self, path: Path, model: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.damage: str | None = None
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:  # OperationalError too: e.g. a file we may not read
            if not is_damage(exc) or is_no_space(exc, path.parent):
                raise
            aside = set_aside(path)
            self.damage = f"the embedding cache was damaged ({exc}); moved aside to {aside.name} and started anew"
            log.error("%s", self.damage)
            self._db = self._open(path)

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # The lexicons hold the articles' words and names: a pruned row is overwritten, not left in a free page.
            db.execute("PRAGMA secure_delete=ON")
            found = problem(db)
            if found is not None:
                raise sqlite3.DatabaseError(found)
            db.executescript(_SCHEMA)
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """float32 vectors (read-only views on the stored bytes, not lists of Python floats: at 21,000
        chunks lists cost ~250 MB more than arrays)."""
        return _select(self._db, self.model, hashes)

    def put_many(self, items: Iterable[tuple[str, Sequence[float] | np.ndarray]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors (model, hash, vector) VALUES (?, ?, ?)",
            ((self.model, key, np.asarray(vec, dtype=np.float32).tobytes()) for key, vec in items),
        )
        self._db.commit()

    def get_blobs(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Stored lexicons (ingest.lexicon) by key; a key not stored is absent."""
        return _select_blobs(self._db, self.model, keys)

    def stored_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of these keys have a stored body, without reading the bodies: a delta ingest at 3,000 articles
        checks every shared article's parts, and reading them only to throw them away doubled its reads."""
        return {key for key, _ in _select_rows(self._db, "lexicons", "key", "NULL", self.model, keys)}

    def put_blobs(self, items: Iterable[tuple[str, bytes]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO lexicons (model, key, body) VALUES (?, ?, ?)",
            ((self.model, key, body) for key, body in items),
        )
        self._db.commit()

    def prune(self, keep: set[str]) -> int:
        """Drop vectors and lexicons (of every model) that no kept version references; returns how many."""
        stale = 0
        for table, column in (("vectors", "hash"), ("lexicons", "key")):
            # Only fixed table and column names are interpolated; values are bound parameters.
            rows = self._db.execute(f"SELECT model, {column} FROM {table}").fetchall()  # noqa: S608
            gone = [(m, h) for m, h in rows if not (m == self.model and h in keep)]
            self._db.executemany(f"DELETE FROM {table} WHERE model = ? AND {column} = ?", gone)  # noqa: S608
            stale += len(gone)
        self._db.commit()
        self.settle()  # nor left in the write-ahead log: its old frames go once they are in the database file
        return stale

    def settle(self) -> None:
        """Move what was written into the database file and empty the write-ahead log, as a close would: a run
        keeps the cache open (CacheForRun), and a full log would take the room the version needs."""
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self._db.close()


def _select_rows(
    db: sqlite3.Connection, table: str, key: str, value: str, model: str, keys: Sequence[str]
) -> Iterator[Any]:
    """(key, value) rows of `table` for these keys, 500 at a time (SQLite's bound-parameter limit)."""
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        part = unique[start : start + 500]
        marks = ",".join("?" * len(part))
        # Only our own names and '?' placeholders are interpolated; values are bound parameters.
        yield from db.execute(
            f"SELECT {key}, {value} FROM {table} WHERE model = ? AND {key} IN ({marks})",  # noqa: S608
            [model, *part],
        )


def _select(db: sqlite3.Connection, model: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    rows = _select_rows(db, "vectors", "hash", "vector", model, hashes)
    return {key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows}


def _select_blobs(db: sqlite3.Connection, model: str, keys: Sequence[str]) -> dict[str, bytes]:
    return {key: bytes(body) for key, body in _select_rows(db, "lexicons", "key", "body", model, keys)}


class CacheReader:
    """Read-only look-ups for answering processes (the stored unit vectors, ingest.sentences).

    Never writes and never moves a damaged file aside: that is the ingest writer's call. A cache that is
    missing or unreadable yields nothing, and the caller embeds what it needed instead (slower, same
    vectors), so answers never depend on it being there.
    """

    def __init__(self, path: Path, model: str) -> None:
        self.path = path
        self.model = model
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._warned = False

    def get_many(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        with self._lock:
            try:
                if self._db is None:
                    if not self.path.exists():
                        return {}
                    self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
                return _select(self._db, self.model, keys)
            except sqlite3.Error as exc:
                if not self._warned:
                    log.warning("the stored sentence vectors cannot be read (%s); embedding them instead", exc)
                    self._warned = True
                self.close_unlocked()
                return {}

    def get_blob(self, key: str) -> bytes | None:
        """A stored lexicon (ingest.lexicon), or None: not stored (a cache written before lexicons were,
        or none at all), or unreadable; the caller then computes it."""
        with self._lock:
            try:
                if self._db is None:
                    if not self.path.exists():
                        return None
                    self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
                return _select_blobs(self._db, self.model, [key]).get(key)
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):
                    log.warning("the stored lexicon cannot be read (%s); computing it instead", exc)
                return None
            except sqlite3.Error as exc:
                log.warning("the stored lexicon cannot be read (%s); computing it instead", exc)
                self.close_unlocked()
                return None

    def close_unlocked(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()


class CacheForRun:
    """The ingest's embedding cache, opened on first use and kept until the run ends: each open runs SQLite's
    quick check of every page (0.12-0.2 s at 3,000 articles), and a run used to open it up to three times."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        self._cache: EmbeddingCache | None = None

    def get(self) -> EmbeddingCache:
        if self._cache is None:
            self._cache = EmbeddingCache(self.path, self.model)
        return self._cache

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def __enter__(self) -> CacheForRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
