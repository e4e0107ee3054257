"""Role briefs for recruiters: one forwardable screen per role, built from the articles with citations.

The four sections are questions we ask the knowledge base about the role; the answers are the
articles' own sentences, so a role an admin adds later gets a brief with no code change. A section
the articles say nothing about says so instead of inventing something.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.answer.composing import number_sources, trim
from bot.answer.extractive import Candidate, needs_before
from bot.answer.roles import full_title
from bot.answer.types import Point, Source, sources_footer

SECTIONS: tuple[tuple[str, str], ...] = (
    ("What the role owns", "What is the {t} responsible for, and what does the {r} role own and manage?"),
    ("What to look for", "What key qualities and skills should a hiring manager look for in a {r}?"),
    (
        "Background and experience",
        "What background and how many years of experience should a {r} candidate have, and where can they come from?",
    ),
    ("Watch-outs", "What challenges and risks should a health system watch out for when hiring a {r}?"),
    ("How the role is changing", "How has the {r} role changed and evolved, and where is it heading?"),
)
SECTION_FACETS: dict[str, frozenset[str]] = {
    "What the role owns": frozenset({"responsibility"}),
    "What to look for": frozenset({"quality"}),
    "Background and experience": frozenset({"background", "source"}),
    "Watch-outs": frozenset({"challenge"}),
    "How the role is changing": frozenset({"trend"}),
}
"""A section holds only sentences the ingest tagged with its facets (ingest.facets)."""
NOTHING = "The knowledge base says nothing specific on this yet."
BRIEF_POINT_CHARS = 200


@dataclass
class Brief:
    """A role brief; `sections` pairs each heading with its cited points (possibly none)."""

    role: str
    title: str
    sections: list[tuple[str, list[Point]]]
    sources: list[Source]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "title": self.title,
            "sections": [{"heading": h, "points": [p.__dict__ for p in pts]} for h, pts in self.sections],
            "sources": [s.to_json() for s in self.sources],
            "answer": self.text,
            "in_scope": True,
        }


# (role, section query) -> ranked candidates; the advisor supplies it so briefs share its retrieval.
Rank = Callable[[str, str], list[Candidate]]


def section_points(
    rank: Rank,
    role: str,
    per_section: int,
    sections: Sequence[tuple[str, str]] = SECTIONS,
    facets: dict[str, frozenset[str]] = SECTION_FACETS,
    second: bool = True,
) -> list[tuple[str, list[Candidate]]]:
    """Pick each section's sentences, of the section's facets only, never reusing one already quoted in
    an earlier section. An index built before facets existed tags nothing: then any sentence may serve.
    With `second`, a section none of whose facet's sentences serve takes those whose second facet it is.
    `sections` pairs a heading with its query ({r}: the role, {t}: its full title); the hiring toolkit
    asks its own."""
    used: list[np.ndarray] = []
    out: list[tuple[str, list[Candidate]]] = []
    for heading, template in sections:
        ranked = rank(role, template.format(r=role, t=full_title(role)))
        tagged = any(c.facet for c in ranked)

        wanted = facets[heading] if tagged else None
        fitting = [c for c in ranked if _fits(c, c.facet, wanted)]
        if second and tagged and not fitting:
            # None of the section's facet: those whose second facet it is (ingest.facets), rather than nothing
            # ("First-generation CMIOs had significant responsibility for ..." is a trend first). Only then: a
            # section with sentences of its own keeps them, and a sentence is not taken from a later section.
            fitting = [c for c in ranked if _fits(c, c.passage.also_at(c.position), wanted)]
        chosen: list[Candidate] = []
        lists: set[tuple[str, str]] = set()
        # A brief summarises: a second item of a list already quoted waits until the rest of the
        # article has had its turn ("executive presence" before another of the key-qualities list).
        for second_pass in (False, True):
            for cand in fitting:
                if len(chosen) >= per_section:
                    break
                group = (cand.passage.doc_id, cand.passage.headings)
                if any(c is cand for c in chosen) or (cand.listed and group in lists and not second_pass):
                    continue
                if any(float(cand.vector @ v) > 0.85 for v in used):
                    continue
                # Untagged, a weak sentence may be off the section's topic; tagged, its facet says it is on.
                if not tagged and chosen and cand.score < chosen[0].score * 0.75:
                    break
                chosen.append(cand)
                used.append(cand.vector)
                if cand.listed:
                    lists.add(group)
        out.append((heading, chosen))
    return out


def _fits(c: Candidate, facet: str, wanted: frozenset[str] | None) -> bool:
    """Whether a sentence of this facet may serve a section wanting `wanted` (None: an untagged index, any).
    A brief's point stands alone: a sentence that opens by pointing back ("As I discussed ..., they were
    strong in implementation") would leave the reader asking who."""
    return c.similarity >= 0.2 and (wanted is None or facet in wanted) and not needs_before(c.text)


def numbered(groups: Sequence[Sequence[Candidate]]) -> tuple[list[list[Point]], list[Source]]:
    """The groups' points, trimmed for a brief, with one source numbering shared by all the groups."""
    flat = [c for group in groups for c in group]
    points, sources = number_sources(flat)
    points = [Point(trim(p.text, BRIEF_POINT_CHARS), p.source) for p in points]
    out: list[list[Point]] = []
    for group in groups:
        out.append(points[: len(group)])
        points = points[len(group) :]
    return out, sources


def build_brief(rank: Rank, role: str, per_section: int = 2) -> Brief:
    """A one-screen brief on `role`: its best points per section, cited, with the Sources footer."""
    picked = section_points(rank, role, per_section)
    groups, sources = numbered([c for _, c in picked])
    title = f"Role brief: {full_title(role)}"
    lines = [title]
    sections: list[tuple[str, list[Point]]] = []
    for (heading, _), points in zip(picked, groups, strict=True):
        sections.append((heading, points))
        lines += ["", heading]
        lines += [f"• {p.text} [{p.source}]" for p in points] or [f"• {NOTHING}"]
    return Brief(role, title, sections, sources, "\n".join([*lines, "", sources_footer(sources)]))


@dataclass
class Comparison:
    """Two roles side by side, section by section, with one shared source numbering."""

    roles: tuple[str, str]
    sections: list[tuple[str, list[Point], list[Point]]]
    sources: list[Source]
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "roles": list(self.roles),
            "sections": [
                {"heading": h, self.roles[0]: [p.__dict__ for p in a], self.roles[1]: [p.__dict__ for p in b]}
                for h, a, b in self.sections
            ],
            "sources": [s.to_json() for s in self.sources],
            "answer": self.text,
            "in_scope": True,
        }


def build_comparison(rank: Rank, first: str, second: str, per_section: int = 1) -> Comparison:
    """Two roles section by section, each point cited, with one Sources footer for both."""
    left = section_points(rank, first, per_section)
    right = section_points(rank, second, per_section)
    groups, sources = numbered([c for _, c in left] + [c for _, c in right])
    half = len(SECTIONS)
    title = f"{first} vs {second}"
    lines = [title]
    sections: list[tuple[str, list[Point], list[Point]]] = []
    for i, (heading, _) in enumerate(SECTIONS):
        a, b = groups[i], groups[half + i]
        sections.append((heading, a, b))
        lines += ["", heading]
        for role, points in ((first, a), (second, b)):
            body = " ".join(f"{p.text} [{p.source}]" for p in points) or NOTHING
            lines.append(f"• {role}: {body}")
    return Comparison((first, second), sections, sources, "\n".join([*lines, "", sources_footer(sources)]))
