"""A version as readers see it: a shared base minus its tombstones, plus the version's own small delta.

Why: at 3,000 articles, writing every record again for a one-article change took 37-50 s, 80 % of it
Chroma indexing the 2,999 unchanged articles once more. So a version may be a *delta*: its manifest
names a `base` (an earlier full version, or a compacted base `bNNNNNN`), the `tombstones` (ids of the
base's chunks it hides: every chunk of an article it changed or removed) and its own collection,
which holds only the chunks of `delta_docs` (articles changed or added since that base). A query asks
the base for more neighbours than it needs (the tombstones may be among them), drops the tombstoned
ones and merges the rest with the delta's by distance; reading every chunk works the same way.

Which versions are deltas (ingest.pipeline): while the delta's chunks plus the tombstones stay under
`store.delta_share` of the base's chunks, an ingest writes only the delta, in the same child process,
with the same gate, manifest, checksums and atomic switch as a full version; past it, or on a rebuild,
a model change or a damaged live version, it writes a full version, which later deltas use as base.
A base is immutable once written: versions share it, none changes it.

Deleted text still leaves the disk once pruned (ingest.store.versions.prune): pruning a version deletes
its own folder (its delta); a base is deleted when no kept version uses it; and a base that stays only
because kept deltas use it, holding records that every one of them tombstones (an article changed or
removed since), is *compacted*: made again without those records in the child process (a copy with
them deleted and their text scrubbed, ingest.store.erase, or a full write), sealed, then each kept
version's manifest re-pointed to it (each an atomic replace), and the old base deleted. A kill at
any point leaves either the old base (still used) or both (the new one unused, so the next prune
deletes it, or used by some versions, and the old one compacted again).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ingest.errors import DamagedError, VersionDamagedError, VersionNotFoundError
from ingest.store.manifest import VersionInfo

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

    from ingest.store.backend import Backend

GET_PAGE = 500
"""Records per get(): one get() of 18,000 chunks peaks ~450 MB above what the records themselves take
(Chroma builds the whole result in Rust, then in Python); pages of 500 peak ~100 MB and take no longer
(measured at 3,000 articles)."""
QUERY_INCLUDE = ("metadatas", "documents", "distances")
Result = dict[str, Any]


def page_all(collection: Collection, include: Sequence[str]) -> Result:
    """Every record of one collection, a page at a time (GET_PAGE)."""
    out: Result = {"ids": [], **{key: [] for key in include}}
    while True:
        page = collection.get(include=list(include), limit=GET_PAGE, offset=len(out["ids"]))  # type: ignore[arg-type]
        out["ids"] += page["ids"]
        for key in include:
            values = page[key]  # type: ignore[literal-required]
            out[key] += list(values) if values is not None else []  # embeddings come as an array
        if len(page["ids"]) < GET_PAGE:
            return out


def _rows(result: Any, include: Sequence[str]) -> list[dict[str, Any]]:
    """A get() result as one dict per record."""
    return [{"id": i, **{key: result[key][n] for key in include}} for n, i in enumerate(result["ids"])]


@dataclass(frozen=True)
class Layers:
    """The read side of one version: the Chroma calls readers make (query, get), over base and delta.

    A full version is a Layers with no base: every call goes straight to its own collection.
    """

    own: Collection
    own_count: int
    base: Collection | None = None
    base_count: int = 0
    tombstones: frozenset[str] = frozenset()

    def count(self) -> int:
        return self.own_count + self.base_count - len(self.tombstones)

    def query(
        self,
        query_embeddings: Any,
        n_results: int = 10,
        where: Any = None,
        include: Sequence[str] = QUERY_INCLUDE,
    ) -> Result:
        """Chroma's query() result shape (ids, distances and `include`, one list per query), the base's
        tombstoned chunks left out and the two layers merged by distance."""
        keys = sorted(set(include) | {"distances"})
        if self.base is None:
            got = self.own.query(query_embeddings=query_embeddings, n_results=n_results, where=where, include=keys)  # type: ignore[arg-type]
            return dict(got)
        base = shown_query(self.base, self.base_count, self.tombstones, query_embeddings, n_results, where, keys)
        own = shown_query(self.own, self.own_count, frozenset(), query_embeddings, n_results, where, keys)
        return merge([base, own], n_results, keys)

    def get(
        self, where: Any = None, include: Sequence[str] = ("documents", "metadatas"), ids: Sequence[str] | None = None
    ) -> Result:
        """Chroma's get() result shape for the records matching `where` (and among `ids`, when given): base
        (less tombstones), then delta."""
        wanted = list(ids) if ids is not None else None
        if self.base is None:
            return dict(self.own.get(ids=wanted, where=where, include=list(include)))  # type: ignore[arg-type]
        rows = [
            r
            for r in _rows(self.base.get(ids=wanted, where=where, include=list(include)), include)  # type: ignore[arg-type]
            if r["id"] not in self.tombstones
        ]
        rows += _rows(self.own.get(ids=wanted, where=where, include=list(include)), include)  # type: ignore[arg-type]
        return {"ids": [r["id"] for r in rows], **{key: [r[key] for r in rows] for key in include}}

    def get_all(self, include: Sequence[str] = ("documents", "metadatas")) -> Result:
        """Every record the version shows, a page at a time (GET_PAGE)."""
        if self.base is None:
            return page_all(self.own, include)
        base = page_all(self.base, include)
        own = page_all(self.own, include)
        rows = [r for r in _rows(base, include) if r["id"] not in self.tombstones] + _rows(own, include)
        return {"ids": [r["id"] for r in rows], **{key: [r[key] for r in rows] for key in include}}


def shown_query(
    collection: Collection,
    count: int,
    tombstones: frozenset[str],
    vectors: Any,
    n: int,
    where: Any,
    keys: list[str],
) -> Result:
    """Each vector's n nearest records of one collection that are not tombstoned: asked for n plus as
    many tombstones as could be in the way, first at most n of them (usually enough), then all."""
    out: Result = {"ids": [], **{key: [] for key in keys}}
    for vector in vectors:
        wider = n + min(len(tombstones), n)
        while True:
            asked = min(wider, count)
            got: Any = {"ids": [[]], **{key: [[]] for key in keys}}
            if asked > 0:
                got = collection.query(query_embeddings=[vector], n_results=asked, where=where, include=keys)  # type: ignore[arg-type]
            keep = [m for m, i in enumerate(got["ids"][0]) if i not in tombstones][:n]
            if len(keep) >= n or len(got["ids"][0]) < asked or asked == count or wider >= n + len(tombstones):
                break
            wider = n + len(tombstones)
        out["ids"].append([got["ids"][0][m] for m in keep])
        for key in keys:
            out[key].append([got[key][0][m] for m in keep])
    return out


def merge(results: Sequence[Result], n: int, keys: Sequence[str]) -> Result:
    """Query results of several layers (same queries, each with distances) as one: each query's n nearest."""
    out: Result = {"ids": [], **{key: [] for key in keys}}
    for q in range(len(results[0]["ids"])):
        rows = [(result["distances"][q][m], i, result, m) for result in results for m, i in enumerate(result["ids"][q])]
        rows.sort(key=lambda row: (row[0], row[1]))
        rows = rows[:n]
        out["ids"].append([row[1] for row in rows])
        for key in keys:
            out[key].append([row[2][key][q][row[3]] for row in rows])
    return out


