"""Changing which versions exist and which is live, outside a build: the writer lock, prune, rollback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from ingest.errors import (
    IngestError,
    LockedError,
    ModelMismatchError,
    NoLiveVersionError,
    VersionNotFoundError,
    reason,
)
from ingest.settings import Settings
from ingest.store.backend import Backend, complete_versions, make_backend, survey
from ingest.store.embedded import EmbeddedBackend
from ingest.store.layers import verify_version
from ingest.store.manifest import VersionInfo, version_number


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time; the OS drops the lock if the holder dies, so a kill never wedges it."""
    root = settings.store.path
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / ".ingest.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(f"another ingest is already running on {root}; wait for it to finish and try again") from exc
    except OSError as exc:  # e.g. the lock file made unreadable: never guess that no writer holds it
        raise IngestError(
            f"the writer lock {lock.lock_file} cannot be opened ({reason(exc)}); give it back read and write "
            "permission (it holds no data)"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def kept_versions(backend: Backend, settings: Settings) -> tuple[set[str], dict[str, VersionInfo]]:
    """The versions a prune keeps (the live one and the newest others, up to store.keep_versions), and
    every complete version's manifest by name."""
    live = backend.live_name()
    infos = {i.name: i for i in complete_versions(backend)}
    keep = {live} | set(sorted(n for n in infos if n != live)[-(settings.store.keep_versions - 1) :])
    return {n for n in keep if n is not None}, infos


def prune(backend: Backend, settings: Settings) -> list[str]:
    """Keep the live version and the newest others up to store.keep_versions, and the bases they read
    (ingest.store.layers); drop the rest and any debris. Compaction (ingest.store.compact) is separate."""
    keep, infos = kept_versions(backend, settings)
    held = {infos[n].base for n in keep if n in infos and infos[n].base is not None}
    dropped = [n for n in backend.names() if n not in keep and n not in held]
    dropped += [b for b in backend.base_names() if b not in held]
    for name in dropped:
        backend.drop(name)
    if isinstance(backend, EmbeddedBackend):
        backend.clean_readers()
    return dropped


def rollback(settings: Settings, target: str | None = None) -> str:
    """Make an older complete version live again; by default the newest one before the live one."""
    with writer_lock(settings):
        backend = make_backend(settings)
        try:
            kept = survey(backend)
            live = kept.live
            versions = {i.name: i for i in kept.complete}
            if target is None:
                if live is None:  # nothing to be "older than": an explicit version still works
                    raise NoLiveVersionError(
                        "no readable live version; name the version to make live, or run `python -m ingest --repair`"
                    )
                older = sorted(n for n in versions if version_number(n) < version_number(live))
                if not older:
                    raise VersionNotFoundError(f"no complete version older than {live} is kept")
                target = older[-1]
            info = versions.get(target)
            if info is None:
                names = ", ".join(sorted(versions)) or "none"
                raise VersionNotFoundError(f"version {target} is not a complete kept version (kept: {names})")
            if info.model != settings.embedding.model:
                raise ModelMismatchError(
                    f"version {target} was built with '{info.model}', but embedding.model is "
                    f"'{settings.embedding.model}'"
                )
            verify_version(backend, info)  # never make a damaged version live (nor one on a damaged base)
            backend.set_live(target)
            return target
        finally:
            backend.close()
