"""Versioned Chroma indexes: every ingest builds a complete new version, then one atomic switch makes it live.

Two backends behave the same:
- embedded: one PersistentClient folder per version under `store.path/versions/`, the live pointer in
  the file `store.path/LIVE` (replaced atomically). A crash can only damage a version that is not live,
  and deleting a pruned version's folder really erases its text from disk.
- server (`chroma run`): one collection per version, the live pointer and each version's manifest in a
  small `<prefix>-meta` collection.

Chroma never embeds anything itself here: we always pass `embedding_function=None` and our own vectors,
because Chroma's default embedding function would download a model.

A store that cannot be read (a stopped or hung Chroma server, an unreadable version folder) raises
StoreUnavailableError, so front ends can say "temporarily unavailable" instead of failing obscurely.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from ingest.errors import StoreUnavailableError, VersionNotFoundError
from ingest.factory import embedded_client, server_client
from ingest.settings import Settings

if TYPE_CHECKING:
    import httpx
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^v(\d{6})$")
CHUNKS = "chunks"
HNSW = {"hnsw": {"space": "cosine"}}

CONNECT_TIMEOUT_S = 2.0
"""Connecting to the Chroma server: on loopback or a private network it takes milliseconds."""
READ_TIMEOUT_S = 5.0
"""Readers (the bot): a query takes milliseconds, so a user waits at most this long for a hung server."""
WRITE_TIMEOUT_S = 120.0
"""Writers (ingest): adding a batch of records can take a while on a busy server."""

T = TypeVar("T")


@dataclass(frozen=True)
class DocEntry:
    """What a version knows about one article: enough to tell if its file changed and to prune caches."""

    path: str
    file_hash: str
    title: str
    roles: list[str]
    chunk_hashes: list[str]


@dataclass(frozen=True)
class VersionInfo:
    """The manifest written when a version is complete; its presence is the 'complete' marker."""

    name: str
    model: str
    dimension: int
    fingerprint: str
    created: str
    documents: dict[str, DocEntry] = field(default_factory=dict)

    @property
    def chunk_count(self) -> int:
        return sum(len(d.chunk_hashes) for d in self.documents.values())

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> VersionInfo:
        raw = json.loads(text)
        docs = {k: DocEntry(**v) for k, v in raw.pop("documents", {}).items()}
        return cls(documents=docs, **raw)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def version_name(number: int) -> str:
    return f"v{number:06d}"


def version_number(name: str) -> int:
    match = VERSION_RE.match(name)
    if not match:
        raise VersionNotFoundError(f"'{name}' is not a version name (expected e.g. v000012)")
    return int(match.group(1))


class Backend(Protocol):
    """What the pipeline and the reader need from a store, whichever kind it is."""

    def live_name(self) -> str | None: ...
    def set_live(self, name: str) -> None: ...
    def names(self) -> list[str]: ...
    def info(self, name: str) -> VersionInfo | None: ...
    def write_info(self, info: VersionInfo) -> None: ...
    def create(self, name: str) -> Collection: ...
    def open_snapshot(self, name: str) -> Collection: ...
    def drop(self, name: str) -> None: ...
    def close(self) -> None: ...


def _atomic_write(path: Path, text: str) -> None:
    """Write-then-rename with fsyncs, so a reader sees the old or the new content, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class EmbeddedBackend:
    """One PersistentClient folder per version, so a writer never shares a folder with readers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions_dir = root / "versions"
        self.readers_dir = root / ".readers"
        self.live_file = root / "LIVE"
        self._clients: dict[str, ClientAPI] = {}
        self._snapshots: dict[str, Path] = {}

    def live_name(self) -> str | None:
        try:
            name = self.live_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreUnavailableError(f"the live pointer {self.live_file} cannot be read ({_reason(exc)})") from exc
        return name or None

    def live_stamp(self) -> tuple[int, int] | None:
        """A cheap change detector for readers: the pointer file's inode and mtime."""
        try:
            st = self.live_file.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreUnavailableError(f"the live pointer {self.live_file} cannot be read ({_reason(exc)})") from exc
        return (st.st_ino, st.st_mtime_ns)

    def set_live(self, name: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.live_file, name + "\n")

    def names(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and VERSION_RE.match(p.name))

    def info(self, name: str) -> VersionInfo | None:
        path = self.versions_dir / name / "VERSION.json"
        try:
            return VersionInfo.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            # Unreadable or damaged (the manifest is written atomically, so not by a crash of ours).
            raise StoreUnavailableError(f"the manifest {path} cannot be read ({_reason(exc)})") from exc

    def write_info(self, info: VersionInfo) -> None:
        _atomic_write(self.versions_dir / info.name / "VERSION.json", info.to_json())

    def _client(self, name: str) -> ClientAPI:
        if name not in self._clients:
            self._clients[name] = embedded_client(self.versions_dir / name)
        return self._clients[name]

    def create(self, name: str) -> Collection:
        folder = self.versions_dir / name
        if folder.exists():
            raise FileExistsError(f"version folder {folder} already exists")
        return self._client(name).create_collection(CHUNKS, configuration=HNSW, embedding_function=None)  # type: ignore[arg-type]

    def open_snapshot(self, name: str) -> Collection:
        """Open a private copy of a version, for reading.

        Chroma rewrites a version's HNSW files whenever any process opens it, from that process's
        memory; a reader that has seen other articles (the bot, an ingest that read the live
        version) could leave their text in files we keep. Readers therefore open a copy of their
        own under `.readers/<pid>/`, removed when they let go of it.
        """
        if name not in self._clients:
            source = self.versions_dir / name
            if not source.is_dir():
                raise VersionNotFoundError(f"version {name} does not exist under {self.versions_dir}")
            # A counter in the name: two backends in one process (the bot's index and an in-process
            # ingest) must never share, and so delete, each other's copy.
            dest = self.readers_dir / str(os.getpid()) / f"{name}.{next(_COPIES)}"
            shutil.rmtree(dest, ignore_errors=True)
            try:
                shutil.copytree(source, dest)
            except OSError as exc:  # shutil.Error too: unreadable files, or the folder vanishing mid-copy
                shutil.rmtree(dest, ignore_errors=True)
                raise StoreUnavailableError(f"version {name} cannot be read from {source} ({_reason(exc)})") from exc
            self._snapshots[name] = dest
            self._clients[name] = embedded_client(dest)
        from chromadb.errors import NotFoundError

        try:
            return self._clients[name].get_collection(CHUNKS, embedding_function=None)  # type: ignore[arg-type]
        except NotFoundError as exc:  # a damaged copy: drop it, so the next attempt copies afresh
            self.release(name)
            raise VersionNotFoundError(f"version {name} under {self.versions_dir} has no index") from exc

    def release(self, name: str) -> None:
        """Close this process's client on a version (and drop its private copy), freeing memory and disk."""
        client = self._clients.pop(name, None)
        if client is not None:
            client.close()  # type: ignore[attr-defined]
        snapshot = self._snapshots.pop(name, None)
        if snapshot is not None:
            shutil.rmtree(snapshot, ignore_errors=True)

    def clean_readers(self) -> None:
        """Remove private copies left by reader processes that are gone (e.g. killed)."""
        if not self.readers_dir.is_dir():
            return
        for folder in self.readers_dir.iterdir():
            if folder.name.isdigit() and not _alive(int(folder.name)):
                shutil.rmtree(folder, ignore_errors=True)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Reads go to this process's private copy, which no one else touches: nothing to translate."""
        return fn(*args, **kwargs)

    def drop(self, name: str) -> None:
        self.release(name)
        shutil.rmtree(self.versions_dir / name, ignore_errors=True)

    def close(self) -> None:
        for name in list(self._clients):
            self.release(name)
        with contextlib.suppress(OSError):
            (self.readers_dir / str(os.getpid())).rmdir()


