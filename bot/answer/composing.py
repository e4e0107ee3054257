"""How chosen sentences become the cited answer: each point quoted with the sentences it needs, numbered by
article, led by who says it, and fitted to the answer's length. The quoting, trimming at a clause, is the only
change ever made to an author's words."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.answer.extractive import Candidate
from bot.answer.types import Point, Source, sources_footer

_CLAUSE_END = re.compile(r"[;,:—–]\s")
MAX_POINT_CHARS = 300


def trim(sentence: str, limit: int = MAX_POINT_CHARS) -> str:
    """Shorten a long sentence at a clause boundary; the only change we ever make to an author's words."""
    if len(sentence) <= limit:
        return sentence
    cut = max((m.start() for m in _CLAUSE_END.finditer(sentence, 0, limit)), default=-1)
    if cut < limit // 2:
        cut = sentence.rfind(" ", 0, limit)
    return sentence[:cut].rstrip(" ,;:—–") + "…"


def number_sources(chosen: Sequence[Candidate]) -> tuple[list[Point], list[Source]]:
    """Number articles by first appearance, so [1] is always the most relevant one cited."""
    numbers: dict[str, int] = {}
    sources: list[Source] = []
    points: list[Point] = []
    for cand in chosen:
        src = cand.passage.source
        if src.path not in numbers:
            numbers[src.path] = len(numbers) + 1
            sources.append(Source(numbers[src.path], src.title, src.author, src.publisher, src.path, src.url))
        points.append(Point(_quoted(cand, cand.after), numbers[src.path]))
    return points, sources


def shorter(chosen: Sequence[Candidate]) -> list[str]:
    """Each point's text without the sentence that only continues it: what `fit` shortens a point to before
    it drops the point."""
    return [_quoted(c) for c in chosen]


def _quoted(cand: Candidate, after: Sequence[str] = ()) -> str:
    return " ".join(trim(t) for t in (*cand.before, cand.text, *after))


def lead_line(chosen: Sequence[Candidate], sources: Sequence[Source], roles: Sequence[str]) -> str:
    """Connecting words only: who says it, and where, when the points share an article's section
    ("From Bonnie Siegel's list of CTO key qualities (Witt/Kieffer):"), else about which role."""
    authors = list(dict.fromkeys(s.author for s in sources))
    sections = {(c.passage.doc_id, c.passage.headings) for c in chosen}
    source = sources[0] if sources else None
    heading = chosen[0].passage.headings.rsplit(" > ", 1)[-1].strip() if chosen else ""
    if source and len(sources) == 1 and len(sections) == 1 and authors[0] and heading not in ("", source.title):
        # The article's own heading says what the points are; its title is in the Sources footer already.
        whose = f"{authors[0]}’s"
        publisher = f" ({source.publisher})" if source.publisher else ""
        if all(c.listed for c in chosen) and not heading.endswith("?"):
            return f"From {whose} list of {heading}{publisher}:"
        return f"From {whose} section “{heading}”{publisher}:"
    who = " and ".join(authors) if len(authors) <= 2 else ", ".join(authors[:-1]) + " and " + authors[-1]
    verb = "writes" if len(authors) == 1 else "write"
    topic = " and ".join(f"the {r} role" for r in roles) if roles else "this"
    return f"Here is what {who} {verb} about {topic}:"


def render(lead: str, points: Sequence[Point], sources: Sequence[Source]) -> str:
    """The answer's plain text: the lead, a cited bullet per point, then the Sources footer."""
    return "\n".join([lead, *[f"• {p.text} [{p.source}]" for p in points], "", sources_footer(sources)])


def fit(
    lead: str,
    points: list[Point],
    sources: list[Source],
    max_chars: int,
    minimum: int,
    kept_first: Sequence[int] = (),
    short: Sequence[str] = (),
) -> str:
    """Drop the weakest points (never below `minimum`) until the answer fits `max_chars`. The points at
    `kept_first` (each part's first, for a question of several parts) go last: dropping from the end alone
    took a whole later part's answer away. A point with a shorter form in `short` (without the sentence that
    continues it) is shortened before it is dropped, as when the continuation was a bullet of its own."""
    steps: list[tuple[bool, int]] = []  # (drop, point): shorten first, then drop, from the last point back
    for i in reversed(range(len(points))):
        if i < len(short) and short[i] != points[i].text:
            steps.append((False, i))
        if i not in kept_first:
            steps.append((True, i))
    steps += [(True, i) for i in reversed(range(len(points))) if i in kept_first]
    shown = list(points)
    dropped: set[int] = set()

    def rendered() -> tuple[list[Point], list[Source], str]:
        left = [p for n, p in enumerate(shown) if n not in dropped]
        used = {p.source for p in left}
        kept = [s for s in sources if s.n in used]
        return left, kept, render(lead, left, kept)

    left, kept, text = rendered()
    for drop, i in steps:
        if len(text) <= max_chars:
            break
        if not drop:
            shown[i] = replace(shown[i], text=short[i])
        elif len(left) > minimum:
            dropped.add(i)
        left, kept, text = rendered()
    points[:] = left
    sources[:] = kept
    return text
