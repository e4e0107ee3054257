"""Hybrid retrieval: dense search in the live index plus BM25 keywords, fused by reciprocal rank.

Dense search finds paraphrases ("tech chief" for CTO); keywords find rare exact terms ("SFIA")
that a small embedding model blurs. Reciprocal rank fusion needs no score calibration between the
two. A role named in the question filters both sides.

It returns LangChain Documents, which both answer paths compose from, but is not a LangChain
BaseRetriever: importing langchain_core.retrievers brings its tracers and langsmith (~0.5 s unloaded,
2 s on the loaded machine) into every `python -m bot ask`, and nothing here used its callbacks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document

from bot.answer.synonyms import with_article_terms
from ingest.keywords import STOPWORDS, KeywordStats, terms
from ingest.store.index import Hit, KnowledgeIndex

__all__ = ["STOPWORDS", "HybridRetriever", "stem", "terms"]

READ_AHEAD = 4
"""Texts read beyond the k passages asked for, in the same read: room for a duplicate or an article at its cap."""


def stem(word: str) -> str:
    """A light fold so that 'lead', 'leads' and 'leading' meet: enough for an overlap check (the guard's
    novel words, the CV check's shared words), not a stemmer."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


class _Keyword:
    """BM25 over every chunk of one index version, from its statistics as the ingest stored them
    (ingest.keywords); the chunks it finds are read by id, never every chunk at start.

    Not LangChain's BM25Retriever: we need each chunk's score and a per-query role filter, which its
    fixed top-k hides. Not rank_bm25's BM25Okapi at query time either, though the scores are its
    scores bit for bit: its get_scores walks every chunk's term dict in Python for each query term
    (30-300 ms per question at 21,000 chunks on our 2-core machine), while postings touch only the
    chunks that hold a term (~0.5-2 ms).
    """

    def __init__(self, version: str, stats: KeywordStats, fetch: Callable[[list[str]], list[Hit]]) -> None:
        self.version = version
        self.stats = stats
        self.idf = stats.idf
        self.max_idf = stats.max_idf
        self._fetch = fetch

    def chunk_at(self, doc_id: str, position: int) -> Hit | None:
        """The chunk at `position` in its article (only a sentence cut from its continuation by a chunk
        boundary asks)."""
        row = self.stats.row_at(doc_id, position)
        found = self._fetch([self.stats.ids[row]]) if row is not None else []
        return found[0] if found else None

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """rank_bm25's get_scores, from the postings."""
        return self.stats.scores(query_terms)

    def search(self, query_terms: list[str], k: int, roles: Sequence[str] | None) -> list[tuple[str, float]]:
        """The ids of the k best chunks with their scores; their texts are read by the caller, only for those
        that make the answer's passages, with the dense neighbours' (a read by ids from Chroma costs ~1.2 ms
        and ~0.1 ms more for each id it fetches, at 3,000 articles)."""
        if not query_terms or not len(self.stats):
            return []
        scores = self.scores(query_terms)
        # Only the chunks that hold a query term (and are about the roles) are sorted, not every chunk: a sort
        # of all 18,000 cost ~0.6 ms a question at 3,000 articles. Equal scores keep the chunks' order (a stable
        # sort), as numpy's default sort, insertion sort at 16 or fewer, did for the shipped knowledge base.
        found = np.flatnonzero(scores > 0)
        if roles:
            allowed = np.zeros(len(self.stats), dtype=bool)
            for role in roles:
                mask = self.stats.role_mask(role)
                if mask is not None:
                    allowed |= mask
            found = found[allowed[found]]
        order = found[np.argsort(-scores[found], kind="stable")][:k]
        return [(self.stats.ids[int(i)], float(scores[i])) for i in order]


class HybridRetriever:
    """Hybrid search over the live index: `invoke(question, roles=[...], vector=[...])`.

    Documents carry the chunk metadata plus `dense_score` (cosine similarity, used to decide
    whether the knowledge base covers a question at all), `bm25_score` and the fused `rrf_score`.
    """

    def __init__(
        self, index: KnowledgeIndex, k: int = 8, fetch_k: int = 16, rrf_k: int = 60, max_per_article: int = 6
    ) -> None:
        self.index = index
        self.k = k
        self.fetch_k = fetch_k
        self.rrf_k = rrf_k
        self.max_per_article = max_per_article
        self._keyword: _Keyword | None = None
        self._lock = threading.Lock()

    def idf(self, term: str) -> float:
        """How rare a word is in the live knowledge base (BM25's idf), floored so none is worthless."""
        keyword = self.keyword()
        return max(0.1, float(keyword.idf.get(term, keyword.max_idf)))

    def keyword(self) -> _Keyword:
        version = self.index.version().name
        with self._lock:
            if self._keyword is None or self._keyword.version != version:
                self._keyword = _Keyword(version, self.index.keywords(), self.index.hits)
            return self._keyword

    def top_similarity(self, vector: Sequence[float], roles: Sequence[str] | None = None) -> float:
        """The best cosine similarity of any chunk (of an article about one of `roles`) to `vector`."""
        return max((similarity for _, similarity in self.index.nearest(vector, 1, roles)), default=0.0)

    def invoke(
        self,
        query: str,
        *,
        roles: Sequence[str] | None = None,
        vector: Sequence[float] | None = None,
        k: int | None = None,
        max_per_article: int | None = None,
    ) -> list[Document]:
        """`k` and `max_per_article` override the configured ones for one call (a brief reads widely
        in its role's articles)."""
        k = k or self.k
        cap = max_per_article or self.max_per_article
        if vector is None:
            vector = self.index.embedder.embed_query(query)
        with self.index.pinned():  # the neighbours' ids and their texts from one version
            dense = self.index.nearest(vector, self.fetch_k, roles)
            query_terms = with_article_terms(terms(query)) + [r.lower() for r in roles or []]
            matched = self.keyword().search(query_terms, self.fetch_k, roles)
            fused: dict[str, dict[str, Any]] = {}
            for rank, (chunk_id, similarity) in enumerate(dense):
                entry = fused.setdefault(chunk_id, {"rrf": 0.0, "dense": similarity, "bm25": 0.0})
                entry["rrf"] += 1.0 / (self.rrf_k + rank + 1)
            for rank, (chunk_id, score) in enumerate(matched):
                entry = fused.setdefault(chunk_id, {"rrf": 0.0, "dense": None, "bm25": 0.0})
                entry["rrf"] += 1.0 / (self.rrf_k + rank + 1)
                entry["bm25"] = score
            ranked = sorted(fused.items(), key=lambda e: (-e[1]["rrf"], e[0]))
            docs: list[Document] = []
            per_article: dict[str, int] = {}
            seen_text: set[str] = set()
            read: dict[str, Hit] = {}
            for at, (chunk_id, entry) in enumerate(ranked):
                if chunk_id not in read:
                    # Texts are read when first needed, with those of the next k + READ_AHEAD: one read per
                    # question, of the passages kept, where duplicates and capped articles are few.
                    unread = [i for i, _ in ranked[at : at + k + READ_AHEAD] if i not in read]
                    read.update((h.id, h) for h in self.index.hits(unread))
                    if chunk_id not in read:  # gone from the version (never expected): skip it
                        continue
                hit = read[chunk_id]
                # Diversity: no duplicate passages (the same text filed twice) and a cap per article.
                key = " ".join(hit.text.split()).lower()
                if key in seen_text or per_article.get(hit.doc_id, 0) >= cap:
                    continue
                seen_text.add(key)
                per_article[hit.doc_id] = per_article.get(hit.doc_id, 0) + 1
                meta = {
                    **hit.metadata,
                    "id": hit.id,
                    "dense_score": entry["dense"],
                    "bm25_score": entry["bm25"],
                    "rrf_score": entry["rrf"],
                }
                docs.append(Document(page_content=hit.text, metadata=meta))
                if len(docs) >= k:
                    break
        return docs
