"""The read API the bot uses: search the live index version, and follow a new one without a restart.

Every call checks (cheaply) whether another version went live and switches to it, so an admin's
ingest reaches users with no bot restart. Calls are blocking: async callers wrap them in
`asyncio.to_thread`.

When the store cannot be read (the Chroma server stopped, killed or hung; the live version's folder
gone or unreadable) calls raise StoreUnavailableError within seconds (store.READ_TIMEOUT_S) and keep
what they had: the version being served is never swapped for a guess. The next call tries again, so
answers resume by themselves when the store is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from ingest.embedding.cache import CacheReader
from ingest.embedding.factory import Embedder
from ingest.errors import (
    DamagedError,
    ModelMismatchError,
    NoLiveVersionError,
    StoreUnavailableError,
    VersionNotFoundError,
)
from ingest.keywords import KeywordStats, stored_keywords
from ingest.lexicon import VersionWords, stored_lexicon
from ingest.sentences import as_matrix, units_key
from ingest.settings import Settings
from ingest.store.backend import make_backend, newest_first, read_pointer, survey
from ingest.store.embedded import EmbeddedBackend
from ingest.store.hits import Hit as Hit  # re-exported: the read API's result type
from ingest.store.hits import as_hits
from ingest.store.layers import Layers, open_layers
from ingest.store.manifest import VersionInfo
from ingest.store.nearest import Query, nearest
from ingest.store.server import READ_TIMEOUT_S, ServerBackend

log = logging.getLogger(__name__)

T = TypeVar("T")

FAIL_FAST_S = 2.0
"""After a request timed out (a hung server), calls fail at once for this long instead of each waiting
out a timeout of its own: callers queued behind the first (the bot answers a few at a time) hear
"unavailable" in seconds, not in turns of READ_TIMEOUT_S. A refused connection fails at once anyway,
so it sets no window and the server's return is noticed by the very next call."""


@dataclass
class _Live:
    info: VersionInfo
    collection: Layers
    pointer: str
    """The live pointer's value this was opened for: the same version, or an older one if that is damaged."""
    chunks: list[Hit] | None = None
    keywords: KeywordStats | None = None
    roles: list[str] | None = None
    read: dict[str, Hit] = field(default_factory=dict)
    """The chunks answers have read by id, kept for the version's life: a warm answer reads none twice (at
    most every chunk, what `chunks` holds whole)."""


@dataclass(frozen=True)
class Health:
    """The knowledge base as admins see it in /stats."""

    pointer: str | None
    serving: str | None
    """The version answers come from: the live one, or an older one while the live one is damaged."""
    damage: str | None
    """What is damaged (or why nothing can be served), in one line; None when all is well."""
    articles: int = 0
    chunks: int = 0


def _pointer(backend: EmbeddedBackend | ServerBackend) -> str | DamagedError | None:
    """The live pointer's value, or what is wrong with it: a damaged pointer is served around, not raised."""
    try:
        return read_pointer(backend)
    except DamagedError as exc:
        return exc


