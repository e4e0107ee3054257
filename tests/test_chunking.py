"""The chunker follows headings and sentences and never exceeds the model window."""

from __future__ import annotations

from ingest.chunking import Chunker, sections, split_sentences
from ingest.embedding.factory import Embedder
from tests.conftest import KNOWLEDGE


def test_sentences_keep_abbreviations() -> None:
    text = "Chris Wood, M.D., is CMIO at Loyola. Dr. Wood says it is not an implementation job. Is it? Yes."
    assert split_sentences(text) == [
        "Chris Wood, M.D., is CMIO at Loyola.",
        "Dr. Wood says it is not an implementation job.",
        "Is it?",
        "Yes.",
    ]


def test_sections_follow_headings_and_ignore_fenced_hashes() -> None:
    text = "Intro.\n\n## A\n\nOne.\n\n```\n# not a heading\n```\n\n### B\n\n- item one\n- item two\n"
    got = sections(text)
    assert [h for h, _ in got] == [(), ("A",), ("A", "B")]
    assert got[2][1] == ["- item one", "- item two"]


def test_shipped_articles_fit_the_window_and_end_on_sentences(embedder: Embedder) -> None:
    chunker = Chunker(embedder.count_tokens, 200, embedder.max_tokens)
    for path in KNOWLEDGE.glob("*-*.md"):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        chunks = chunker.chunk(body, path.stem)
        assert chunks
        for chunk in chunks:
            assert embedder.count_tokens(chunk.embed_text) <= 200
        words = " ".join(c.text for c in chunks).split()
        for word in ("laymen’s", "96", "second-generation", "Informaticians"):
            assert any(word in w for w in words) or word not in body


def test_an_overlong_sentence_is_split_without_losing_words(embedder: Embedder) -> None:
    chunker = Chunker(embedder.count_tokens, 64, embedder.max_tokens)
    sentence = "The CTO " + ", ".join(f"owns area number {i}" for i in range(80)) + "."
    chunks = chunker.chunk(sentence, "T")
    assert len(chunks) > 1
    assert all(embedder.count_tokens(c.embed_text) <= 64 for c in chunks)
    assert " ".join(c.text for c in chunks).split() == sentence.split()
