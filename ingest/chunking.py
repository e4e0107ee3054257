"""Heading- and sentence-aware chunking that always fits the embedding model's window.

all-MiniLM-L6-v2 silently truncates at 256 word pieces, so a chunk that is too long is only half
embedded. Chunks here follow headings, never end mid-sentence, and are measured with the model's own
tokenizer (title and heading path included, since that is the text we embed).

Hand-written rather than LangChain splitters: MarkdownHeaderTextSplitter collapses the blank lines we
need as paragraph boundaries, the recursive splitters cut mid-sentence, and NLTK's sentence splitter
needs a data download that cannot happen offline.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

CHUNKER_VERSION = "3"
"""Bump when chunk boundaries change, so the next ingest re-chunks every article."""

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
#: A Markdown list item's marker ("- ", "* ", "1. "): chunking keeps items whole; answers keep bullets.
LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_ABBREVIATIONS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "no",
    "e.g",
    "i.e",
    "m.d",
    "j.d",
    "ph.d",
    "d.o",
    "r.n",
    "u.s",
    "u.k",
    "fig",
    "approx",
    "dept",
    "est",
    "mt",
}
# A sentence ends at . ! ? (plus closing quotes/brackets) followed by space and a likely sentence start.
_BOUNDARY = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_CLAUSE = re.compile(r"(?<=[;:,—–])\s+")


@dataclass(frozen=True)
class Chunk:
    """One embeddable passage: its text, where it sits, and the exact text the model embeds."""

    text: str
    headings: tuple[str, ...]
    position: int
    embed_text: str


@dataclass(frozen=True)
class _Unit:
    """A sentence or list item, with how it joins the previous unit."""

    text: str
    joiner: str
    tokens: int


def split_sentences(paragraph: str) -> list[str]:
    """Split a paragraph into sentences, keeping abbreviations like 'Dr.' and 'M.D.' intact."""
    text = " ".join(paragraph.split())
    if not text:
        return []
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start(1) + len(match.group(1))
        candidate = text[start:end]
        last_word = candidate.rstrip("\"'”’)]").rstrip(".!?").rsplit(" ", 1)[-1].lower()
        if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
            continue
        sentences.append(candidate.strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


class Unit(NamedTuple):
    """A quotable piece of a chunk: a sentence, or a list item with its list's intro line if the
    chunk holds it (a list continued from the chunk before has none)."""

    text: str
    intro: str
    item: bool


POINTS_BACK = re.compile(r"^(?:It|Its|She|He|Her|His|They|Their|This|These|That|Those)\b")
"""A sentence that opens by pointing back ("It is a good resource that ...") finishes the one before it."""


def continued(text: str, following: str) -> bool:
    """Whether the next chunk's first unit that this chunk does not hold opens by pointing back: then a quote
    of this chunk's last sentence wants it ("Be sure to check out SFIA" ... "It is a good resource ...").
    Stored at ingest, so answering reads the next chunk only when it does."""
    fresh = next((u.text for u in units(following) if u.text not in text), "")
    return bool(POINTS_BACK.match(fresh))


def units(text: str) -> list[Unit]:
    """A chunk's sentences and list items in order.

    The unit of quoting and of facets: the ingest tags each unit with a facet in this order, and the
    bot quotes the same units, so the two must never split a chunk differently."""
    out: list[Unit] = []
    for block in re.split(r"\n\s*\n", text):
        prose: list[str] = []
        intro = ""
        for line in [*block.split("\n"), "- "]:
            if LIST_ITEM.match(line):
                sentences = split_sentences(" ".join(prose))
                out.extend(Unit(s, "", False) for s in sentences)
                if sentences:
                    intro = sentences[-1] if sentences[-1].endswith(":") else ""
                prose = []
                out.append(Unit(LIST_ITEM.sub("", line).strip(), intro, True))
            else:
                prose.append(line)
    return [u for u in out if u.text]


def sections(text: str) -> list[tuple[tuple[str, ...], list[str]]]:
    """Split Markdown into (heading path, blocks); blocks are paragraphs or single list items."""
    out: list[tuple[tuple[str, ...], list[str]]] = []
    path: list[tuple[int, str]] = []
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False

    def flush_block() -> None:
        if current:
            block = "\n".join(current).strip()
            if block:
                blocks.append(block)
            current.clear()

    def flush_section() -> None:
        flush_block()
        if blocks:
            out.append((tuple(h for _, h in path), list(blocks)))
            blocks.clear()

    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            current.append(line)
            continue
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            flush_section()
            level = len(heading.group(1))
            path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, heading.group(2).strip())]
        elif not in_fence and not line.strip():
            flush_block()
        elif not in_fence and LIST_ITEM.match(line):
            flush_block()
            current.append(line.strip())
        else:
            current.append(line)
    flush_section()
    return out


def _longest_fitting_prefix(word: str, fits: Callable[[str], bool]) -> int:
    """How many leading characters of `word` fit, by bisection (at least one, so a cut always advances).

    Word-piece counts of prefixes are not strictly monotone, but bisection only ever settles on a length
    it has seen fit, which is all a cut needs.
    """
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if fits(word[:middle]):
            low = middle
        else:
            high = middle - 1
    return low


def _hard_split(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Last resort for one sentence longer than the window: cut at clauses, then at words."""
    pieces: list[str] = []
    for clause in _CLAUSE.split(text):
        if pieces and fits(pieces[-1] + " " + clause):
            pieces[-1] = pieces[-1] + " " + clause
        elif fits(clause):
            pieces.append(clause)
        else:
            words: list[str] = []
            for word in clause.split():
                if words and not fits(" ".join([*words, word])):
                    pieces.append(" ".join(words))
                    words = []
                if not words and not fits(word):
                    # A single 'word' longer than the window (a URL, a run of symbols): cut by characters,
                    # each piece as long as still fits.
                    while word and not fits(word):
                        cut = _longest_fitting_prefix(word, fits)
                        pieces.append(word[:cut])
                        word = word[cut:]
                if word:
                    words.append(word)
            if words:
                pieces.append(" ".join(words))
    return pieces


