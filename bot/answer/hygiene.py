"""Output hygiene for an LLM's answer: it may cite only the passages it was given and link only to their
sources' own URLs (passages are untrusted text that might carry prompt injections), and a growing
streamed answer is cleaned piece by piece, never again from its start.

Hand-written: no library cleans citations against a set of passage numbers, and link cleaning must keep
exactly what a Telegram client would not turn into a foreign link.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot.answer.types import Passage

_GAP_MARK = "\x00"
_NUMS = r"\d+(?:\s*[-\u2013]\s*\d+)?"
_CITATION = re.compile(rf"\[\s*({_NUMS}(?:\s*[,;]\s*{_NUMS})*)\s*\]")
#: A cut mark (or a run of them), alone or as the whole content of parentheses, with the spaces around it.
_GAP = re.compile(r"([ \t]*)(?:\([ \t]*\x00(?:[ \t]*\x00)*[ \t]*\)|\x00(?:[ \t]*\x00)*)([ \t]*)")
_CLOSERS = set(".,;:!?)]}\n")
_MAX_RANGE = 50


def _close_gaps(text: str) -> str:
    """Remove the marks left where something was cut, with the spaces around them, keeping words apart."""

    def close(m: re.Match[str]) -> str:
        start, end = m.span()
        left = text[start - 1] if start > 0 else "\n"
        right = text[end] if end < len(text) else "\n"
        if left == "\n":
            return m.group(1)  # at a line start: keep the indentation, drop the gap
        if right in _CLOSERS:
            return ""  # "claim [9]." -> "claim."
        return " " if (m.group(1) or m.group(2)) else ""

    return _GAP.sub(close, text)


def _citation_parts(body: str) -> list[tuple[str, list[int]]]:
    """Each part of a citation's body ("1", "2-4") with the numbers it names (none for a range too wide)."""
    parts: list[tuple[str, list[int]]] = []
    for raw in re.split(r"\s*[,;]\s*", body.strip()):
        bounds = [int(x) for x in re.split(r"\s*[-\u2013]\s*", raw)]
        lo, hi = bounds[0], bounds[-1]
        numbers = list(range(lo, hi + 1)) if lo <= hi <= lo + _MAX_RANGE else []
        parts.append((raw, numbers))
    return parts


def clean_citations(text: str, valid: set[int]) -> str:
    """Remove [k] citations (and k from [k, m]) that name no passage: the model must not cite what it was not given."""
    text = text.replace(_GAP_MARK, "")

    def fix(m: re.Match[str]) -> str:
        parts = _citation_parts(m.group(1))
        if all(numbers and set(numbers) <= valid for _, numbers in parts):
            return m.group(0)
        kept: list[str] = []
        for raw, numbers in parts:
            if numbers and set(numbers) <= valid:
                kept.append(raw)
            else:
                kept.extend(str(n) for n in numbers if n in valid)
        return f"[{', '.join(kept)}]" if kept else _GAP_MARK

    return _close_gaps(_CITATION.sub(fix, text))


