"""What each sentence of an article is about (its facet), decided once at ingest and stored per chunk.

A role brief's "Watch-outs" must hold only watch-outs, and "what should I look for" is best answered
by the article's qualities. The facet of each quotable unit (ingest.chunking.units) is voted from four
kinds of evidence, none of them a hand-made list of the articles' sentences:
- embedding prototypes: our own short descriptions of each facet, compared with the unit's vector;
- cue phrases in the unit ("responsible for", "years of experience", "will face challenges");
- the section heading it sits under ("CTO key qualities", "About the Author");
- for a list item, its intro line ("The key qualities sought after ... may include:").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ingest.chunking import Chunk, units

FACETS_VERSION = "6"
"""Bump when tagging changes, so the next ingest re-tags every article. 6: each unit's second facet too."""

FACETS = ("responsibility", "quality", "background", "source", "challenge", "trend", "about")
"""The facets, in the order briefs show them; "about" is a sentence about a person or organisation."""
GENERAL = "general"
"""A unit none of the facets fits well enough ("One of the most critical executive positions is the CMIO")."""
FLOOR = 0.44
"""The least total vote a facet needs; below it the unit is GENERAL rather than forced into a section."""

UNKNOWN = ""
"""A unit of an index built before facets existed."""

# Ours, not the articles': what a sentence of each facet typically says.
PROTOTYPES: dict[str, tuple[str, ...]] = {
    "responsibility": (
        "The executive is responsible for managing and overseeing these services and operations.",
        "Their duties are to design, build, run and monitor the organization's systems and plans.",
        "The role owns strategy, planning, budgets, vendors and delivery for its area.",
    ),
    "quality": (
        "The ideal candidate has strong communication, leadership and people skills.",
        "Hiring managers look for these key qualities, traits and abilities in a candidate.",
        "A strong understanding and knowledge of the field, and the ability to explain it simply.",
    ),
    "background": (
        "Candidates should have many years of experience and a background in the field.",
        "A medical degree, clinical practice and formal training are expected.",
        "Experience from a similar organization is preferred.",
    ),
    "source": (
        "Good candidates can come from other industries, vendors or consulting firms.",
        "People from outside the sector can move into this role and bring fresh ideas.",
    ),
    "challenge": (
        "A newcomer will face challenges and risks, such as having to learn a new culture.",
        "The difficulty is that many organizations struggle with this and it can go wrong.",
        "Be careful of candidates who cannot adapt or who expect higher pay.",
    ),
    "trend": (
        "The role has changed and grown over the years as the industry evolves.",
        "A new generation is emerging, with a shift towards strategy and away from operations.",
        "More and more organizations now expect this, and the role is still being defined.",
    ),
    "about": (
        "The author is a recruiter who leads a practice at an executive search firm.",
        "This organization or framework is a resource that describes skills and categories.",
        "She is a consultant specializing in the recruitment of senior executives.",
    ),
}


def cue(*patterns: str) -> re.Pattern[str]:
    """One case-blind pattern that matches any of `patterns` at a word's start (a cue may be a stem:
    "responsib" finds "responsible" and "responsibilities")."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")", re.IGNORECASE)


CUES: dict[str, re.Pattern[str]] = {
    "responsibility": cue(
        r"responsib",
        r"oversee",
        r"in charge of",
        r"duties",
        r"accountab",
        r"owns?\b",
        r"manag(?:e|es|ing) (?:the|all)",
        r"(?:design|build|monitor|evaluate|analy[sz]e|provide|lead|negotiate|integrate)s?\b.*\b(?:and|for)\b",
    ),
    "quality": cue(
        r"qualit(?:y|ies)",
        r"skills?\b",
        r"abilit(?:y|ies)",
        r"able to",
        r"knowledge of",
        r"understanding of",
        r"executive presence",
        r"communicat",
        r"sense of",
        r"traits?",
        r"look(?:s|ing)? for",
        r"sought",
    ),
    "background": cue(
        r"\d+(?:-plus|\+)? years",
        r"years of",
        r"experience[ds]?\b",
        r"background",
        r"degree",
        r"trained",
        r"training",
        r"certif",
    ),
    "source": cue(
        r"come from",
        r"comes from",
        r"from (?:other|outside)",
        r"outside of",
        r"other industries",
        r"bridge into",
        r"vendor or consulting",
        r"contender",
        r"talent",
        r"pipeline",
    ),
    "challenge": cue(
        r"challeng",
        r"risk",
        r"struggl",
        r"difficult",
        r"pitfall",
        r"obstacle",
        r"watch out",
        r"beware",
        r"don.t know what to do",
        r"face\b",
        r"willing to",
        r"less compensation",
    ),
    "trend": cue(
        r"trend",
        r"has (?:grown|expanded|changed|evolved|given way)",
        r"evolv",
        r"generation",
        r"transition",
        r"increasingly",
        r"more and more",
        r"shift",
        r"over time",
        r"continues to",
        r"transform",
        r"now\b",
        r"emerg",
    ),
    "about": cue(
        r"leads .* practice",
        r"search consultant",
        r"is a good resource",
        r"framework",
        r"contributing editor",
        r"interview with",
        r"article",
    ),
}

HEADING_WEIGHT = 0.12
"""A heading is section-wide evidence: its section may mix facets ("Healthcare candidates need only apply?")."""
INTRO_WEIGHT = 0.3
"""A list's intro line speaks for every item of the list: the strongest evidence there is."""
CUE_WEIGHT = 0.15
ALSO_MARGIN = 0.1
"""How close the runner-up's vote must come to the best for a unit to carry it as its second facet:
"First-generation CMIOs had significant responsibility for implementing clinical systems" is a trend
(its article's title says "The Next Generation") and a responsibility as well."""


