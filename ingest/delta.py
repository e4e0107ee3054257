"""What a new version shares with the live one when it is written as a delta (ingest.store.layers).

Why: a one-article change at 3,000 articles should write that article's chunks, not the 18,000 others.
The pipeline asks `plan` whether the live version can be built on; if so, unchanged articles are
`shared` (left in the base, written nowhere), the chunks of articles the live version already holds in
its delta are copied into the new delta, and every base chunk of an article changed or removed since
the base is tombstoned. `small_enough` then decides whether the delta is worth it (store.delta_share).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.settings import Settings
from ingest.store.backend import Backend, batched
from ingest.store.layers import Layers, Result, base_info, merge, shown_query
from ingest.store.manifest import DocEntry, VersionInfo

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

GATE_KEYS = ["distances", "metadatas"]


@dataclass
class Build:
    """The records a new version writes (all of them, or only its delta's) and its whole manifest (`docs`)."""

    ids: list[str] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)  # float32 rows: lists of floats cost 8x more
    documents: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    docs: dict[str, DocEntry] = field(default_factory=dict)


@dataclass
class Delta:
    """The base a new delta version reads, and what it shares of it."""

    base: VersionInfo
    records: Collection
    """The base's collection (the reader's private copy, opened from the live version's layers)."""
    live: VersionInfo
    shared: set[str] = field(default_factory=set)
    """Articles shown from the base as they are."""
    tombstones: list[str] = field(default_factory=list)

    def in_live_delta(self, doc_id: str) -> bool:
        """Whether the live version holds this article's chunks in its own delta (not in the base)."""
        return self.live.base is not None and doc_id in self.live.delta_docs

    def hide_the_rest(self) -> None:
        """Tombstone every base chunk of an article the live version shows from the base but the new one
        does not share (changed, removed), on top of the live version's own tombstones."""
        from_base = set(self.live.documents) - (set(self.live.delta_docs) if self.live.base else set())
        ids = set(self.live.tombstones)
        for doc_id in from_base - self.shared:  # ids from the base's manifest: no read of its records
            ids.update(self.base.documents[doc_id].chunk_ids())
        self.tombstones = sorted(ids)

    def small_enough(self, new_records: int, settings: Settings) -> bool:
        """The delta's records plus the tombstones within store.delta_share of the base's chunks."""
        return new_records + len(self.tombstones) <= settings.store.delta_share * self.base.stored_count

    def gate_found(self, own: Result, probes: Any, k: int) -> Result:
        """The gate's results over the new version as readers will see it: the base's shown records
        merged with what the child found in the delta (ingest.store.writer), by distance."""
        base = shown_query(self.records, self.base.stored_count, frozenset(self.tombstones), probes, k, None, GATE_KEYS)
        return merge([base, own], k, GATE_KEYS)


def plan(backend: Backend, live: VersionInfo, view: Layers, settings: Settings) -> Delta | None:
    """A delta over the live version's base (or the live version itself, if it is a full one); None
    when deltas are off (store.delta_share 0)."""
    if settings.store.delta_share <= 0:
        return None
    base = base_info(backend, live)
    if base is None:
        return Delta(live, view.own, live)
    assert view.base is not None
    return Delta(base, view.base, live)


def keep_live(
    view: Layers, doc_ids: list[str], old_docs: dict[str, DocEntry], build: Build, delta: Delta | None
) -> None:
    """Carry articles over from the live version as they are: shared from the base when the new
    version is a delta (nothing written), else copied (from the live delta, or everything)."""
    if delta is None:
        copy_records(view, doc_ids, old_docs, build)
        return
    copy_records(view.own, [d for d in doc_ids if delta.in_live_delta(d)], old_docs, build)
    for doc_id in doc_ids:
        if not delta.in_live_delta(doc_id):
            build.docs[doc_id] = old_docs[doc_id]
            delta.shared.add(doc_id)


def settle(delta: Delta, view: Layers, old_docs: dict[str, DocEntry], build: Build, settings: Settings) -> Delta | None:
    """Tombstone what the new version hides; past store.delta_share, copy the shared articles too and
    write a full version after all (None)."""
    delta.hide_the_rest()
    if delta.small_enough(len(build.ids), settings):
        return delta
    copy_records(view, sorted(delta.shared), old_docs, build)
    return None


def copy_records(live: Collection | Layers, doc_ids: list[str], old_docs: dict[str, DocEntry], build: Build) -> None:
    """These articles' records as the live version holds them, in article and position order."""
    for part in batched(doc_ids, 200):
        where: Any = {"doc_id": {"$in": part}}
        got = live.get(where=where, include=["embeddings", "documents", "metadatas"])  # type: ignore[list-item]
        order = sorted(
            range(len(got["ids"])),
            key=lambda i: (str(got["metadatas"][i]["doc_id"]), int(got["metadatas"][i]["position"])),  # type: ignore[index,arg-type]
        )
        for i in order:
            build.ids.append(got["ids"][i])
            build.embeddings.append(np.asarray(got["embeddings"][i], dtype=np.float32))  # type: ignore[index]
            build.documents.append(got["documents"][i])  # type: ignore[index]
            build.metadatas.append(dict(got["metadatas"][i]))  # type: ignore[index]
        for doc_id in part:
            build.docs[doc_id] = old_docs[doc_id]
