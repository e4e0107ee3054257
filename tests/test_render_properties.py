"""Properties of the Telegram splitter and HTML escaper, checked with hypothesis on generated text: every
part fits, parses and reads as the text, and nothing a user did not write becomes tappable.

Example counts per profile ("fast", "stress"): tests/property_profiles.py.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.render import (
    MAX_MESSAGE,
    Span,
    doc_text,
    quoted,
    render_html,
    safe_url,
    split_plain,
    to_messages,
    utf16_len,
)
from tests.emulator import parse_html
from tests.emulator.auto_entities import find_auto_entities
from tests.property_profiles import TIMEOUT, examples

pytestmark = TIMEOUT

TRICKY = [*"ab <>&;\"'\n \t", "é", "😀", "\u202e", "𝔘", "&amp;", "<b>", "</code>", '<a href="x">', "\u200d", "\r"]
texts = st.lists(st.sampled_from(TRICKY), max_size=300).map("".join) | st.text(max_size=300)
limits = st.integers(min_value=2, max_value=80)
HREFS = [None, "https://example.org/p?a=1&b=<x>", "http://evil.example/\"onclick='x'", "javascript:alert(1)", "tg://x"]
spans = st.builds(
    Span,
    st.text(min_size=1, max_size=60) | st.lists(st.sampled_from(TRICKY), min_size=1, max_size=30).map("".join),
    st.sampled_from(["", "b", "i", "code"]),
    st.sampled_from(HREFS),
)
docs = st.lists(st.lists(spans, max_size=5).map(tuple), min_size=1, max_size=12)
TAPPABLE_TYPES = {"url", "email", "mention", "bot_command", "text_link", "text_mention"}


@examples(200, 5000)
@given(texts, limits)
def test_split_plain(text: str, limit: int) -> None:
    parts = split_plain(text, limit)
    assert "".join(parts) == text
    assert all(0 < utf16_len(p) <= limit for p in parts)
    for part in parts[:-1]:  # a cut goes after the last newline that fits, else after the last blank
        if "\n" in part:
            assert part.endswith("\n"), parts
        elif any(ch.isspace() for ch in part):
            assert part[-1].isspace(), parts


@examples(200, 5000)
@given(st.lists(spans, max_size=8))
def test_escaped_spans_round_trip(line: list[Span]) -> None:
    """Whatever a span holds (tags, entities, RTL marks), the markup shows exactly that text, and only an
    absolute http(s) href becomes a link."""
    html_text = render_html(line)
    plain, entities = parse_html(html_text, strict_ampersand=True)  # raises on a broken tag or a bare '&'
    assert plain == "".join(s.text for s in line)
    expected_links = sum(1 for s in line if s.text and safe_url(s.href))
    links = [e for e in entities if e["type"] == "text_link"]
    assert len(links) == expected_links
    assert all(e["url"].startswith(("http://", "https://")) for e in links)
    allowed_types = {"bold", "italic", "code", "text_link"}
    assert {e["type"] for e in entities} <= allowed_types


def _parts_are_valid_html_within_the_limit(doc: list[tuple[Span, ...]], limit: int) -> None:
    """Each message parses (no "can't parse entities"), fits, and the messages are the text's parts in order."""
    text = doc_text(doc)
    messages = to_messages(doc, limit)
    parts = split_plain(text, limit)
    assert "".join(parts) == text
    shown = [p for p in parts if p.strip()]
    assert len(messages) == len(shown)
    for html_text, expected in zip(messages, shown, strict=True):
        plain, _ = parse_html(html_text, strict_ampersand=True)
        assert plain == expected
        assert utf16_len(plain) <= limit


@examples(100, 3000)
@given(docs, st.integers(min_value=8, max_value=120))
def test_parts_are_valid_html(doc: list[tuple[Span, ...]], limit: int) -> None:
    _parts_are_valid_html_within_the_limit(doc, limit)


LINKISH = [
    "http://",
    "https://kb.example/a?b=1&c=<d>",
    "evil.example",
    "evil.example/steal",
    "x@evil.example",
    "mailto:",
    "/forget_me",
    "@evil_helper_bot",
    "www.",
    "t.me/x",
    "tg://resolve?domain=x",
    "ftp://",
    ".",
    "/",
    "@",
    ":",
    "com",
    "org",
    "a",
    "Zürich",
    " ",
    "\n",
    "(",
    ")",
    ",",
    "#tag",
    "😀",
]
linkish_texts = st.lists(st.sampled_from(LINKISH), max_size=40).map("".join) | st.text(max_size=80)


@examples(300, 10000)
@given(linkish_texts)
def test_quoted_text_has_nothing_to_tap(text: str) -> None:
    """After quoted(), Telegram (as the emulator models its auto-detection) finds no link, email, command
    or mention in the text, and the text reads exactly as before."""
    plain, entities = parse_html(render_html(quoted(text)), strict_ampersand=True)
    assert plain == text
    tappable = [e for e in [*entities, *find_auto_entities(plain, entities)] if e["type"] in TAPPABLE_TYPES]
    assert tappable == [], tappable


long_docs = st.lists(
    st.lists(
        st.builds(
            Span,
            st.lists(st.sampled_from([*TRICKY, "word ", "😀😀😀", "x" * 97]), min_size=1, max_size=120).map("".join),
            st.sampled_from(["", "b", "code"]),
            st.sampled_from(HREFS),
        ),
        max_size=4,
    ).map(tuple),
    min_size=1,
    max_size=60,
)


@examples(25, 500)
@given(long_docs)
def test_long_documents_at_4096(doc: list[tuple[Span, ...]]) -> None:
    _parts_are_valid_html_within_the_limit(doc, MAX_MESSAGE)
