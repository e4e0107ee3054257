"""The speed work must not change a single result: our BM25 gives rank_bm25's scores bit for bit, the
ONNX backend gives sentence-transformers' vectors and token counts, and role-filtered dense search
gives what Chroma's own filter gives."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bot.answer.advisor import Advisor
from bot.answer.retrieval import STOPWORDS, _Keyword, terms
from bot.settings import Settings
from ingest.chunking import Chunker
from ingest.embedding.factory import Embedder
from ingest.keywords import KeywordStats, article_part
from ingest.settings import EmbeddingSettings
from ingest.store.index import Hit
from ingest.store.nearest import where_query
from tests.conftest import KNOWLEDGE

ROLES = ["CTO", "CMIO", "CISO"]


def _chunks(embedder: Embedder) -> list[Hit]:
    chunker = Chunker(embedder.count_tokens, 120, embedder.max_tokens)
    hits: list[Hit] = []
    for path in sorted(KNOWLEDGE.glob("*.md")):
        if path.name == "README.md":
            continue
        for c in chunker.chunk(path.read_text(encoding="utf-8"), path.stem):
            role = ROLES[len(hits) % len(ROLES)]
            hits.append(
                Hit(f"{path.name}#{c.position}", c.text, {"doc_id": path.name, "headings": "", "roles": [role]})
            )
    return hits


def _old_search(
    bm25: BM25Okapi, chunks: list[Hit], query: list[str], k: int, roles: list[str] | None
) -> list[tuple[str, float]]:
    """The search as it was with rank_bm25: full sort, then skip chunks of other roles. Equal scores in the
    corpus's order (a stable sort): numpy's default sort gave an arbitrary order past 16 chunks."""
    scores = bm25.get_scores(query)
    out: list[tuple[str, float]] = []
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] <= 0 or len(out) >= k:
            break
        if roles and not set(roles) & set(chunks[int(i)].metadata.get("roles") or []):
            continue
        out.append((chunks[int(i)].id, float(scores[i])))
    return out


def test_bm25_scores_are_rank_bm25s_bit_for_bit(embedder: Embedder) -> None:
    chunks = _chunks(embedder)
    chunks += [Hit(h.id + "-copy", h.text, h.metadata) for h in chunks] * 2  # ties: the same text filed again
    # One part holding every chunk in the order given: rank_bm25's corpus order.
    stats = KeywordStats.merge([article_part([(h.id, h.text, h.metadata) for h in chunks])])
    by_id = {h.id: h for h in chunks}
    keyword = _Keyword("v1", KeywordStats.from_bytes(stats.to_bytes()), lambda ids: [by_id[i] for i in ids])
    reference = BM25Okapi([terms(h.text + " " + str(h.metadata.get("headings", ""))) for h in chunks])
    assert keyword.idf == reference.idf
    vocabulary = sorted(reference.idf)
    rng = random.Random(5)
    for trial in range(300):
        query = [rng.choice(vocabulary) for _ in range(rng.randint(1, 6))] + ["cto", "nosuchword"]
        assert np.array_equal(keyword.scores(query), reference.get_scores(query))
        roles = [rng.choice(ROLES)] if trial % 2 else None
        got = keyword.search(query, 8, roles)
        assert got == _old_search(reference, chunks, query, 8, roles)
    empty = _Keyword("v0", KeywordStats.from_chunks([]), lambda ids: [])
    assert keyword.search([], 8, None) == [] and empty.search(["cto"], 8, None) == []


def _terms_before(text: str) -> list[str]:
    """terms() without the memo (and with the possessive dropped, as terms() has done since)."""
    out = []
    for word in re.findall(r"[a-z0-9]+(?:'[a-z0-9]+)*", text.lower().replace("’", "'")):
        word = word.removesuffix("'s")
        if word in STOPWORDS:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def test_terms_memo_gives_the_same_terms() -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(KNOWLEDGE.glob("*.md"))]
    texts.append("The CTOs' systems: physicians’ trust, process and analytics — hiring a CTO's deputies")
    for text in texts:
        assert terms(text) == terms(text) == _terms_before(text)


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(EmbeddingSettings(backend="torch"))


def test_onnx_backend_matches_torch(torch_embedder: Embedder) -> None:
    onnx = Embedder(EmbeddingSettings(backend="onnx"))
    assert onnx.backend == "onnx" and torch_embedder.backend == "torch"
    assert (onnx.dimension, onnx.max_tokens) == (torch_embedder.dimension, torch_embedder.max_tokens) == (384, 256)
    texts = [h.text for h in _chunks(torch_embedder)] + ["CTO", "What should I look for in a CMIO?", "word " * 400]
    for text in texts:
        assert onnx.count_tokens(text) == torch_embedder.count_tokens(text)
    diff = np.abs(onnx.encode(texts) - torch_embedder.encode(texts)).max()
    assert diff < 1e-5
    # Repeated texts are encoded once and come back in order.
    twice = onnx.encode(["CTO", "CMIO", "CTO"])
    assert np.array_equal(twice[0], twice[2]) and not np.array_equal(twice[0], twice[1])
    assert onnx.embed_query("CTO") == twice[0].tolist()


def test_role_filtered_search_finds_what_chromas_own_filter_finds(built: tuple[Settings, Advisor]) -> None:
    """The role filter applied to a widened unfiltered query (ingest.store.index) keeps the same chunks,
    in the same order with the same similarities, as Chroma's `where` on the roles list."""
    index = built[1].index
    for question in ("What does a CMIO do day to day?", "Which skills matter for a CTO?", "salary"):
        vector = index.embedder.embed_query(question)
        for roles in (["CTO"], ["CMIO"], ["CTO", "CMIO"], ["CFO"]):
            ours = index.nearest(vector, 4, roles)
            chroma = where_query(index._query(vector), 4, roles)
            assert [i for i, _ in ours] == [i for i, _ in chroma]
            assert [s for _, s in ours] == pytest.approx([s for _, s in chroma], abs=1e-6)
            hits = index.search_vector(vector, 4, roles)  # the same, with their texts
            assert [(h.id, h.score) for h in hits] == ours and all(h.text for h in hits)
