"""Writes a new index version's records from a fresh child process.

Chroma's HNSW files can carry uninitialised memory from the writing process, and in a long-lived
process (the bot, or an ingest that read the live version) that memory holds other articles' text,
including ones an admin just deleted. A fresh process that only ever sees the new version's records
keeps a deleted article's text out of the files we write, so pruning really erases it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sqlite3
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from ingest.child import die_with_parent
from ingest.errors import IngestError, NoSpaceError
from ingest.settings import Settings
from ingest.store.backend import batched, make_backend
from ingest.store.layers import Result, shown_query
from ingest.store.space import is_no_space

log = logging.getLogger(__name__)

BATCH_CAP = 5000
"""Records per add(): as many as Chroma takes at once (its own limit, 5,461 embedded), up to this.
Adding the 3,000-article records (18,106) standalone took 43-47 s in batches of 5,461 against
50-60 s in batches of 1,000 (2 cores, load 7-8); the whole one-changed CLI re-ingest gained less
(README "One article changed at 3,000"): what is left is Chroma indexing every record again."""
NO_SPACE_REPLY = "no space"
PROBE_KEYS = ("distances", "metadatas")
Records = tuple[list[str], Any, list[str], list[dict[str, Any]]]
"""ids, float32 embeddings (n x dim), documents, metadatas."""


class WriteFailedError(IngestError):
    """The child process that writes the version failed; the live version is untouched."""


def _serve(parent: int, conn: Connection) -> None:
    """Child process: import Chroma at once, then run the one job the parent sends (or none: the parent
    closed the pipe or ended us because it needed no write)."""
    die_with_parent(parent, 1)
    import chromadb  # noqa: F401  # the ~1 s a new interpreter spends here is what starting early saves

    try:
        work, settings, name, args = conn.recv()
    except EOFError:
        return
    _child(work, settings, name, args, conn)


def _child(work: Callable[..., Any], settings: Settings, name: str, args: tuple[Any, ...], reply: Connection) -> None:
    from chromadb.errors import ChromaError

    try:
        reply.send(work(settings, name, *args))
    except (OSError, ChromaError, sqlite3.Error) as exc:
        # The parent only learns an exit code; whether the disk was full is what an admin must hear.
        # Chroma's Rust core reports SQLite's SQLITE_FULL only in its message ("database or disk is full").
        full = is_no_space(exc, settings.store.path) or "disk is full" in str(exc)
        reply.send(NO_SPACE_REPLY if full else None)
        log.debug("writing index version %s failed", name, exc_info=True)  # no traceback on an admin's console
        raise SystemExit(1) from exc


def _records(settings: Settings, name: str, records: Records, probes: Any, k: int) -> Result:
    ids, embeddings, documents, metadatas = records
    backend = make_backend(settings)
    try:
        collection = backend.create(name)
        for part in batched(list(range(len(ids))), min(BATCH_CAP, backend.max_batch_size(name))):
            collection.add(
                ids=[ids[i] for i in part],
                embeddings=embeddings[part[0] : part[-1] + 1],
                documents=[documents[i] for i in part],
                metadatas=[metadatas[i] for i in part],
            )
        # The gate's queries run here too: opening a version from a process that has read other
        # articles would let that process's memory reach the version's files.
        # A delta's results are merged with its base's in the parent (ingest.store.layers), by distance.
        return shown_query(collection, len(ids), frozenset(), probes, k, None, list(PROBE_KEYS))
    finally:
        backend.close()


def write_version(
    settings: Settings, name: str, records: Records, probes: Any, k: int, children: FreshChildren | None = None
) -> Result:
    """Create version (or base) `name` with these records in a child process, and run the gate's probe
    vectors against it; returns each probe's k nearest records (ids, distances, metadatas), best first."""
    found = in_child(_records, settings, name, (records, probes, k), children)
    if not isinstance(found, dict):
        raise WriteFailedError(f"writing index version {name} failed; the live version is unchanged")
    return found


class _Child:
    """One spawned process waiting for its one job (_serve)."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(os.getpid(), theirs), daemon=True)
        self.proc.start()
        theirs.close()

    def run(self, work: Callable[..., Any], settings: Settings, name: str, args: tuple[Any, ...]) -> Any:
        found: Any = None
        try:
            self.conn.send((work, settings, name, args))
            found = self.conn.recv()
        except (EOFError, BrokenPipeError):
            found = None
        finally:
            self.conn.close()
        self.proc.join()
        if found == NO_SPACE_REPLY:
            raise NoSpaceError(
                f"no space left on device while writing index version {name}; the live version is unchanged"
            )
        if self.proc.exitcode != 0 or found is None:
            raise WriteFailedError(
                f"writing index version {name} failed (exit code {self.proc.exitcode}); the live version is unchanged"
            )
        return found

    def dismiss(self) -> None:
        """End a child that got no job: it holds no data, so it is simply stopped."""
        self.conn.close()
        self.proc.terminate()
        self.proc.join()


class FreshChildren:
    """Children started ahead of their job, so that a new interpreter's start (importing Chroma, ~1 s of a
    one-changed re-ingest) overlaps the parent's own work. Each still runs one job and exits: started
    early, a child has seen no records before its job, which is all the module docstring asks."""

    def __init__(self) -> None:
        self._ready: list[_Child] = []

    def prepare(self) -> None:
        """Start one more child now, for a job to come."""
        self._ready.append(_Child())

    def run(self, work: Callable[..., Any], settings: Settings, name: str, args: tuple[Any, ...]) -> Any:
        child = self._ready.pop(0) if self._ready else _Child()
        return child.run(work, settings, name, args)

    def close(self) -> None:
        """Stop the children no job came for."""
        while self._ready:
            self._ready.pop().dismiss()

    def __enter__(self) -> FreshChildren:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def in_child(
    work: Callable[..., Any],
    settings: Settings,
    name: str,
    args: tuple[Any, ...],
    children: FreshChildren | None = None,
) -> Any:
    """Run `work(settings, name, *args)` in a fresh spawned process (see the module docstring), one of
    `children` when given, and return what it returns; NoSpaceError or WriteFailedError when it fails (the
    live version is untouched)."""
    return (children or FreshChildren()).run(work, settings, name, args)
