"""Hybrid retrieval: dense search in the live index plus BM25 keywords, fused by reciprocal rank.

Dense search finds paraphrases ("tech chief" for CTO); keywords find rare exact terms ("SFIA")
that a small embedding model blurs. Reciprocal rank fusion needs no score calibration between the
two. A role named in the question filters both sides.

It returns LangChain Documents, which both answer paths compose from, but is not a LangChain
BaseRetriever: importing langchain_core.retrievers brings its tracers and langsmith (~0.5 s unloaded,
2 s on the loaded machine) into every `python -m bot ask`, and nothing here used its callbacks.
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.documents import Document

from ingest.store.index import Hit, KnowledgeIndex

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


BM25_K1, BM25_B, BM25_EPSILON = 1.5, 0.75, 0.25
"""rank_bm25's BM25Okapi defaults, which the scores were calibrated with."""


def _fold(word: str) -> str:
    """One word as a term: '' for a stopword, else with the light plural fold."""
    if word in STOPWORDS:
        return ""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def stem(word: str) -> str:
    """A light fold so that 'lead', 'leads' and 'leading' meet: enough for an overlap check (the guard's
    novel words, the CV check's shared words), not a stemmer."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


_FOLDED: dict[str, str] = {}
"""word -> term, memoised: the vocabulary is small and terms() runs over every chunk at each BM25 build."""


def terms(text: str) -> list[str]:
    """Lower-cased content words with a light plural fold, shared by BM25 and sentence scoring."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    found = [_FOLDED.get(word) for word in words]
    if None in found:  # words not seen before: fold them once
        for i, word in enumerate(words):
            if found[i] is None:
                found[i] = _fold(word)
                if len(_FOLDED) < 500_000:  # bounded: arbitrary user text cannot grow it without limit
                    _FOLDED[word] = found[i] or ""
    return [term for term in found if term]


class _Keyword:
    """BM25 over every chunk of one index version; rebuilt when another version goes live.

    Not LangChain's BM25Retriever: we need each chunk's score and a per-query role filter, which its
    fixed top-k hides. Not rank_bm25's BM25Okapi at query time either, though the scores are its
    scores bit for bit (same statistics, same float operations in the same order): its get_scores
    walks every chunk's term dict in Python for each query term (30-300 ms per question at 21,000
    chunks on our 2-core machine), while postings (the chunks that contain a term, with its
    frequencies) touch only those chunks (~0.5-2 ms).
    """

    def __init__(self, version: str, chunks: list[Hit]) -> None:
        self.version = version
        self.chunks = chunks
        self.idf: dict[str, float] = {}
        self._postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._k1 = 0.0
        self._norm: np.ndarray = np.zeros(0)
        if chunks:
            self._build([terms(h.text + " " + str(h.metadata.get("headings", ""))) for h in chunks])
        self.max_idf = max(self.idf.values(), default=1.0)
        self._by_place: dict[tuple[str, int], Hit] | None = None
        self._role_masks: dict[str, np.ndarray] = {}
        for i, hit in enumerate(chunks):
            for role in hit.metadata.get("roles") or []:
                self._role_masks.setdefault(str(role), np.zeros(len(chunks), dtype=bool))[i] = True

    def chunk_at(self, doc_id: str, position: int) -> Hit | None:
        """The chunk at `position` in its article, from the chunks this version already holds (indexed on
        first use: only a sentence cut from its continuation by a chunk boundary asks)."""
        if self._by_place is None:
            self._by_place = {(h.doc_id, int(h.metadata.get("position", -1))): h for h in self.chunks}
        return self._by_place.get((doc_id, position))

    def _build(self, corpus: list[list[str]]) -> None:
        """rank_bm25's BM25Okapi statistics (same idf with its epsilon floor, same k1 and b, same
        float operations in the same order; tests/test_speed.py checks the scores are
        identical), but counted with Counter and kept as postings: rank_bm25's pure-Python
        counting takes seconds at 21,000 chunks and keeps a dict per chunk."""
        rows: dict[str, list[int]] = {}
        freqs: dict[str, list[int]] = {}
        doc_len = np.zeros(len(corpus), dtype=np.int64)
        for i, doc in enumerate(corpus):
            doc_len[i] = len(doc)
            for term, tf in Counter(doc).items():
                posting = rows.get(term)
                if posting is None:
                    rows[term], freqs[term] = [i], [tf]
                else:
                    posting.append(i)
                    freqs[term].append(tf)
        size = len(corpus)
        idf_sum = 0.0
        negative = []
        for term, posting in rows.items():  # rank_bm25's order (first appearance), so idf_sum is the same
            idf = math.log(size - len(posting) + 0.5) - math.log(len(posting) + 0.5)
            self.idf[term] = idf
            idf_sum += idf
            if idf < 0:
                negative.append(term)
        eps = BM25_EPSILON * (idf_sum / len(self.idf)) if self.idf else 0.0
        for term in negative:
            self.idf[term] = eps
        self._k1 = BM25_K1
        avgdl = int(doc_len.sum()) / size
        self._norm = BM25_K1 * (1 - BM25_B + BM25_B * doc_len / avgdl) if avgdl else np.ones(size)
        self._postings = {t: (np.array(rows[t], dtype=np.int64), np.array(freqs[t], dtype=np.int64)) for t in rows}

    def scores(self, query_terms: list[str]) -> np.ndarray:
        """rank_bm25's get_scores, from the postings."""
        score = np.zeros(len(self.chunks))
        for term in query_terms:
            posting = self._postings.get(term)
            idf = self.idf.get(term) or 0
            if posting is None or not idf:
                continue
            rows, tf = posting
            score[rows] += idf * (tf * (self._k1 + 1) / (tf + self._norm[rows]))
        return score

    def search(self, query_terms: list[str], k: int, roles: Sequence[str] | None) -> list[tuple[Hit, float]]:
        if not query_terms or not self.chunks:
            return []
        scores = self.scores(query_terms)
        # numpy's default argsort over every chunk, as before: equal scores (a passage filed twice,
        # or two with the same terms) come out in the same order as they always did, so answers
        # do not change. ~1 ms at 21,000 chunks.
        order = np.argsort(-scores)
        keep = scores[order] > 0
        if roles:
            allowed = np.zeros(len(self.chunks), dtype=bool)
            for role in roles:
                mask = self._role_masks.get(role)
                if mask is not None:
                    allowed |= mask
            keep &= allowed[order]
        order = order[keep][:k]
        return [(self.chunks[int(i)], float(scores[i])) for i in order]


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
                self._keyword = _Keyword(version, self.index.chunks())
            return self._keyword

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
