"""Dense search as ids and similarities, with a role filter that stays cheap as the knowledge base grows.

A role is filtered here, from an unfiltered query a few times wider than the role's share of the chunks
needs, not with Chroma's `where` on the roles list: at 3,000 articles that filter cost ~45 ms a question
against ~2 ms for 200 unfiltered neighbours, and grew with the corpus. A role too rare for that to be cheap
still goes through `where`. Which chunk is whose comes from the version's keyword statistics (stored at
ingest), not from reading every chunk. No text is read: Chroma returning 16 texts with a query costs ~3 ms
more than distances alone at 3,000 articles, and the answer path reads only the passages it keeps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ingest.keywords import KeywordStats

ROLE_FILTER_SHARE = 50
"""Role-filtered dense search filters an unfiltered query itself when the role's chunks are at least
1/ROLE_FILTER_SHARE of all chunks; a rarer role uses Chroma's own filter."""
ROLE_WIDEN = 2
"""An unfiltered query asks for this many times the results the role's share of chunks should need."""

Query = Callable[[int, Any], Any]
"""(n_results, where) -> a Chroma query result holding ids and distances, for one vector."""


def nearest(
    query: Query, k: int, roles: Sequence[str] | None, stats: Callable[[], KeywordStats]
) -> list[tuple[str, float]]:
    """The ids of the k chunks nearest the query's vector, with their cosine similarity; with `roles`, only
    chunks of articles about one of them."""
    if roles:
        known = stats()
        allowed = known.role_ids(roles)
        if not allowed:
            return []
        if len(allowed) * ROLE_FILTER_SHARE >= len(known):
            return _role_neighbours(query, k, allowed, len(known))
    return where_query(query, k, roles)


def _role_neighbours(query: Query, k: int, allowed: frozenset[str], total: int) -> list[tuple[str, float]]:
    """The k nearest of `allowed`, from unfiltered queries widened until k of them are among the results."""
    n = min(total, max(4 * k, ROLE_WIDEN * k * total // len(allowed)))
    while True:
        result = query(n, None)
        ids, dists = result["ids"][0], (result["distances"] or [[]])[0]
        found = [(i, d) for i, d in zip(ids, dists, strict=True) if i in allowed][:k]
        if len(found) >= min(k, len(allowed)) or n >= total:
            return [(i, similarity(d)) for i, d in found]
        n = min(total, 4 * n)


def where_query(query: Query, k: int, roles: Sequence[str] | None) -> list[tuple[str, float]]:
    """The k nearest by Chroma's own filter on the roles list (every chunk without `roles`)."""
    where: Any = None
    if roles:
        clauses = [{"roles": {"$contains": r}} for r in roles]
        where = clauses[0] if len(clauses) == 1 else {"$or": clauses}
    result = query(k, where)
    ids, dists = result["ids"][0], (result["distances"] or [[]])[0]
    return [(i, similarity(d)) for i, d in zip(ids, dists, strict=True)]


def similarity(distance: float) -> float:
    """Chroma's cosine distance is 1 - cosine similarity; callers threshold on the similarity."""
    return 1.0 - float(distance)
