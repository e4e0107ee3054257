"""Properties, checked with hypothesis on generated input: the Telegram splitter and HTML escaper, the
chunker (with the real tokenizer), and the config loader's error messages.

Each property names two example counts: one for the "fast" hypothesis profile (make test: the whole file
well under a minute) and one for the "stress" profile (make stress, or HYPOTHESIS_PROFILE=stress), which
tests/conftest.py registers and loads.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

import pytest
import yaml
from annotated_types import Ge, Gt, Le, Lt
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.settings import Settings, load_settings
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
from ingest.chunking import Chunker
from ingest.embedding.factory import Embedder
from ingest.errors import ConfigError
from tests.emulator import parse_html
from tests.emulator.auto_entities import find_auto_entities

STRESS = settings.get_current_profile_name().startswith("stress")
"""The stress profile is loaded (a verbosity option makes it "stress-with-...-verbosity")."""
pytestmark = pytest.mark.timeout(1800 if STRESS else 120)


def examples(fast: int, stress: int) -> settings:
    """This property's example count under the loaded profile; the rest of its settings are the profile's."""
    return settings(max_examples=stress if STRESS else fast)


# ------------------------------------------------------------------------------------------ splitter and escaper

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


# ------------------------------------------------------------------------------------------ chunker

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


# ------------------------------------------------------------------------------------------ config loader


def _leaves(model: type[BaseModel], prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, annotation, field info) for every setting, found from the models themselves so a new
    key is covered without touching this test."""
    out: list[tuple[str, Any, Any]] = []
    for name, info in model.model_fields.items():
        if name == "config_dir":
            continue
        key = f"{prefix}{name}"
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += _leaves(annotation, key + ".")
        else:
            out.append((key, annotation, info))
    return out


LEAVES = _leaves(Settings)
SECTIONS = [name for name in Settings.model_fields if name != "config_dir"]
WRONG_SHAPES: list[Any] = [[1, 2], {"nested": {"deeper": 1}}, "text", 3, 2.5, True]


def _base(annotation: Any) -> tuple[Any, bool]:
    """The annotation without Optional, and whether None is allowed."""
    if get_origin(annotation) in (Union, UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(get_args(annotation))
    return annotation, False


def _bounds(info: Any) -> list[Any]:
    """Values just outside the field's numeric range."""
    out: list[Any] = []
    for meta in info.metadata:
        if isinstance(meta, Ge):
            out.append(meta.ge - 1)
        if isinstance(meta, Gt):
            out.append(meta.gt)
        if isinstance(meta, Le):
            out.append(meta.le + 1)
        if isinstance(meta, Lt):
            out.append(meta.lt)
    return out


def bad_values(annotation: Any, info: Any) -> st.SearchStrategy[Any]:
    """Values that must be refused for a key of this type: wrong types, out of range, wrong shapes."""
    base, optional = _base(annotation)
    candidates: list[Any] = [{"nested": 1}, [[1]]]
    if not optional:
        candidates.append(None)
    if base is int:
        candidates += ["many", "8000", 1.5, True, [1], math.inf, *_bounds(info)]
    elif base is float:
        candidates += ["fast", True, [1.0], math.inf, -math.inf, math.nan, *_bounds(info)]
    elif base is bool:
        candidates += ["maybe", 2, 1, 0.5, [True]]
    elif base is str:
        candidates += [5, 1.5, True, ["a"]]
        pattern = next((m.pattern for m in info.metadata if hasattr(m, "pattern") and m.pattern), None)
        if pattern:
            candidates += ["has space", "", "-lead", "ü" * 3]
        if any(getattr(m, "min_length", None) for m in info.metadata):
            candidates.append("")
    elif base is Path:
        candidates += [5, True, ["a"]]
    elif get_origin(base) is Literal:
        candidates += ["not-an-option", 1, True, ["embedded"]]
    elif get_origin(base) is tuple:
        (item, *_) = get_args(base)
        candidates += ["text", 5, {"a": 1}]
        if item is int:
            candidates += [["x"], [True], [1.5], [None]]
        elif item is str:
            candidates += [[1], [None], [["x"]]]
        else:  # a tuple of models (gate.questions)
            candidates += [["just text"], [{"question": "Who owns it?"}], [{"question": "Who?", "expect": "a", "x": 1}]]
    else:
        raise AssertionError(f"no bad values known for {annotation!r}: extend bad_values()")
    return st.sampled_from(candidates)


def _with(key: str, value: Any) -> dict[str, Any]:
    data: dict[str, Any] = {}
    node = data
    *parents, leaf = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value
    return data


@st.composite
def bad_configs(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """(config, the dotted key its error must name)."""
    kind = draw(st.sampled_from(["value", "value", "value", "unknown", "section_shape", "top_unknown", "points"]))
    if kind == "points":  # one key against another: fewer max_points than min_points
        low = draw(st.integers(2, 5))
        return {"advisor": {"min_points": low, "max_points": draw(st.integers(1, low - 1))}}, "advisor.max_points"
    if kind == "value":
        key, annotation, info = draw(st.sampled_from(LEAVES))
        return _with(key, draw(bad_values(annotation, info))), key
    if kind == "unknown":
        section = draw(st.sampled_from(SECTIONS))
        name = draw(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True))
        if name in Settings.model_fields[section].annotation.model_fields:  # type: ignore[union-attr]
            name += "_typo"
        return {section: {name: draw(st.sampled_from(WRONG_SHAPES))}}, f"{section}.{name}"
    if kind == "section_shape":
        section = draw(st.sampled_from(SECTIONS))
        return {section: draw(st.sampled_from([[1, 2], "text", 3, True]))}, section
    name = draw(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True).filter(lambda n: n not in Settings.model_fields))
    return {name: draw(st.sampled_from(WRONG_SHAPES))}, name


@pytest.fixture(scope="module")
def config_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cfg") / "config.yaml"


@examples(150, 3000)
@given(case=bad_configs())
def test_config_errors_name_the_key(config_path: Path, case: tuple[dict[str, Any], str]) -> None:
    """Every bad value is refused, with a line that names its dotted key."""
    data, key = case
    path = config_path
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert re.search(rf": {re.escape(key)}(?:\.[\w.]+)?: ", message), (data, message)
    assert "\n" not in message or all(line.startswith(str(path)) for line in message.splitlines())


def test_an_override_below_a_non_mapping_names_the_key(config_path: Path) -> None:
    """load_settings(overrides=...) into a section that is not a mapping: a ConfigError, not a TypeError."""
    config_path.write_text("store: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r": store: must be a mapping to set store\.port"):
        load_settings(config_path, overrides={"store.port": 8001})


def test_every_key_has_bad_values() -> None:
    """The generator knows every setting's type (a new type would otherwise go untested)."""
    for key, annotation, info in LEAVES:
        assert bad_values(annotation, info) is not None, key
    assert len(LEAVES) >= 50


def test_the_shipped_config_is_valid() -> None:
    """Strict types must still accept every value config.yaml documents."""
    root = Path(__file__).resolve().parent.parent
    assert load_settings(root / "config.yaml").store.port == 8000
