"""Compaction: a base kept only for the deltas built on it loses the records none of them shows.

Why: deltas (ingest.store.layers) leave a changed or removed article's old chunks in the shared base,
hidden by tombstones. Once pruning has dropped every version that showed them, they are text no kept
version serves, and "deleted text leaves the disk once pruned" requires them gone. So the base is
written again without them, by the same fresh child process as any full version (ingest.store.writer),
sealed with its own manifest, then every kept version built on the old base is re-pointed to the new
one (one atomic manifest replace each) and the old base deleted. In embedded mode the new base is
usually a copy of the old one with those records deleted and their text scrubbed (ingest.store.erase,
seconds instead of ~50 s at 3,000 articles); a full rewrite happens when the records deleted in place
(whose vectors and ids the vector index keeps) would pass store.delta_share of the base, and in server
mode. Runs under the writer lock, after prune, with the new version already live: a kill anywhere
leaves the store readable (see layers).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

import numpy as np

from ingest.errors import NoSpaceError
from ingest.settings import Settings
from ingest.store.backend import Backend
from ingest.store.embedded import EmbeddedBackend
from ingest.store.erase import erase_copy
from ingest.store.layers import page_all
from ingest.store.manifest import BASE_RE, VERSION_RE, VersionInfo, chunk_doc, now_iso
from ingest.store.space import estimate_bytes, need_free_space
from ingest.store.versions import kept_versions
from ingest.store.writer import FreshChildren, WriteFailedError, in_child, write_version

log = logging.getLogger(__name__)


@dataclass
class Compaction:
    """One base written again: which, into what, how many records it lost, which versions moved."""

    base: str
    into: str
    dropped_records: int
    versions: list[str] = field(default_factory=list)
    in_place: bool = False
    """Deleted in a copy (ingest.store.erase) rather than written again in full."""


def _number(name: str, pattern: re.Pattern[str]) -> int:
    match = pattern.match(name)
    return int(match.group(1)) if match else 0


def next_base_number(backend: Backend) -> int:
    """Above every version and base that exists: a reader keeps a base open by name, so a name once used
    is never given to other content. Taken before the prune drops anything."""
    live = backend.live_name()
    numbers = [_number(n, VERSION_RE) for n in backend.names()] + [_number(n, BASE_RE) for n in backend.base_names()]
    numbers.append(_number(live, VERSION_RE) if live else 0)
    return max(numbers, default=0) + 1


def due(backend: Backend, settings: Settings) -> dict[str, tuple[list[VersionInfo], set[str]]]:
    """Bases kept only as bases whose kept users all hide some of their records: base -> (users, hidden)."""
    keep, infos = kept_versions(backend, settings)
    users: dict[str, list[VersionInfo]] = {}
    for name in sorted(keep):
        info = infos.get(name)
        if info is not None and info.base is not None:
            users.setdefault(info.base, []).append(info)
    out = {}
    for base, using in users.items():
        if base in keep:  # shown as it is by a kept version of its own
            continue
        hidden = set.intersection(*(set(u.tombstones) for u in using))
        if hidden:
            out[base] = (using, hidden)
    return out


def compact(
    backend: Backend, settings: Settings, number: int, children: FreshChildren | None = None
) -> list[Compaction]:
    """Compact every base that is due (see `due`), naming the new bases from `number` up; the writing
    children are taken from `children` when given (started ahead, ingest.store.writer)."""
    done = []
    for base, (users, hidden) in sorted(due(backend, settings).items()):
        found = compact_one(backend, settings, base, users, hidden, f"b{number:06d}", children)
        if found is not None:
            done.append(found)
            number += 1
    return done


def compact_one(
    backend: Backend,
    settings: Settings,
    base: str,
    users: list[VersionInfo],
    hidden: set[str],
    name: str,
    children: FreshChildren | None = None,
) -> Compaction | None:
    info = backend.info(base)
    if info is None:  # gone meanwhile: its users are damaged, which `list` and --repair report
        return None
    if in_place(backend, settings, info, hidden):
        written = _erase(backend, settings, info, hidden, name, children)
    else:
        written = _rewrite(backend, settings, info, hidden, name, children)
    for user in users:  # each an atomic replace; a kill between them is finished by the next prune
        backend.write_info(replace(user, base=name, tombstones=sorted(set(user.tombstones) - hidden)))
    backend.drop(base)
    log.info("compacted base %s into %s (%d records no kept version shows)", base, name, len(hidden))
    return Compaction(base, name, info.stored_count - written.stored_count, [u.name for u in users], written.dead > 0)


def in_place(backend: Backend, settings: Settings, info: VersionInfo, hidden: set[str]) -> bool:
    """Delete in a copy (ingest.store.erase) while the records deleted in place stay within
    store.delta_share of the base's; past that, or in server mode, write the base again in full."""
    total = info.stored_count + info.dead
    return isinstance(backend, EmbeddedBackend) and info.dead + len(hidden) <= settings.store.delta_share * total


def _sealed(backend: Backend, info: VersionInfo, name: str, gone: set[str], dead: int) -> VersionInfo:
    documents = {d: e for d, e in info.documents.items() if d not in gone}
    sealed = VersionInfo(name, info.model, info.dimension, info.fingerprint, now_iso(), documents, dead=dead)
    return backend.write_info(sealed)


def _erase(
    backend: Backend, settings: Settings, info: VersionInfo, hidden: set[str], name: str, children: FreshChildren | None
) -> VersionInfo:
    """A copy of the base less `hidden`, their text scrubbed (ingest.store.erase); a few seconds at 3,000 articles."""
    gone = {chunk_doc(i) for i in hidden}
    if isinstance(backend, EmbeddedBackend):
        backend.release(info.name)  # the private copy: its disk space is needed for the new base
        need_free_space(settings.store.path, 2 * info.size)  # the copy, and VACUUM's own copy of the SQLite file
    try:
        left = in_child(erase_copy, settings, name, (info, sorted(hidden)), children)
        expected = info.stored_count - sum(len(e.chunk_hashes) for d, e in info.documents.items() if d in gone)
        if left != expected:
            raise WriteFailedError(f"compacting {info.name} into {name} left {left} records, not {expected}")
    except (WriteFailedError, NoSpaceError):
        backend.drop(name)
        raise
    return _sealed(backend, info, name, gone, info.dead + len(hidden))


def _rewrite(
    backend: Backend, settings: Settings, info: VersionInfo, hidden: set[str], name: str, children: FreshChildren | None
) -> VersionInfo:
    """The base written again without `hidden` by the writer's child: nothing of them left in any file."""
    got = page_all(backend.open_snapshot(info.name), ["embeddings", "documents", "metadatas"])
    if isinstance(backend, EmbeddedBackend):
        backend.release(info.name)  # the private copy: its disk space is needed for the new base
    rows = [n for n, i in enumerate(got["ids"]) if i not in hidden]
    gone = {str(got["metadatas"][n]["doc_id"]) for n, i in enumerate(got["ids"]) if i in hidden}
    embeddings = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), info.dimension)
    records = (
        [got["ids"][n] for n in rows],
        embeddings[rows],
        [got["documents"][n] for n in rows],
        [dict(got["metadatas"][n]) for n in rows],
    )
    if isinstance(backend, EmbeddedBackend):
        need_free_space(settings.store.path, estimate_bytes(records, [info]))
    try:
        write_version(settings, name, records, np.zeros((0, info.dimension), dtype=np.float32), 1, children)
    except (WriteFailedError, NoSpaceError):
        backend.drop(name)
        raise
    return _sealed(backend, info, name, gone, 0)