_SCHEME = r"[a-zA-Z][a-zA-Z0-9+.\-]*:"
_MD_TARGET = r"(?:[^\s()<>]|\([^\s()<>]*\))*"  # one level of balanced parentheses, as in Wikipedia URLs
_MD_LINK = re.compile(rf"\[([^\]\n]*)\]\(\s*<?((?:{_SCHEME}|//|www\.){_MD_TARGET})>?(?:\s+\"[^\"\n]*\")?\s*\)")
_BARE_URL = re.compile(r"<?((?:https?://|www\.)[^\s<>\"'`]+)(>?)", re.IGNORECASE)
#: A link without a scheme that Telegram would still open: a domain followed by a path ("evil.example/x").
_BARE_DOMAIN = re.compile(r"(?<![\w@./:-])((?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"'`]*)()", re.IGNORECASE)
#: An email address is a link too (mailto:), and never one of the sources' URLs.
_EMAIL = re.compile(r"(?:mailto:)?[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
_TRAILING_PUNCT = ".,;:!?'\""


def _norm_url(url: str) -> str:
    """A URL as compared with the sources' own: no brackets, scheme, case or trailing slash."""
    url = url.strip().strip("<>").lower()
    url = re.sub(r"^(?:https?:)?//", "", url)
    return url.rstrip("/")


def _split_trailing(url: str) -> tuple[str, str]:
    """Separate sentence punctuation (and unbalanced closing brackets) from the end of a bare URL."""
    end = len(url)
    while end:
        ch, head = url[end - 1], url[:end]
        unbalanced = (ch == ")" and head.count("(") < head.count(")")) or (
            ch == "]" and head.count("[") < head.count("]")
        )
        if ch not in _TRAILING_PUNCT and not unbalanced:
            break
        end -= 1
    return url[:end], url[end:]


def strip_foreign_links(text: str, allowed_urls: set[str]) -> str:
    """Drop URLs, markdown link targets and email addresses that are not the sources' own, keeping link text.

    Passages are untrusted: an injected "email us at x@evil.example or see http://evil.example/x" must not
    reach users as the bot's own advice.
    """
    allowed = {_norm_url(u) for u in allowed_urls if u}
    text = text.replace(_GAP_MARK, "")

    def fix_markdown(m: re.Match[str]) -> str:
        if _norm_url(m.group(2)) in allowed:
            return m.group(0)
        return m.group(1) if m.group(1).strip() else _GAP_MARK

    def fix_bare(m: re.Match[str]) -> str:
        url, tail = _split_trailing(m.group(1))
        if _norm_url(url) in allowed:
            return m.group(0)
        return _GAP_MARK + tail

    text = _MD_LINK.sub(fix_markdown, text)
    text = _BARE_URL.sub(fix_bare, text)
    text = _BARE_DOMAIN.sub(fix_bare, text)
    text = _EMAIL.sub(_GAP_MARK, text)
    return _close_gaps(text)


def cited_numbers(text: str) -> set[int]:
    """The passage numbers an answer cites, so the caller can list just those sources."""
    found: set[int] = set()
    for m in _CITATION.finditer(text):
        for _, numbers in _citation_parts(m.group(1)):
            found.update(numbers)
    return found


def strip_citations(text: str) -> str:
    """The text without its [n] citations: what a sentence claims, for the groundedness guard."""
    return " ".join(_CITATION.sub("", text).split())


def passages_urls(passages: Iterable[Passage]) -> set[str]:
    """The sources' own URLs: the only links an answer may carry."""
    return {p.source.url for p in passages if p.source.url}


def stable_prefix(text: str) -> str:
    """The part of a growing answer that later chunks cannot change by completing a citation or a link."""
    cut = len(text)
    for pattern in (r"\[[^\]\n]{0,80}\Z", r"\[[^\]\n]*\]\([^)\n]*\Z"):
        m = re.search(pattern, text)
        if m:
            cut = min(cut, m.start())
    m = re.search(r"\S+\Z", text)
    if m:
        word = m.group().lstrip("(<\"'").lower()
        linkish = word.startswith(("http", "www.")) or "https://".startswith(word) or "www.".startswith(word)
        if word and (linkish or "@" in word or "." in word.rstrip(".")):  # maybe a link or address, half streamed
            cut = min(cut, m.start())
    return text[:cut]


class AnswerCleaner:
    """Cleans text against one answer's passages: citations of those numbers only, links to their sources only."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        passages = list(passages)
        self.urls = passages_urls(passages)
        self.valid = {p.n for p in passages}

    def __call__(self, text: str) -> str:
        """`text` without foreign links and citations of other numbers (surrounding whitespace kept)."""
        return clean_citations(strip_foreign_links(text, self.urls), self.valid)


def clean_answer(raw: str, passages: Iterable[Passage]) -> str:
    """A whole answer, cleaned in one piece: what the model may show, without surrounding whitespace."""
    return AnswerCleaner(passages)(raw).strip()


MAX_PENDING_CHARS = 2000
"""Held back uncleaned at most this long before a line break is taken as a cut point anyway (see StreamCleaner)."""


def _opens_unclosed(text: str) -> bool:
    """Whether `text` has a "[" or "(" with no closer after it: a citation or a link may still run on."""
    depth = {"(": 0, "[": 0}
    closers = {")": "(", "]": "["}
    for ch in reversed(text):
        if ch in closers:
            depth[closers[ch]] -= 1
        elif ch in depth:
            depth[ch] += 1
            if depth[ch] > 0:
                return True
    return False


class StreamCleaner:
    """The cleaned answer so far, for an answer that arrives in chunks, with work per chunk bounded by the
    text not yet cleaned rather than by the whole answer (re-cleaning everything on every chunk is
    quadratic in the answer's length).

    Whole lines are cleaned once, when a line break is followed by text and no "[" or "(" before it is
    still open: every citation and link the cleaners match then lies on one side of the break, so
    cleaning the two sides apart gives what cleaning them together does (a break only ever has a break
    beside it on the left, and the gap closing looks no further). The rest, up to its stable prefix, is
    cleaned again on each chunk. Text held back past MAX_PENDING_CHARS (an unclosed bracket that never
    closes) is cut at its last break all the same, so the work stays bounded; that may show an odd
    partial, never a foreign link (a URL holds no line break), and the final answer is always cleaned
    in one piece by `clean_answer`.
    """

    def __init__(self, clean: Callable[[str], str]) -> None:
        self._clean = clean
        self._chunks: list[str] = []
        self._done = ""
        self._pending = ""

    @property
    def raw(self) -> str:
        """Everything fed so far, uncleaned."""
        return "".join(self._chunks)

    @property
    def pending(self) -> str:
        """The raw text not yet cleaned for good."""
        return self._pending

    def feed(self, chunk: str) -> str:
        """Add a chunk; the cleaned text so far, up to what later chunks cannot change."""
        self._chunks.append(chunk)
        self._pending += chunk
        cut = self._pending.rfind("\n") + 1
        if 0 < cut < len(self._pending):
            head = self._pending[:cut]
            if len(self._pending) > MAX_PENDING_CHARS or not _opens_unclosed(head):
                self._done += self._clean(head)
                self._pending = self._pending[cut:]
        return (self._done + self._clean(stable_prefix(self._pending))).strip()