class KnowledgeIndex:
    """Reads whichever version is live; owns no writes."""

    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, read_timeout_s: float = READ_TIMEOUT_S
    ) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embedding)
        self.read_timeout_s = read_timeout_s
        self._backend: EmbeddedBackend | ServerBackend | None = None
        self._live: _Live | None = None
        self._stamp: object = None
        self._checked = 0.0
        self._lock = threading.RLock()
        self._fail_fast_until = 0.0
        self._fail_reason = ""
        self.damage: str | None = None
        self._units = CacheReader(settings.store.path / "embeddings.sqlite3", settings.embedding.model)
        self._pins = threading.local()

    @property
    def backend(self) -> EmbeddedBackend | ServerBackend:
        if self._backend is None:  # built on first use, and again after a failed attempt (server down)
            self._backend = make_backend(self.settings, self.read_timeout_s)
        return self._backend

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Every read in this thread, until the block ends, from the version live when it began: one answer
        reads one version, even if another goes live meanwhile (it serves from the next answer on), and
        its ~40 reads need no look at the live pointer each. A pin inside a pin keeps the outer one."""
        if getattr(self._pins, "live", None) is not None:
            yield
            return
        self._pins.live = self._current()
        try:
            yield
        finally:
            self._pins.live = None

    def _current(self) -> _Live:
        pin: _Live | None = getattr(self._pins, "live", None)
        if pin is not None:
            return pin
        with self._lock:
            if time.monotonic() < self._fail_fast_until:
                raise StoreUnavailableError(self._fail_reason, timed_out=True)
            with self._noting_timeouts():
                backend = self.backend
            if isinstance(backend, EmbeddedBackend):
                stamp = backend.live_stamp()  # a stat: cheap enough to check on every call, under the lock
                if self._live is None or stamp != self._stamp:
                    self._follow(backend, _pointer(backend))
                    self._stamp = stamp
                assert self._live is not None
                return self._live
            live = self._live
            if live is not None and time.monotonic() - self._checked < self.settings.store.refresh_seconds:
                return live
            # Marked as checked before the lookup, and even if it fails: one caller looks, the others
            # keep serving what they have meanwhile, and during an outage each fails on its own request.
            self._checked = time.monotonic()
        # The pointer lookup is a request to the server: made outside the lock, so a hung server keeps
        # one caller waiting (up to the read timeout), not every caller in a queue behind it.
        with self._noting_timeouts():
            name = _pointer(backend)
        with self._lock, self._noting_timeouts():
            self._follow(backend, name)
            assert self._live is not None
            return self._live

    @contextlib.contextmanager
    def _noting_timeouts(self) -> Iterator[None]:
        """Open the fail-fast window (FAIL_FAST_S) when a request to the server times out."""
        try:
            yield
        except StoreUnavailableError as exc:
            if exc.timed_out:
                with self._lock:
                    self._fail_fast_until = time.monotonic() + FAIL_FAST_S
                    self._fail_reason = str(exc)
            raise

    def _follow(self, backend: EmbeddedBackend | ServerBackend, name: str | DamagedError | None) -> None:
        """Serve what the live pointer's value `name` leads to, opening it unless it is what we serve."""
        if name is None:
            raise NoLiveVersionError("the knowledge base has not been ingested yet; run `python -m ingest`")
        if self._live is None or self._live.pointer != str(name):
            self._switch(backend, name)

    def _switch(self, backend: EmbeddedBackend | ServerBackend, name: str | DamagedError) -> None:
        """Open the live version; if it or the pointer is damaged, the newest intact kept version instead.

        A damaged live version is never a reason to stop answering while an intact older one is kept:
        admins hear of it loudly (an ERROR line, /stats, `python -m ingest list`) and `--repair` fixes it.
        """
        old = self._live
        try:
            if isinstance(name, DamagedError):
                raise name
            self._live = self._open(backend, name, name)
            self.damage = None
        except (DamagedError, VersionNotFoundError) as exc:
            self.damage = str(exc)
            self._live = self._fallback(backend, str(name), exc)
        if old is not None and isinstance(backend, EmbeddedBackend):
            kept = {self._live.info.name, self._live.info.base}
            for unused in {old.info.name, old.info.base} - kept:  # a base both use stays open: no copy again
                if unused is not None:
                    backend.release(unused)
        log.info("serving index version %s (%d chunks)", self._live.info.name, self._live.info.chunk_count)

    def _open(self, backend: EmbeddedBackend | ServerBackend, name: str, pointer: str) -> _Live:
        info = backend.info(name)
        if info is None:
            raise VersionNotFoundError(f"the live version {name} is missing from the store")
        if info.model != self.settings.embedding.model:
            raise ModelMismatchError(
                f"the live index {name} was built with the embedding model '{info.model}' "
                f"({info.dimension} dims), but embedding.model is '{self.settings.embedding.model}'; "
                "re-run the ingest with this config or change embedding.model back"
            )
        return _Live(info, open_layers(backend, info), pointer)

    def _fallback(self, backend: EmbeddedBackend | ServerBackend, pointer: str, problem: Exception) -> _Live:
        kept = [i for i in newest_first(survey(backend).complete) if i.name != pointer]
        for info in kept:
            if info.model != self.settings.embedding.model:
                continue
            try:
                live = self._open(backend, info.name, pointer)
            except (DamagedError, VersionNotFoundError) as exc:
                log.error("kept version %s cannot be served either: %s", info.name, exc)
                continue
            log.error("%s; serving the kept version %s instead. Run `python -m ingest --repair`.", problem, info.name)
            return live
        log.error("%s, and no intact kept version is left. Run `python -m ingest --repair`.", problem)
        raise StoreUnavailableError(f"{problem}; no intact kept version to serve")

    def health(self) -> Health:
        """What admins see in /stats and the CLI: the version served, and what is damaged, if anything."""
        try:
            live = self._current()
        except (StoreUnavailableError, NoLiveVersionError) as exc:
            return Health(None, None, str(exc))
        return Health(live.pointer, live.info.name, self.damage, len(live.info.documents), live.info.chunk_count)

    def version(self) -> VersionInfo:
        return self._current().info

    def live_collection(self) -> Layers:
        """The live version's collections (base and delta, ingest.store.layers), read-only by convention:
        the benchmark's floor queries exactly what the bot reads. Answering code goes through search()."""
        return self._current().collection

    def search(self, query: str, k: int, roles: Sequence[str] | None = None) -> list[Hit]:
        """Dense search for `query`; `roles` keeps only chunks of articles about any of those roles."""
        live = self._current()
        vector = self.embedder.embed_query(query)
        if len(vector) != live.info.dimension:
            raise ModelMismatchError(
                f"the live index {live.info.name} has {live.info.dimension}-dim vectors, the model gives {len(vector)}"
            )
        return self.search_vector(vector, k, roles)

    def _read(self, op: Callable[[Layers], T]) -> tuple[_Live, T]:
        """Run `op` on the live version's collection.

        Connection failures become StoreUnavailableError. A collection the server no longer knows (its
        handle is stale: the version was dropped, or the server came back with other data) is looked up
        again by name once, and if that fails too the store is unavailable: never a wrong version.
        """
        from chromadb.errors import NotFoundError

        live = self._current()
        try:
            with self._noting_timeouts():
                return live, self.backend.call(op, live.collection)
        except NotFoundError:
            log.warning("index version %s is gone from the store; looking up the live version again", live.info.name)
        with self._lock:
            if self._live is live:
                self._live = None
        pinned = getattr(self._pins, "live", None) is not None
        self._pins.live = None  # a pinned version that is gone: the pin moves to the live one
        live = self._current()
        if pinned:
            self._pins.live = live
        try:
            with self._noting_timeouts():
                return live, self.backend.call(op, live.collection)
        except NotFoundError as exc:
            raise StoreUnavailableError(f"the live version {live.info.name} cannot be read: {exc}") from exc

    def search_vector(self, vector: Sequence[float], k: int, roles: Sequence[str] | None = None) -> list[Hit]:
        """The k chunks closest to `vector` (nearest()), read from one version."""
        with self.pinned():
            found = self.nearest(vector, k, roles)
            by_id = {h.id: h for h in self.hits([i for i, _ in found])}
        return [replace(by_id[i], score=score) for i, score in found if i in by_id]

    def nearest(self, vector: Sequence[float], k: int, roles: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """The ids of the k chunks closest to `vector` and their cosine similarity, no text read
        (ingest.store.nearest); with `roles`, only chunks of articles about one of them."""
        with self.pinned():  # the role's chunks and the neighbours from one version
            return nearest(self._query(vector), k, roles, self.keywords)

    def _query(self, vector: Sequence[float]) -> Query:
        """A query of the live version for `vector`'s neighbours, as ingest.store.nearest asks it."""
        embeddings: Any = [list(vector)]
        return lambda n, where: self._read(
            lambda c: c.query(query_embeddings=embeddings, n_results=n, where=where, include=["distances"])
        )[1]

    def chunks(self) -> list[Hit]:
        """Every chunk of the live version in article order, cached per version: only what needs every
        chunk's text asks (the sources list, a version whose lexicon or keyword statistics were not stored)."""
        live = self._current()
        with self._lock:
            if live.chunks is None:
                live, got = self._read(lambda layers: layers.get_all())
                live.chunks = sorted(as_hits(got), key=lambda h: (h.doc_id, int(h.metadata.get("position", 0))))
                live.read.update((h.id, h) for h in live.chunks)  # by id too, built once: see _hits_in
            return live.chunks

    def keywords(self) -> KeywordStats:
        """The live version's keyword statistics (ingest.keywords) as its ingest stored them, or, for a
        version ingested before they were, computed once from its chunks (INFO)."""
        live = self._current()
        with self._lock:
            if live.keywords is None:
                stats = stored_keywords(self._units, live.info)
                if stats is None:
                    why = "no stored keyword statistics (ingested before they were stored): computing them from"
                    log.info("index version %s has %s every chunk; the next ingest stores them", live.info.name, why)
                    stats = KeywordStats.from_chunks([(h.id, h.text, h.metadata) for h in self.chunks()])
                live.keywords = stats
            return live.keywords

    def hits(self, ids: Sequence[str]) -> list[Hit]:
        """These chunks of the live version, in the order given (an id it does not show is left out)."""
        return self._hits_in(ids)[1]

    def _hits_in(self, ids: Sequence[str]) -> tuple[_Live, list[Hit]]:
        live = self._current()
        # A version read whole (the sources list, an old version) has every chunk in `read` already: a dict
        # of every chunk built here per call cost time in step with the corpus on every answer after /sources.
        missing = [i for i in ids if i not in live.read]
        if missing:
            live, got = self._read(lambda layers: layers.get(ids=missing))
            with self._lock:
                live.read.update((h.id, h) for h in as_hits(got))
        return live, [live.read[i] for i in ids if i in live.read]

    def unit_vectors(self, chunk_hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks' quotable units (ingest.sentences), one matrix per chunk hash,
        rows in ingest.chunking.units() order; a chunk whose matrix is not stored is absent."""
        dimension = self.version().dimension
        found = self._units.get_many([units_key(h) for h in chunk_hashes])
        return {h: as_matrix(found[units_key(h)], dimension) for h in chunk_hashes if units_key(h) in found}

    def stored_lexicon(self) -> VersionWords | None:
        """The live version's lexicon as its ingest stored it (ingest.lexicon), or None if it was not."""
        return stored_lexicon(self._units, self.version())

    def roles(self) -> list[str]:
        """Every role some article is about, from the live version's manifest: new roles need no code.
        Kept per version: answering asks several times a question, and the manifest lists every article."""
        live = self._current()
        if live.roles is None:
            live.roles = sorted({r for d in live.info.documents.values() for r in d.roles})
        return list(live.roles)

    def close(self) -> None:
        with self._lock:
            if self._backend is not None:
                self._backend.close()
            self._backend, self._live = None, None
        self._units.close()