@dataclass(frozen=True)
class _Unit:
    text: str
    heading: str
    intro: str


class FacetTagger:
    """Tags every unit of a chunk with its facet; prototype vectors are embedded once, on first use."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.embed = embed
        self._prototypes: np.ndarray | None = None
        self._owners: list[int] = []

    def _prototype_vectors(self) -> tuple[np.ndarray, list[int]]:
        if self._prototypes is None:
            texts = [(i, t) for i, f in enumerate(FACETS) for t in PROTOTYPES[f]]
            self._prototypes = np.asarray(self.embed([t for _, t in texts]), dtype=np.float32)
            self._owners = [i for i, _ in texts]
        return self._prototypes, self._owners

    def tag(self, chunks: Sequence[Chunk]) -> list[list[str]]:
        """One facet per unit of each chunk, in units() order."""
        return self.tag_both(chunks)[0]

    def tag_both(self, chunks: Sequence[Chunk]) -> tuple[list[list[str]], list[list[str]]]:
        """Each unit's facet, and its second facet ("" for none), in tag()'s shape."""
        pieces = [
            [_Unit(u.text, chunk.headings[-1] if chunk.headings else "", u.intro) for u in units(chunk.text)]
            for chunk in chunks
        ]
        flat = [u for group in pieces for u in group]
        if not flat:
            return [[] for _ in chunks], [[] for _ in chunks]
        prototypes, owners = self._prototype_vectors()
        sims = np.asarray(self.embed([u.text for u in flat]), dtype=np.float32) @ prototypes.T
        best = np.full((len(flat), len(FACETS)), -1.0, dtype=np.float32)
        for column, owner in enumerate(owners):
            best[:, owner] = np.maximum(best[:, owner], sims[:, column])
        decided = [_decide(row, evidence(u)) for u, row in zip(flat, best, strict=True)]
        tags, also = [d[0] for d in decided], [d[1] for d in decided]
        out: list[list[str]] = []
        out_also: list[list[str]] = []
        for group in pieces:
            out.append(tags[: len(group)])
            out_also.append(also[: len(group)])
            tags, also = tags[len(group) :], also[len(group) :]
        return out, out_also


def _decide(prototype: np.ndarray, votes: np.ndarray) -> tuple[str, str]:
    """The best facet; a weak one (under FLOOR) only when a cue, heading or intro also speaks for it,
    since a faint likeness to a prototype alone says little. Then the second facet: the runner-up when it
    comes within ALSO_MARGIN of the best and a cue in the unit speaks for it too, else ""."""
    total = prototype + votes
    order = np.argsort(-total)
    best, second = int(order[0]), int(order[1])
    first = FACETS[best] if total[best] >= FLOOR or votes[best] > 0 else GENERAL
    near = first != GENERAL and total[second] >= FLOOR and total[best] - total[second] <= ALSO_MARGIN
    return first, FACETS[second] if near and votes[second] > 0 else ""


def evidence(unit: _Unit) -> np.ndarray:
    """The non-embedding votes for each facet: cue phrases, the heading, a list's intro line."""
    votes = np.zeros(len(FACETS), dtype=np.float32)
    for i, facet in enumerate(FACETS):
        cue = CUES[facet]
        if cue.search(unit.text):
            votes[i] += CUE_WEIGHT
        if unit.heading and cue.search(unit.heading):
            votes[i] += HEADING_WEIGHT
        if unit.intro and cue.search(unit.intro):
            votes[i] += INTRO_WEIGHT
    if re.match(r"about\b", unit.heading, re.IGNORECASE):
        votes[FACETS.index("about")] += INTRO_WEIGHT
    return votes
