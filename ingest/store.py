"""Versioned Chroma indexes: every ingest builds a complete new version, then one atomic switch makes it live.

Two backends behave the same:
- embedded: one PersistentClient folder per version under `store.path/versions/`, the live pointer in
  the file `store.path/LIVE` (replaced atomically). A crash can only damage a version that is not live,
  and deleting a pruned version's folder really erases its text from disk.
- server (`chroma run`): one collection per version, the live pointer and each version's manifest in a
  small `<prefix>-meta` collection.

Chroma never embeds anything itself here: we always pass `embedding_function=None` and our own vectors,
because Chroma's default embedding function would download a model.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ingest.errors import StoreUnavailableError, VersionNotFoundError
from ingest.factory import embedded_client, server_client
from ingest.settings import Settings

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

VERSION_RE = re.compile(r"^v(\d{6})$")
CHUNKS = "chunks"
HNSW = {"hnsw": {"space": "cosine"}}


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
        return name or None

    def live_stamp(self) -> tuple[int, int] | None:
        """A cheap change detector for readers: the pointer file's inode and mtime."""
        try:
            st = self.live_file.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def set_live(self, name: str) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.live_file, name + "\n")

    def names(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and VERSION_RE.match(p.name))

    def info(self, name: str) -> VersionInfo | None:
        try:
            return VersionInfo.from_json((self.versions_dir / name / "VERSION.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None

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
            dest = self.readers_dir / str(os.getpid()) / name
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(source, dest)
            self._snapshots[name] = dest
            self._clients[name] = embedded_client(dest)
        return self._clients[name].get_collection(CHUNKS, embedding_function=None)  # type: ignore[arg-type]

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

    def drop(self, name: str) -> None:
        self.release(name)
        shutil.rmtree(self.versions_dir / name, ignore_errors=True)

    def close(self) -> None:
        for name in list(self._clients):
            self.release(name)
        with contextlib.suppress(OSError):
            (self.readers_dir / str(os.getpid())).rmdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ServerBackend:
    """One collection per version on a `chroma run` server; pointer and manifests in `<prefix>-meta`."""

    def __init__(self, settings: Settings) -> None:
        self.prefix = settings.store.collection_prefix
        self.where = f"{settings.store.host}:{settings.store.port}"
        self.client = server_client(settings.store)
        self._meta: Collection | None = None

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Turn connection failures into one domain error the bot can phrase for users."""
        import httpx

        try:
            return fn(*args, **kwargs)
        except (httpx.TransportError, ConnectionError) as exc:
            raise StoreUnavailableError(f"the Chroma server at {self.where} is not reachable") from exc

    @property
    def meta(self) -> Collection:
        if self._meta is None:
            self._meta = self._call(
                self.client.get_or_create_collection, f"{self.prefix}-meta", embedding_function=None
            )
        assert self._meta is not None
        return self._meta

    def _collection_name(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def live_name(self) -> str | None:
        # Re-fetch every time: a Collection object's metadata is a snapshot taken when it was fetched.
        meta = self._call(self.client.get_or_create_collection, f"{self.prefix}-meta", embedding_function=None)
        value = (meta.metadata or {}).get("live")
        return str(value) if value else None

    def set_live(self, name: str) -> None:
        # One metadata write is atomic on the server: readers see the old or the new pointer.
        self._call(self.meta.modify, metadata={"live": name})

    def names(self) -> list[str]:
        cols = self._call(self.client.list_collections)
        out = []
        for col in cols:
            cname = col if isinstance(col, str) else col.name
            if cname.startswith(self.prefix + "-") and VERSION_RE.match(cname[len(self.prefix) + 1 :]):
                out.append(cname[len(self.prefix) + 1 :])
        return sorted(out)

    def info(self, name: str) -> VersionInfo | None:
        got = self._call(self.meta.get, ids=[f"info:{name}"], include=["documents"])
        docs = got.get("documents") or []
        return VersionInfo.from_json(docs[0]) if docs and docs[0] else None

    def write_info(self, info: VersionInfo) -> None:
        self._call(self.meta.upsert, ids=[f"info:{info.name}"], embeddings=[[0.0]], documents=[info.to_json()])

    def create(self, name: str) -> Collection:
        return self._call(  # type: ignore[no-any-return]
            self.client.create_collection, self._collection_name(name), configuration=HNSW, embedding_function=None
        )

    def open_snapshot(self, name: str) -> Collection:
        """On a server there are no local files to protect: the version's collection itself."""
        from chromadb.errors import NotFoundError

        try:
            return self._call(  # type: ignore[no-any-return]
                self.client.get_collection, self._collection_name(name), embedding_function=None
            )
        except NotFoundError as exc:
            raise VersionNotFoundError(f"version {name} does not exist on the Chroma server") from exc

    def drop(self, name: str) -> None:
        from chromadb.errors import NotFoundError

        with contextlib.suppress(NotFoundError):
            self._call(self.client.delete_collection, self._collection_name(name))
        self._call(self.meta.delete, ids=[f"info:{name}"])

    def close(self) -> None:
        self.client.close()  # type: ignore[attr-defined]


def make_backend(settings: Settings) -> EmbeddedBackend | ServerBackend:
    """The one switch between embedded and server mode, shared by writer and reader."""
    if settings.store.mode == "server":
        return ServerBackend(settings)
    return EmbeddedBackend(settings.store.path)


def complete_versions(backend: Backend) -> list[VersionInfo]:
    """Versions whose manifest was written, oldest first."""
    infos = (backend.info(n) for n in backend.names())
    return [i for i in infos if i is not None]


def batched(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
