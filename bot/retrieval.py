"""Hybrid retrieval: dense search in the live index plus BM25 keywords, fused by reciprocal rank.

Dense search finds paraphrases ("tech chief" for CTO); keywords find rare exact terms ("SFIA")
that a small embedding model blurs. Reciprocal rank fusion needs no score calibration between the
two. A role named in the question filters both sides.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict
from rank_bm25 import BM25Okapi

from ingest.index import Hit, KnowledgeIndex

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "what's",
        "whats",
        "tell",
        "please",
        "give",
        "me",
        "us",
        "should",
    ]
)


def terms(text: str) -> list[str]:
    """Lower-cased content words with a light plural fold, shared by BM25 and sentence scoring."""
    out = []
    for word in _WORD.findall(text.lower().replace("’", "'")):
        if word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


class _Keyword:
    """BM25 over every chunk of one index version; rebuilt when another version goes live.

    rank_bm25 directly rather than LangChain's BM25Retriever: we need each chunk's score and a
    per-query role filter, which BM25Retriever's fixed top-k hides.
    """

    def __init__(self, version: str, chunks: list[Hit]) -> None:
        self.version = version
        self.chunks = chunks
        self.bm25 = BM25Okapi([terms(h.text + " " + str(h.metadata.get("headings", ""))) for h in chunks])

    def search(self, query_terms: list[str], k: int, roles: Sequence[str] | None) -> list[tuple[Hit, float]]:
        if not query_terms or not self.chunks:
            return []
        scores = self.bm25.get_scores(query_terms)
        order = np.argsort(-scores)
        out: list[tuple[Hit, float]] = []
        for i in order:
            if scores[i] <= 0 or len(out) >= k:
                break
            hit = self.chunks[int(i)]
            if roles and not set(roles) & set(hit.metadata.get("roles") or []):
                continue
            out.append((hit, float(scores[i])))
        return out


class HybridRetriever(BaseRetriever):
    """A LangChain retriever over the live index: `invoke(question, roles=[...], vector=[...])`.

    Documents carry the chunk metadata plus `dense_score` (cosine similarity, used to decide
    whether the knowledge base covers a question at all), `bm25_score` and the fused `rrf_score`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: KnowledgeIndex
    k: int = 6
    fetch_k: int = 16
    rrf_k: int = 60
    max_per_article: int = 4
    _keyword: _Keyword | None = None
    _lock: Any = None

    def model_post_init(self, __context: Any) -> None:
        self._lock = threading.Lock()

    def idf(self, term: str) -> float:
        """How rare a word is in the live knowledge base (BM25's idf), floored so none is worthless."""
        bm25 = self.keyword().bm25
        return max(0.1, float(bm25.idf.get(term, max(bm25.idf.values(), default=1.0))))

    def keyword(self) -> _Keyword:
        version = self.index.version().name
        with self._lock:
            if self._keyword is None or self._keyword.version != version:
                self._keyword = _Keyword(version, self.index.chunks())
            return self._keyword

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        roles: Sequence[str] | None = None,
        vector: Sequence[float] | None = None,
    ) -> list[Document]:
        if vector is None:
            vector = self.index.embedder.embed_query(query)
        dense = self.index.search_vector(vector, self.fetch_k, roles)
        query_terms = terms(query) + [r.lower() for r in roles or []]
        keyword = self.keyword().search(query_terms, self.fetch_k, roles)
        fused: dict[str, dict[str, Any]] = {}
        for rank, hit in enumerate(dense):
            entry = fused.setdefault(hit.id, {"hit": hit, "rrf": 0.0, "dense": hit.score, "bm25": 0.0})
            entry["rrf"] += 1.0 / (self.rrf_k + rank + 1)
        for rank, (hit, score) in enumerate(keyword):
            entry = fused.setdefault(hit.id, {"hit": hit, "rrf": 0.0, "dense": None, "bm25": 0.0})
            entry["rrf"] += 1.0 / (self.rrf_k + rank + 1)
            entry["bm25"] = score
        ranked = sorted(fused.values(), key=lambda e: (-e["rrf"], e["hit"].id))
        docs: list[Document] = []
        per_article: dict[str, int] = {}
        seen_text: set[str] = set()
        for entry in ranked:
            hit = entry["hit"]
            # Diversity: no duplicate passages (the same text filed twice) and a cap per article.
            key = " ".join(hit.text.split()).lower()
            if key in seen_text or per_article.get(hit.doc_id, 0) >= self.max_per_article:
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
            if len(docs) >= self.k:
                break
        return docs
