"""The read API the bot uses: search the live index version, and follow a new one without a restart.

Every call checks (cheaply) whether another version went live and switches to it, so an admin's
ingest reaches users with no bot restart. Calls are blocking: async callers wrap them in
`asyncio.to_thread`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.errors import ModelMismatchError, NoLiveVersionError
from ingest.factory import Embedder
from ingest.settings import Settings
from ingest.store import EmbeddedBackend, ServerBackend, VersionInfo, make_backend

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """One chunk of the live version with its metadata and, for searches, its cosine similarity."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float = 0.0

    @property
    def doc_id(self) -> str:
        return str(self.metadata["doc_id"])


@dataclass
class _Live:
    info: VersionInfo
    collection: Collection
    chunks: list[Hit] | None = None


class KnowledgeIndex:
    """Reads whichever version is live; owns no writes."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embedding)
        self._backend: EmbeddedBackend | ServerBackend | None = None
        self._live: _Live | None = None
        self._stamp: object = None
        self._checked = 0.0
        self._lock = threading.RLock()

    @property
    def backend(self) -> EmbeddedBackend | ServerBackend:
        if self._backend is None:
            self._backend = make_backend(self.settings)
        return self._backend

    def _current(self) -> _Live:
        with self._lock:
            backend = self.backend
            if isinstance(backend, EmbeddedBackend):
                stamp: object = backend.live_stamp()
                stale = stamp != self._stamp
            else:
                stamp = None
                stale = time.monotonic() - self._checked >= self.settings.store.refresh_seconds
            if self._live is None or stale:
                self._checked = time.monotonic()
                name = backend.live_name()
                if name is None:
                    raise NoLiveVersionError("the knowledge base has not been ingested yet; run `python -m ingest`")
                if self._live is None or self._live.info.name != name:
                    self._switch(backend, name)
                self._stamp = stamp
            assert self._live is not None
            return self._live

    def _switch(self, backend: EmbeddedBackend | ServerBackend, name: str) -> None:
        info = backend.info(name)
        if info is None:
            raise NoLiveVersionError(f"live version {name} has no manifest; re-run the ingest")
        if info.model != self.settings.embedding.model:
            raise ModelMismatchError(
                f"the live index {name} was built with the embedding model '{info.model}' "
                f"({info.dimension} dims), but embedding.model is '{self.settings.embedding.model}'; "
                "re-run the ingest with this config or change embedding.model back"
            )
        old = self._live
        self._live = _Live(info, backend.open_snapshot(name))
        if old is not None and isinstance(backend, EmbeddedBackend):
            backend.release(old.info.name)
        log.info("serving index version %s (%d chunks)", name, info.chunk_count)

    def version(self) -> VersionInfo:
        return self._current().info

    def search(self, query: str, k: int, roles: Sequence[str] | None = None) -> list[Hit]:
        """Dense search for `query`; `roles` keeps only chunks of articles about any of those roles."""
        live = self._current()
        vector = self.embedder.embed_query(query)
        if len(vector) != live.info.dimension:
            raise ModelMismatchError(
                f"the live index {live.info.name} has {live.info.dimension}-dim vectors, the model gives {len(vector)}"
            )
        return self.search_vector(vector, k, roles)

    def search_vector(self, vector: Sequence[float], k: int, roles: Sequence[str] | None = None) -> list[Hit]:
        live = self._current()
        where: Any = None
        if roles:
            clauses = [{"roles": {"$contains": r}} for r in roles]
            where = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        result = live.collection.query(
            query_embeddings=[list(vector)],  # type: ignore[arg-type]
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        ids, docs = result["ids"][0], (result["documents"] or [[]])[0]
        metas, dists = (result["metadatas"] or [[]])[0], (result["distances"] or [[]])[0]
        # Chroma's cosine distance is 1 - cosine similarity; callers threshold on the similarity.
        return [Hit(i, d, dict(m or {}), 1.0 - float(s)) for i, d, m, s in zip(ids, docs, metas, dists, strict=True)]

    def chunks(self) -> list[Hit]:
        """Every chunk of the live version in article order, cached per version (for keyword search)."""
        live = self._current()
        with self._lock:
            if live.chunks is None:
                got = live.collection.get(include=["documents", "metadatas"])
                hits = [
                    Hit(i, d, dict(m or {}))
                    for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
                ]
                live.chunks = sorted(hits, key=lambda h: (h.doc_id, int(h.metadata.get("position", 0))))
            return live.chunks

    def roles(self) -> list[str]:
        """Every role some article is about, from the live version's manifest: new roles need no code."""
        return sorted({r for d in self.version().documents.values() for r in d.roles})

    def close(self) -> None:
        with self._lock:
            if self._backend is not None:
                self._backend.close()
            self._backend, self._live = None, None
