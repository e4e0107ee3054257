"""The vectors answers score sentences with are stored at ingest (ingest.sentences), so a warm answer
embeds the question and nothing else, however large the knowledge base."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answer.advisor import Advisor
from bot.settings import Settings
from ingest.chunking import units
from ingest.embedding.factory import Embedder
from ingest.sentences import scored_text


def test_every_chunk_has_its_units_vectors_stored(built: tuple[Settings, Advisor], embedder: Embedder) -> None:
    _, advisor = built
    chunks = advisor.index.chunks()
    stored = advisor.index.unit_vectors([h.metadata["content_hash"] for h in chunks])
    assert len(stored) == len(chunks)
    for hit in chunks:
        matrix = stored[hit.metadata["content_hash"]]
        texts = [scored_text(u, str(hit.metadata.get("headings") or "")) for u in units(hit.text)]
        assert matrix.shape == (len(texts), embedder.dimension)
        # The same vectors the answer would have embedded itself (to float32 rounding across batches).
        np.testing.assert_allclose(matrix, embedder.encode(texts), atol=1e-5)


def test_a_warm_answer_embeds_no_article_sentence(
    built: tuple[Settings, Advisor], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, advisor = built
    embedded: list[str] = []
    vectors = advisor.picker.vectors
    original = vectors.get
    monkeypatch.setattr(vectors, "get", lambda texts: embedded.extend(texts) or original(texts))
    answer = advisor.ask_sync("What should a health system look for in a CMIO candidate's background?")
    assert answer.in_scope and answer.points
    assert embedded == []


def test_without_stored_vectors_sentences_are_embedded(built: tuple[Settings, Advisor]) -> None:
    """An index built before the vectors were stored still answers, embedding what it quotes."""
    _, advisor = built
    vectors = advisor.picker.vectors
    question = "What qualities should a CTO have?"
    with_stored = advisor.ask_sync(question)
    stored = vectors.stored
    vectors.stored = lambda _: {}
    try:
        without = advisor.ask_sync(question)
    finally:
        vectors.stored = stored
    assert without.text == with_stored.text
