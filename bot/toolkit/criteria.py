"""The criteria a role is hired against: the articles' own sentences about what the role owns, what to
look for, the background it needs and where it is heading, each cited; and its watch-outs, as red flags.

Why from facets: every sentence was tagged at ingest with what it is about (ingest.facets), so a role an
admin adds later (a CISO) gets criteria with no code change, in its authors' words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.answer.briefs import Rank, numbered, section_points
from bot.answer.composing import trim
from bot.answer.extractive import Candidate
from bot.answer.roles import full_title
from bot.answer.types import Point, Source

SECTIONS: tuple[tuple[str, str], ...] = (
    ("quality", "What key qualities, skills and traits should a hiring manager look for in a {r}?"),
    ("responsibility", "What is the {t} responsible for, and what does the {r} role own and manage?"),
    ("background", "What background and experience should a {r} candidate have, and where can they come from?"),
    ("trend", "How is the {r} role changing, and what must the next generation of {r}s do?"),
    ("watch-out", "What challenges and risks should a health system watch out for when hiring a {r}?"),
)
FACETS: dict[str, frozenset[str]] = {
    "quality": frozenset({"quality"}),
    "responsibility": frozenset({"responsibility"}),
    "background": frozenset({"background", "source"}),
    "trend": frozenset({"trend"}),
    "watch-out": frozenset({"challenge"}),
}
"""Which ingest facets each kind of criterion is drawn from (ingest.facets)."""
KIND_NAMES = {
    "quality": "Qualities",
    "responsibility": "What the role owns",
    "background": "Background and experience",
    "trend": "Where the role is heading",
}
PRIMARY = ("quality", "responsibility", "background")
"""The kinds every kit draws on first: the issue's facets (background includes where candidates come from)."""
MIN_CRITERIA, MAX_CRITERIA = 4, 8
PER_KIND = 3
MAX_RED_FLAGS = 3
CRITERION_CHARS = 240
NAME_WORDS = 7

# A criterion describes the role or the candidate. A sentence in which the author addresses the reader
# ("I encourage you to read ...") or speaks of themself is the article talking, not a criterion.
_FIRST_OR_SECOND_PERSON = re.compile(r"\b(?:I|you|your|we|our|my|me)\b")
# Generic English for "what the role asks for", after which the criterion's own phrase follows.
_ASKS_FOR = re.compile(
    r"\b(?:someone|somebody|a [a-z]+|one|candidates?|leaders?)\s+(?:who|that)\s+(?:has|have|can|is|are)\s+(.{3,})"
    r"|\bsomeone with\s+(.{3,})|\bis responsible for\s+(.{3,})"
)
_LEAD_IN = re.compile(r"^(?:[A-Z][a-z]+ly|However|Today|Also|In [^,]{1,40}),\s+")


@dataclass(frozen=True)
class Criterion:
    """One thing a candidate is assessed on: the article's sentence and a short name for it."""

    name: str
    kind: str
    text: str
    source: int
    """The number of its article in RoleCriteria.sources."""

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "criterion": self.text, "source": self.source}


@dataclass
class RoleCriteria:
    """A role's criteria and red flags, with one source numbering shared by all of them."""

    role: str
    title: str
    criteria: list[Criterion]
    red_flags: list[Point]
    sources: list[Source]


def criterion_name(text: str, words: int = NAME_WORDS) -> str:
    """A short handle for a criterion: what it asks for ("someone who has executive presence" gives
    "Executive presence"), else its opening words without a lead-in ("Luckily, ..."); cut at a clause
    boundary. Always the author's words, so the name never claims more than the text."""
    body = _LEAD_IN.sub("", text.strip())
    asked = _ASKS_FOR.search(body)
    short = False
    if asked:
        body, short = next(g for g in asked.groups() if g), True
    body = body[0].upper() + body[1:] if body else body
    clause = re.split(r"[,;:.(]\s|\s[–—]\s", body + " ", maxsplit=1)[0].strip().rstrip(".")
    if short and len(clause.split()) <= words:
        return clause
    tokens = clause.split() if len(clause.split()) >= 3 else body.split()  # "Strong planning, organization, ..."
    if len(tokens) > words:
        tokens = tokens[:words]
        while tokens and tokens[-1].lower() in {"a", "an", "the", "and", "or", "of", "in", "to", "for", "with"}:
            tokens.pop()
        return " ".join(tokens) + "…"
    return " ".join(tokens).rstrip(".")


def usable(c: Candidate) -> bool:
    """Whether a sentence can stand alone as a criterion: it speaks of the role, not of the author or reader.
    (One that opens by pointing back, "They worked on ...", never reaches here: section_points leaves it out.)"""
    return not _FIRST_OR_SECOND_PERSON.search(c.text)


def build_criteria(rank: Rank, role: str) -> RoleCriteria:
    """4 to 8 criteria (fewer only when the articles hold fewer), taken in turn from each primary kind so
    a kit covers qualities, ownership and background; up to 3 red flags from the watch-outs."""
    # First facets only: the CV check's held-out labels are per criterion, and a criterion drawn from a second
    # facet (the CMIO's "First-generation CMIOs had significant responsibility ...") has none written yet.
    picked = dict(section_points(rank, role, MAX_CRITERIA, SECTIONS, FACETS, second=False))
    pools = {kind: [c for c in picked[kind] if usable(c)] for kind in KIND_NAMES}
    chosen: list[tuple[str, Candidate]] = []
    for turn in range(PER_KIND):
        for kind in PRIMARY:
            if turn < len(pools[kind]) and len(chosen) < MAX_CRITERIA:
                chosen.append((kind, pools[kind][turn]))
    # Where the role is heading counts only when the articles say too little of the rest (a thin article).
    chosen += [("trend", c) for c in pools["trend"][: max(0, MIN_CRITERIA - len(chosen))]]
    flags = [c for c in picked["watch-out"] if usable(c)][:MAX_RED_FLAGS]
    groups, sources = numbered([[c for _, c in chosen], flags])
    criteria = [
        Criterion(criterion_name(c.text), kind, trim(c.text, CRITERION_CHARS), point.source)
        for (kind, c), point in zip(chosen, groups[0], strict=True)
    ]
    return RoleCriteria(role, full_title(role), criteria, groups[1], sources)


def sources_json(sources: Sequence[Source]) -> list[dict[str, Any]]:
    return [s.to_json() for s in sources]
