"""Properties of the chunker with the real tokenizer, checked with hypothesis on generated Markdown: no
chunk is over the window, and every word is in the chunks, in order.

Example counts per profile ("fast", "stress"): tests/property_profiles.py.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ingest.chunking import Chunker
from ingest.embedding.factory import Embedder
from tests.property_profiles import TIMEOUT, examples

pytestmark = TIMEOUT

WORDS = [
    "CTO",
    "CMIO",
    "Dr.",
    "M.D.,",
    "e.g.",
    "owns",
    "the",
    "platform.",
    "Why?",
    "Yes!",
    "(see",
    "note).",
    "“quoted.”",
    "96%",
    "second-generation",
    "laymen’s",
    "a.b.c.d.e.f.g.h",
    "https://example.org/a/very/long/path?with=query&and=more",
    "電子カルテの導入と運用",
    "😀",
    "x" * 120,
    "#tag",
    ";",
    "—",
    "1.",
    ".".join("a" * 200),  # one 'word', 399 word pieces: longer than any window
    "電" * 300,  # CJK ideographs are one word piece each
]
word = st.sampled_from(WORDS) | st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")), min_size=1, max_size=30
)
sentence = st.lists(word, min_size=1, max_size=40).map(" ".join)
long_sentence = st.lists(word, min_size=100, max_size=400).map(" ".join)
# Units of a Markdown document: ("heading", level, words) or ("para" | "item" | "code", lines).
unit = st.one_of(
    st.tuples(st.just("heading"), st.integers(1, 6), st.lists(st.sampled_from(WORDS[:12]), min_size=1, max_size=8)),
    st.tuples(st.just("para"), st.lists(sentence | long_sentence, min_size=1, max_size=6)),
    st.tuples(st.just("item"), st.lists(sentence, min_size=1, max_size=2)),
    st.tuples(st.just("code"), st.lists(sentence, min_size=1, max_size=3)),
)
documents = st.lists(unit, min_size=1, max_size=12)


def _plain_line(text: str) -> str:
    """A paragraph line that Markdown would read as a heading or a fence is another unit: keep it plain."""
    return re.sub(r"^(#|```|~~~)", r"x\1", " ".join(text.split()))


def _render_markdown(units: list[tuple[Any, ...]]) -> tuple[str, list[str], set[str]]:
    """The document, the words a reader must find in the chunks (all but heading lines), and the headings."""
    lines: list[str] = []
    body: list[str] = []
    headings: set[str] = set()
    for kind, *rest in units:
        if kind == "heading":
            level, heading_words = rest
            headings.add(" ".join(heading_words))
            lines += ["#" * level + " " + " ".join(heading_words), ""]
            continue
        parts = [_plain_line(p) for p in rest[0]]
        if kind == "para":
            lines += [" ".join(parts), ""]
            body += " ".join(parts).split()
        elif kind == "item":
            lines += [*(f"- {p}" for p in parts), ""]
            body += [w for p in parts for w in ["-", *p.split()]]
        else:
            lines += ["```", *parts, "```", ""]
            body += ["```", *" ".join(parts).split(), "```"]
    return "\n".join(lines), body, headings


@examples(40, 400)
@given(units=documents, max_tokens=st.integers(32, 300))
def test_chunks_keep_every_word_and_fit(embedder: Embedder, units: list[tuple[Any, ...]], max_tokens: int) -> None:
    """No chunk is over the window by the real tokenizer; every word is in the chunks, in order."""
    text, body, headings = _render_markdown(units)
    chunks = Chunker(embedder.count_tokens, max_tokens, embedder.max_tokens).chunk(text, "A title")
    limit = min(max_tokens, embedder.max_tokens)
    for chunk in chunks:
        used = embedder.count_tokens(chunk.embed_text)
        assert used <= limit, (used, limit, chunk.embed_text[:300])
        assert set(chunk.headings) <= headings
    got = [w for c in chunks for w in c.text.split()]
    if got != body:  # only a 'word' longer than the window may be cut (by characters): nothing lost, in order
        assert "".join(got) == "".join(body)
