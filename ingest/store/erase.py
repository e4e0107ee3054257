"""Compaction in place: a copy of a base with some records deleted and their text scrubbed from its files.

Why: rewriting a 3,000-article base to drop one changed article's old chunks took ~50 s (Chroma
indexing 18,000 records again), and with one change per ingest it was due nearly every ingest. Copying
the base's folder and deleting a few records from the copy takes a few seconds. Chroma's delete removes
the records from its SQLite tables (documents, metadata, full-text index), but its write log keeps the
records' adds, documents included, until the vector index (HNSW) is next saved, SQLite's free pages keep
the deleted rows' bytes, and the full-text index's old segments their terms. So the copy's index is
made to save (and Chroma to purge its log) right after the deletes, each full-text index is merged
(FTS5 `optimize`) and the SQLite file VACUUMed: then none of the deleted text, nor the deleted chunks'
ids, is in any file of the copy (tests/test_delta.py checks the bytes). What stays: the vector index
file keeps the deleted chunks' vectors (hnswlib marks them deleted, it does not erase them); the base's
manifest counts them (`dead`), and past `store.delta_share` of the base the next compaction writes the
base again in full instead (ingest.store.compact).

Runs in a fresh child process (ingest.store.writer.in_child), like every write of a version's files.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from ingest.settings import Settings
from ingest.store.backend import batched
from ingest.store.clients import embedded_client
from ingest.store.embedded import CHUNKS, EmbeddedBackend
from ingest.store.manifest import VersionInfo, copy_verified

FTS5_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE % USING fts5%'"


def erase_copy(settings: Settings, name: str, base: VersionInfo, ids: list[str]) -> int:
    """Child process: copy `base` (checked against its manifest) to `name`, delete `ids` there, scrub
    the SQLite files; returns the records left."""
    backend = EmbeddedBackend(settings.store.path)
    dest = backend.folder(name)
    copy_verified(base, backend.folder(base.name), dest)
    client = embedded_client(dest)
    try:
        collection = client.get_collection(CHUNKS, embedding_function=None)  # type: ignore[arg-type]
        kept = dict((collection.configuration or {}).get("hnsw") or {})
        # Chroma keeps every write in its log (SQLite) until the vector index is next saved, adds with their
        # documents: saving after every couple of writes makes it save, and purge the log, after the deletes.
        collection.modify(configuration={"hnsw": {"sync_threshold": 2, "batch_size": 2}})
        for part in batched(ids, int(client.get_max_batch_size())):
            collection.delete(ids=part)
        left = int(collection.count())
        restore: Any = {"sync_threshold": 1000, "batch_size": 100}  # Chroma's defaults, unless the base had others
        restore.update({key: kept[key] for key in restore if key in kept})
        collection.modify(configuration={"hnsw": restore})
    finally:
        client.close()  # type: ignore[attr-defined]
    for path in sorted(dest.glob("*.sqlite3")):
        scrub(path)
    return left


def scrub(path: Path) -> None:
    """Drop deleted rows' text from an SQLite file: merge each full-text index, then rewrite the file."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        for (table,) in db.execute(FTS5_TABLES).fetchall():
            db.execute(f'INSERT INTO "{table}"("{table}") VALUES (\'optimize\')')  # noqa: S608 - names from the schema
        db.commit()
        db.execute("VACUUM")