def base_info(backend: Backend, info: VersionInfo) -> VersionInfo | None:
    """The manifest of the version's base (None for a full version); VersionDamagedError, as the version's
    own damage, when the base is gone or damaged."""
    if info.base is None:
        return None
    try:
        found = backend.info(info.base)
    except DamagedError as exc:
        raise VersionDamagedError(info.name, f"its base {info.base} is damaged ({exc})") from exc
    if found is None:
        raise VersionDamagedError(info.name, f"its base {info.base} is gone from the store")
    return found


def open_layers(backend: Backend, info: VersionInfo) -> Layers:
    """Open a version for reading: its own collection and, for a delta, its base's (each a private,
    verified copy in embedded mode, ingest.store.embedded). Damage to the base is the version's damage."""
    own = backend.open_snapshot(info.name)
    base = base_info(backend, info)
    if base is None:
        return Layers(own, info.stored_count)
    try:
        collection = backend.open_snapshot(base.name)
    except (DamagedError, VersionNotFoundError) as exc:
        raise VersionDamagedError(info.name, f"its base {base.name} cannot be read ({exc})") from exc
    return Layers(own, info.stored_count, collection, base.stored_count, frozenset(info.tombstones))


def verify_version(backend: Backend, info: VersionInfo) -> None:
    """Check a version's files and, for a delta, its base's, never opening either in Chroma."""
    backend.verify(info)
    base = base_info(backend, info)
    if base is not None:
        try:
            backend.verify(base)
        except DamagedError as exc:
            raise VersionDamagedError(info.name, f"its base {base.name} is damaged ({exc})") from exc