class Chunker:
    """Packs sentences into chunks of at most `max_tokens` word pieces, measured by `count_tokens`."""

    def __init__(self, count_tokens: Callable[[str], int], max_tokens: int, model_window: int) -> None:
        # The model window is a hard ceiling; the configured size is a target below it.
        self.count = count_tokens
        self.limit = min(max_tokens, model_window)

    def _prefix(self, title: str, headings: tuple[str, ...]) -> str:
        parts = [title, *[h for h in headings if h != title]]
        return "\n".join(p for p in parts if p) + "\n"

    def _units(self, blocks: list[str], budget: int) -> list[_Unit]:
        units: list[_Unit] = []
        for index, block in enumerate(blocks):
            is_item = bool(LIST_ITEM.match(block))
            sentences = [block] if is_item else split_sentences(block)
            for s_index, sentence in enumerate(sentences):
                joiner = (" " if s_index else ("\n" if is_item else "\n\n")) if (index or s_index) else ""
                pieces = [sentence]
                if self.count(sentence) > budget:
                    pieces = _hard_split(sentence, lambda t: self.count(t) <= budget)
                for p_index, piece in enumerate(pieces):
                    units.append(_Unit(piece, joiner if p_index == 0 else " ", self.count(piece) - 2))
        return units

    def chunk(self, text: str, title: str) -> list[Chunk]:
        pieces: list[tuple[str, tuple[str, ...], str]] = []
        for headings, blocks in sections(text):
            prefix = self._prefix(title, headings)
            budget = self.limit - (self.count(prefix) - 2)
            if budget < 16:
                prefix, budget = "", self.limit
            units = self._units(blocks, budget)
            # Balance the section's chunks (e.g. 120+110, not 200+30) so no tiny tail loses its context.
            total = sum(u.tokens for u in units) + 2
            target = total / max(1, -(-total // budget))
            current: list[_Unit] = []
            used = 2  # [CLS] and [SEP]
            for unit in [*units, None]:
                if current and (unit is None or used + unit.tokens > budget or used + unit.tokens / 2 > target):
                    body = "".join((u.joiner if i else "") + u.text for i, u in enumerate(current)).strip()
                    pieces.extend(self._fit(body, headings, prefix))
                    current, used = [], 2
                if unit is not None:
                    current.append(unit)
                    used += unit.tokens
        return [Chunk(body, headings, i, prefix + body) for i, (body, headings, prefix) in enumerate(pieces)]

    def _fit(self, body: str, headings: tuple[str, ...], prefix: str) -> list[tuple[str, tuple[str, ...], str]]:
        """Word-piece counts are nearly additive, not exactly: re-check and halve by sentences if over."""
        if not body:
            return []
        sentences = split_sentences(body)
        if self.count(prefix + body) <= self.limit or len(sentences) < 2:
            return [(body, headings, prefix)]
        half = len(sentences) // 2
        return [
            *self._fit(" ".join(sentences[:half]), headings, prefix),
            *self._fit(" ".join(sentences[half:]), headings, prefix),
        ]