_COPIES = itertools.count(1)
"""Numbers this process's private version copies."""


def _reason(exc: BaseException) -> str:
    """A short cause for an admin, without a traceback."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
        _bound_timeouts(self.client, self.timeout)
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
        from chromadb.errors import NotFoundError

        # Re-fetch every time: a Collection object's metadata is a snapshot taken when it was fetched.
        # A plain get: a reader pointed at an empty server (wrong data path) must not create anything there.
        try:
            meta = self.call(
                self.client.get_collection,
                f"{self.prefix}-meta",
                embedding_function=None,  # type: ignore[arg-type]
            )
        except NotFoundError:
            return None
        value = (meta.metadata or {}).get("live")
        return str(value) if value else None

    def set_live(self, name: str) -> None:
        # One metadata write is atomic on the server: readers see the old or the new pointer.
        self.call(self.meta.modify, metadata={"live": name})

    def names(self) -> list[str]:
        cols = self.call(self.client.list_collections)
        out = []
        for col in cols:
            cname = col if isinstance(col, str) else col.name
            if cname.startswith(self.prefix + "-") and VERSION_RE.match(cname[len(self.prefix) + 1 :]):
                out.append(cname[len(self.prefix) + 1 :])
        return sorted(out)

    def info(self, name: str) -> VersionInfo | None:
        got = self.call(self.meta.get, ids=[f"info:{name}"], include=["documents"])
        docs = got.get("documents") or []
        return VersionInfo.from_json(docs[0]) if docs and docs[0] else None

    def write_info(self, info: VersionInfo) -> None:
        self.call(self.meta.upsert, ids=[f"info:{info.name}"], embeddings=[[0.0]], documents=[info.to_json()])

    def create(self, name: str) -> Collection:
        return self.call(  # type: ignore[no-any-return]
            self.client.create_collection, self._collection_name(name), configuration=HNSW, embedding_function=None
        )

    def open_snapshot(self, name: str) -> Collection:
        """On a server there are no local files to protect: the version's collection itself."""
        from chromadb.errors import NotFoundError

        try:
            return self.call(  # type: ignore[no-any-return]
                self.client.get_collection, self._collection_name(name), embedding_function=None
            )
        except NotFoundError as exc:
            raise VersionNotFoundError(f"version {name} does not exist on the Chroma server") from exc

    def drop(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self.call(self.client.delete_collection, self._collection_name(name))
        self.call(self.meta.delete, ids=[f"info:{name}"])

    def close(self) -> None:
        self.client.close()  # type: ignore[attr-defined]


def _bound_timeouts(client: ClientAPI, timeout: httpx.Timeout) -> None:
    """Give the Chroma client's HTTP session our timeouts.

    chromadb 1.5 builds its httpx.Client with `timeout=None` (chromadb/api/fastapi.py) and no setting
    reaches it (its Settings' timeouts are the server's), so a server that accepts connections but never
    answers would block a reader forever. Each HttpClient has a session of its own, so this changes no
    other client's. If a chromadb upgrade moves the session, we say so rather than fail.
    """
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = timeout
    else:
        log.warning("cannot set timeouts on the Chroma client (chromadb internals changed); requests are unbounded")


def make_backend(settings: Settings, read_timeout_s: float = WRITE_TIMEOUT_S) -> EmbeddedBackend | ServerBackend:
    """The one switch between embedded and server mode, shared by writer and reader.

    `read_timeout_s` bounds each request to a Chroma server: readers pass READ_TIMEOUT_S.
    """
    if settings.store.mode == "server":
        return ServerBackend(settings, read_timeout_s)
    return EmbeddedBackend(settings.store.path)


def complete_versions(backend: Backend) -> list[VersionInfo]:
    """Versions whose manifest was written, oldest first."""
    infos = (backend.info(n) for n in backend.names())
    return [i for i in infos if i is not None]


def batched(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
