"""Writes a new index version's records from a fresh child process.

Chroma's HNSW files can carry uninitialised memory from the writing process, and in a long-lived
process (the bot, or an ingest that read the live version) that memory holds other articles' text,
including ones an admin just deleted. A fresh process that only ever sees the new version's records
keeps a deleted article's text out of the files we write, so pruning really erases it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from typing import Any

from ingest.errors import IngestError
from ingest.settings import Settings
from ingest.store import batched, make_backend

BATCH = 1000


class WriteFailedError(IngestError):
    """The child process that writes the version failed; the live version is untouched."""


def _die_with_parent(parent: int) -> None:
    """If the ingest that started us is killed, stop too instead of writing into a folder it may delete."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        return
    if os.getppid() != parent:
        os._exit(1)


def _write(
    settings: Settings,
    name: str,
    ids: list[str],
    embeddings: Any,
    documents: list[str],
    metadatas: list[dict[str, Any]],
    parent: int,
) -> None:
    _die_with_parent(parent)
    backend = make_backend(settings)
    try:
        collection = backend.create(name)
        for part in batched(list(range(len(ids))), BATCH):
            collection.add(
                ids=[ids[i] for i in part],
                embeddings=embeddings[part[0] : part[-1] + 1],
                documents=[documents[i] for i in part],
                metadatas=[metadatas[i] for i in part],
            )
    finally:
        backend.close()


def write_version(
    settings: Settings,
    name: str,
    ids: list[str],
    embeddings: Any,
    documents: list[str],
    metadatas: list[dict[str, Any]],
) -> None:
    """Create version `name` with these records, in a child process; raises WriteFailedError."""
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(
        target=_write, args=(settings, name, ids, embeddings, documents, metadatas, os.getpid()), daemon=True
    )
    proc.start()
    proc.join()
    if proc.exitcode != 0:
        raise WriteFailedError(
            f"writing index version {name} failed (exit code {proc.exitcode}); the live version is unchanged"
        )
