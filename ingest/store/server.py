"""The server store (`chroma run`): one collection per version, the live pointer and each version's
manifest in a small `<prefix>-meta` collection.

A stopped, killed or hung server becomes StoreUnavailableError within seconds; a version whose
collection is gone or does not hold what its manifest says becomes VersionDamagedError, so readers
can serve an intact older version, as in embedded mode.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.errors import StoreUnavailableError, VersionDamagedError, VersionNotFoundError, reason
from ingest.settings import Settings
from ingest.store.clients import HNSW, server_client
from ingest.store.manifest import BASE_RE, VERSION_RE, VersionInfo, pointer_value

if TYPE_CHECKING:
    import httpx
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 2.0
"""Connecting to the Chroma server: on loopback or a private network it takes milliseconds."""
READ_TIMEOUT_S = 5.0
"""Readers (the bot): a query takes milliseconds, so a user waits at most this long for a hung server."""
WRITE_TIMEOUT_S = 120.0
"""Writers (ingest): adding a batch of records can take a while on a busy server."""

T = TypeVar("T")


class ServerBackend:
    """One collection per version on a `chroma run` server; pointer and manifests in `<prefix>-meta`.

    No request waits longer than `read_timeout_s` for an answer, and a stopped, killed or hung server
    becomes StoreUnavailableError. The HTTP client reconnects by itself, so when the server is back
    (same data) the same backend and its collections work again: nothing needs a restart.
    """

    def __init__(self, settings: Settings, read_timeout_s: float = WRITE_TIMEOUT_S) -> None:
        import httpx

        store = settings.store
        self.prefix = store.collection_prefix
        self.where = f"{store.host}:{store.port}"
        self.timeout = httpx.Timeout(read_timeout_s, connect=CONNECT_TIMEOUT_S)
        # HttpClient() makes its first requests with no timeout at all: a bounded heartbeat first means
        # a hung server costs the caller seconds, not forever.
        scheme = "https" if store.ssl else "http"
        beat = self.call(httpx.get, f"{scheme}://{store.host}:{store.port}/api/v2/heartbeat", timeout=self.timeout)
        if beat.status_code >= 500:  # a proxy in front of a stopped server answers, but with 502/503
            raise StoreUnavailableError(f"the Chroma server at {self.where} answered HTTP {beat.status_code}")
        self.client = self.call(server_client, store)
        if not bound_timeouts(self.client, self.timeout):
            log.warning("cannot set timeouts on the Chroma client (chromadb internals changed); requests are unbounded")
        self._meta: Collection | None = None

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run one request; connection failures and timeouts become the domain error front ends phrase
        for users. Chroma's own errors (a missing collection, a bad query) pass through unchanged."""
        import httpx

        try:
            return fn(*args, **kwargs)
        except (httpx.TransportError, ConnectionError) as exc:  # TransportError: refused, reset, timeouts
            raise StoreUnavailableError(
                f"the Chroma server at {self.where} is not reachable ({exc.__class__.__name__})",
                timed_out=isinstance(exc, httpx.TimeoutException),
            ) from exc
        except Exception as exc:  # narrowed at once to chromadb's plain Exception, see below
            if type(exc) is not Exception:
                raise
            # chromadb raises a plain Exception(body) for an error answer that is not its own JSON: a
            # proxy's 502 page while the server is down, a bare 500. The body may be a whole HTML page.
            raise StoreUnavailableError(f"the Chroma server at {self.where} answered with an HTTP error") from exc

    @property
    def meta(self) -> Collection:
        if self._meta is None:
            self._meta = self.call(
                self.client.get_or_create_collection,
                f"{self.prefix}-meta",
                embedding_function=None,  # type: ignore[arg-type]
            )
        return self._meta

    def _collection_name(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def live_name(self) -> str | None:
        # Re-fetch every time: a Collection object's metadata is a snapshot taken when it was fetched.
        meta = self._existing_meta()
        value = (meta.metadata or {}).get("live") if meta is not None else None
        return pointer_value(str(value)) if value is not None else None

    def set_live(self, name: str) -> None:
        # One metadata write is atomic on the server: readers see the old or the new pointer.
        self.call(self.meta.modify, metadata={"live": name})

    def names(self) -> list[str]:
        """Versions with a collection or a manifest: a manifest whose collection is gone is a damaged
        version to report and drop, not one to forget silently."""
        return self._named(VERSION_RE)

    def base_names(self) -> list[str]:
        """Compacted bases (ingest.store.layers), found as names() finds versions."""
        return self._named(BASE_RE)

    def _named(self, pattern: re.Pattern[str]) -> list[str]:
        cols = self.call(self.client.list_collections)
        out = set()
        for col in cols:
            cname = col if isinstance(col, str) else col.name
            if cname.startswith(self.prefix + "-") and pattern.match(cname[len(self.prefix) + 1 :]):
                out.add(cname[len(self.prefix) + 1 :])
        meta = self._existing_meta()
        if meta is not None:
            ids = self.call(meta.get, include=[])["ids"]
            out |= {i[len("info:") :] for i in ids if i.startswith("info:") and pattern.match(i[len("info:") :])}
        return sorted(out)

    def _existing_meta(self) -> Collection | None:
        """The meta collection if it exists; a reader pointed at an empty server must not create it."""
        from chromadb.errors import NotFoundError

        try:
            return self.call(  # type: ignore[no-any-return]
                self.client.get_collection, f"{self.prefix}-meta", embedding_function=None
            )
        except NotFoundError:
            return None

    def info(self, name: str) -> VersionInfo | None:
        """The manifest, None for an incomplete version; VersionDamagedError if it cannot be trusted."""
        got = self.call(self.meta.get, ids=[f"info:{name}"], include=["documents"])
        docs = got.get("documents") or []
        if not docs or not docs[0]:
            return None
        try:
            return VersionInfo.from_json(docs[0])
        except (ValueError, TypeError, KeyError) as exc:
            raise VersionDamagedError(name, f"its manifest cannot be read ({reason(exc)})") from exc

    def write_info(self, info: VersionInfo) -> VersionInfo:
        self.call(self.meta.upsert, ids=[f"info:{info.name}"], embeddings=[[0.0]], documents=[info.to_json()])
        return info

    def create(self, name: str) -> Collection:
        return self.call(  # type: ignore[no-any-return]
            self.client.create_collection, self._collection_name(name), configuration=HNSW, embedding_function=None
        )

    def max_batch_size(self, name: str) -> int:
        """The most records one add() takes, as the server says (the same for every collection)."""
        return int(self.call(self.client.get_max_batch_size))

    def open_snapshot(self, name: str) -> Collection:
        """On a server there are no local files to protect: the version's collection itself, checked
        against its manifest's chunk count (the server's own files are the server's to verify)."""
        from chromadb.errors import ChromaError, NotFoundError

        info = self.info(name)
        if info is None:
            raise VersionNotFoundError(f"version {name} does not exist (or is incomplete) on the Chroma server")
        try:
            collection = self.call(self.client.get_collection, self._collection_name(name), embedding_function=None)
            count = self.call(collection.count)
        except NotFoundError as exc:
            raise VersionDamagedError(name, "its collection is gone from the Chroma server") from exc
        except ChromaError as exc:
            raise VersionDamagedError(name, f"the Chroma server cannot read it ({exc.__class__.__name__})") from exc
        if count != info.stored_count:
            raise VersionDamagedError(name, f"its collection holds {count} chunks, its manifest {info.stored_count}")
        return collection  # type: ignore[no-any-return]

    def verify(self, info: VersionInfo) -> None:
        """The server's data is the server's: its collection is there and holds what the manifest says."""
        self.open_snapshot(info.name)

    def drop(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self.call(self.client.delete_collection, self._collection_name(name))
        self.call(self.meta.delete, ids=[f"info:{name}"])

    def close(self) -> None:
        self.client.close()  # type: ignore[attr-defined]


def bound_timeouts(client: ClientAPI, timeout: httpx.Timeout) -> bool:
    """Give the Chroma client's HTTP session our timeouts; False if chromadb no longer lets us.

    The one place this project reaches into chromadb's internals, because there is no public way:
    chromadb 1.5 builds its httpx.Client with `timeout=None` (chromadb/api/fastapi.py), HttpClient
    takes no session or transport, and its Settings' timeouts are the server's. Without this, a
    server that accepts connections but never answers would block a reader forever. Each HttpClient
    has a session of its own, so this changes no other client's. tests/test_chroma_adapter.py fails,
    naming this function, when a chromadb upgrade moves the session; at run time we log and go on.
    """
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if not isinstance(session, httpx.Client):
        return False
    session.timeout = timeout
    return True
