"""Versioned Chroma indexes: every ingest builds a complete new version, then one atomic switch makes it live.

Two backends behave the same (`ingest.store.embedded`, `ingest.store.server`); this module is what the pipeline,
the reader and a repair share: the one switch between them, and which kept versions can be trusted.

Chroma never embeds anything itself here: we always pass `embedding_function=None` and our own vectors,
because Chroma's default embedding function would download a model.

A store that cannot be read (a stopped or hung Chroma server, an unreadable folder) raises
StoreUnavailableError, so front ends can say "temporarily unavailable" instead of failing obscurely.
A version whose files or manifest are damaged raises VersionDamagedError, so readers can serve an
intact older one instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ingest.errors import DamagedError, VersionDamagedError
from ingest.settings import Settings
from ingest.store.embedded import EmbeddedBackend
from ingest.store.manifest import VersionInfo, version_number
from ingest.store.server import WRITE_TIMEOUT_S, ServerBackend

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)


class Backend(Protocol):
    """What the pipeline and the reader need from a store, whichever kind it is."""

    def live_name(self) -> str | None: ...
    def set_live(self, name: str) -> None: ...
    def names(self) -> list[str]: ...
    def base_names(self) -> list[str]: ...
    def info(self, name: str) -> VersionInfo | None: ...
    def write_info(self, info: VersionInfo) -> VersionInfo: ...
    def create(self, name: str) -> Collection: ...
    def max_batch_size(self, name: str) -> int: ...
    def open_snapshot(self, name: str) -> Collection: ...
    def verify(self, info: VersionInfo) -> None: ...
    def drop(self, name: str) -> None: ...
    def close(self) -> None: ...


def make_backend(settings: Settings, read_timeout_s: float = WRITE_TIMEOUT_S) -> EmbeddedBackend | ServerBackend:
    """The one switch between embedded and server mode, shared by writer and reader.

    `read_timeout_s` bounds each request to a Chroma server: readers pass READ_TIMEOUT_S.
    """
    if settings.store.mode == "server":
        return ServerBackend(settings, read_timeout_s)
    return EmbeddedBackend(settings.store.path)


def read_pointer(backend: Backend) -> str | None:
    """The live version's name; None only before the first ingest. DamagedError when the pointer is
    unreadable, not a version name, or gone while complete versions are kept (a restore that missed
    it, a deleted file): readers then serve the newest intact version."""
    live = backend.live_name()
    if live is None and _any_complete(backend):
        raise DamagedError("the live pointer", "it is missing, though complete versions are kept")
    return live


def _any_complete(backend: Backend) -> bool:
    for name in reversed(backend.names()):
        try:
            if backend.info(name) is not None:
                return True
        except VersionDamagedError:
            continue
    return False


@dataclass(frozen=True)
class Survey:
    """The kept versions as their manifests tell, without opening any of them in Chroma."""

    live: str | None
    """The live pointer's value, if it names a version; None if nothing is live or it is damaged."""
    complete: list[VersionInfo]
    """Versions with a readable manifest, oldest first (not yet checked against their files)."""
    damaged: list[DamagedError]


def survey(backend: Backend) -> Survey:
    """What is kept; a damaged manifest or pointer is listed, never raised."""
    damaged: list[DamagedError] = []
    try:
        live = read_pointer(backend)
    except DamagedError as exc:
        damaged.append(exc)
        live = None
    complete = []
    for name in backend.names():
        try:
            info = backend.info(name)
        except VersionDamagedError as exc:
            damaged.append(exc)
            continue
        if info is not None:
            complete.append(info)
    if (
        live is not None
        and live not in {i.name for i in complete}
        and not any(isinstance(d, VersionDamagedError) and d.version == live for d in damaged)
    ):
        damaged.append(VersionDamagedError(live, "the live pointer names it, but it is not in the store"))
    return Survey(live, complete, damaged)


def complete_versions(backend: Backend) -> list[VersionInfo]:
    """Versions whose manifest was written and can be read, oldest first."""
    return survey(backend).complete


def newest_first(infos: list[VersionInfo]) -> list[VersionInfo]:
    return sorted(infos, key=lambda i: version_number(i.name), reverse=True)


def batched(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
