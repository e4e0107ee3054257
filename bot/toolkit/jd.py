"""Job-description drafts: summary, responsibilities, qualifications and experience, each bullet a criterion
in its article's words with its source number, for a CIO to edit into a posting.

Why a draft and not a posting: the bullets are recruiters' descriptions of the role in general, not of this
health system's opening; the draft says so at the top, and keeps every citation so the editor can check them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.answer.briefs import Rank, section_points
from bot.answer.composing import trim
from bot.answer.extractive import Candidate
from bot.answer.types import Point, Source
from bot.toolkit.criteria import CRITERION_CHARS, FACETS, SECTIONS, RoleCriteria, sources_json, usable
from bot.toolkit.scorecard import capitalised, source_line

SECTION_KINDS: tuple[tuple[str, str], ...] = (
    ("Summary", "trend"),
    ("Responsibilities", "responsibility"),
    ("Qualifications", "quality"),
    ("Experience", "background"),
)
"""Each section's heading and the kind of criterion (bot.toolkit.criteria) its bullets are."""
DIRECTION_TRIES = 3
"""How many of the role's direction sentences to consider for the summary when its criteria hold none."""
LABEL = (
    "Draft to edit. Generated from the knowledge base's articles: each bullet is an article's own words about "
    "the role in general, with its source number. Rewrite it for your health system and check it before posting."
)
NOTHING = "The articles say nothing for this section yet: write it yourself."


@dataclass(frozen=True)
class Section:
    """One section of the draft: its heading and its cited bullets (possibly none)."""

    heading: str
    points: list[Point]

    def to_json(self) -> dict[str, Any]:
        return {"heading": self.heading, "points": [{"text": p.text, "source": p.source} for p in self.points]}


@dataclass
class JobDescription:
    """A role's job-description draft; `text` is its Markdown form (what the CLI prints and a .md file holds)."""

    role: str
    title: str
    lead: str
    """The summary's opening line: ours, naming the role, so never cited."""
    sections: list[Section]
    sources: list[Source]
    text: str

    @property
    def heading(self) -> str:
        return f"Job description (draft): {capitalised(self.title)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "sections": [s.to_json() for s in self.sections],
            "sources": sources_json(self.sources),
        }


def lead_line(title: str) -> str:
    return f"This draft describes the {title} role as the knowledge base's articles do; adapt it to your health system."


def cite(source: Source, sources: Sequence[Source]) -> tuple[int, list[Source]]:
    """`source`'s number in `sources`, adding it at the end when it is not there yet (same article, same path)."""
    for s in sources:
        if s.path == source.path:
            return s.n, list(sources)
    n = len(sources) + 1
    return n, [*sources, Source(n, source.title, source.author, source.publisher, source.path, source.url)]


def direction(rank: Rank, role: str) -> list[Candidate]:
    """The role's sentences on where it is heading, best first, for a summary."""
    trend = tuple(s for s in SECTIONS if s[0] == "trend")
    return section_points(rank, role, DIRECTION_TRIES, trend, FACETS)[0][1]


def build_jd(criteria: RoleCriteria, rank: Rank) -> JobDescription:
    """The draft: each criterion in the section of its kind. The summary holds the criteria on where the role
    is heading (a thin article's), else the role's best direction sentence, cited in the same numbering."""
    points = {kind: [Point(c.text, c.source) for c in criteria.criteria if c.kind == kind] for _, kind in SECTION_KINDS}
    sources = list(criteria.sources)
    if not points["trend"]:
        picked = next((c for c in direction(rank, criteria.role) if usable(c)), None)
        if picked is not None:
            n, sources = cite(picked.passage.source, sources)
            points["trend"] = [Point(trim(picked.text, CRITERION_CHARS), n)]
    sections = [Section(heading, points[kind]) for heading, kind in SECTION_KINDS]
    draft = JobDescription(criteria.role, criteria.title, lead_line(criteria.title), sections, sources, "")
    draft.text = markdown(draft)
    return draft


def markdown(draft: JobDescription) -> str:
    lines = [f"# {draft.heading}", "", f"**{LABEL}**"]
    for i, section in enumerate(draft.sections):
        lines += ["", f"## {section.heading}", ""]
        if i == 0:
            lines += [draft.lead, ""] if section.points else [draft.lead]
        elif not section.points:
            lines.append(f"_{NOTHING}_")
        lines += [f"- {p.text} [{p.source}]" for p in section.points]
    lines += ["", "## Sources", ""]
    lines += [source_line(s) for s in draft.sources]
    return "\n".join(lines)
