"""Scorecards: one row per cited criterion, rated on a 4-point anchored scale with no neutral middle, with
room for evidence notes and one overall recommendation, so every interviewer scores a candidate the same way.

Why no middle: a 3- or 5-point scale lets an unsure interviewer park on "neutral"; four points make them
say yes or no, and the anchors say what each point takes. The anchors are generic to any criterion, so a
role an admin adds gets a scorecard with no code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.answer.types import Source
from bot.toolkit.criteria import KIND_NAMES, Criterion, RoleCriteria, sources_json


@dataclass(frozen=True)
class Anchor:
    """One point of the rating scale and what a candidate's evidence must show to earn it."""

    rating: int
    label: str
    description: str

    def to_json(self) -> dict[str, Any]:
        return {"rating": self.rating, "label": self.label, "description": self.description}


ANCHORS: tuple[Anchor, ...] = (
    Anchor(
        1,
        "Strong no",
        "Evidence against: the candidate's own examples show the opposite, or they give none even when probed.",
    ),
    Anchor(
        2,
        "No",
        "Weak evidence: general statements, intentions or the team's results rather than the candidate's own "
        "actions; short of what the role needs.",
    ),
    Anchor(
        3,
        "Yes",
        "Clear evidence: at least one specific example of the candidate's own actions and results that meets "
        "what the role needs.",
    ),
    Anchor(
        4,
        "Strong yes",
        "Specific, repeated evidence of the candidate's own actions and results, beyond what the role needs.",
    ),
)
RATINGS = "  ".join(str(a.rating) for a in ANCHORS)
"""What a printed rating cell holds, for the interviewer to circle one."""
RECOMMENDATION = " / ".join(a.label for a in ANCHORS)
LABEL = (
    "Generated from the knowledge base's articles: each criterion is an article's own words, with its source "
    "number. Review it before the panel uses it."
)
SCALE_NOTE = "Rate each criterion on the evidence you heard, not on an impression. There is no neutral middle."
HEADERS = ("Criterion [source]", "Rating (1–4)", "Evidence notes")


@dataclass(frozen=True)
class Row:
    """One criterion to rate: the article's words and its source number; rating and notes are for the panel."""

    criterion: Criterion

    @property
    def cited(self) -> str:
        return f"{self.criterion.text} [{self.criterion.source}]"

    def to_json(self) -> dict[str, Any]:
        c = self.criterion
        return {
            "name": c.name,
            "kind": c.kind,
            "criterion": c.text,
            "source": c.source,
            "rating": None,
            "evidence_notes": "",
        }


@dataclass
class Scorecard:
    """A role's scorecard; `text` is its Markdown form (what the CLI prints and a .md file holds)."""

    role: str
    title: str
    rows: list[Row]
    sources: list[Source]
    text: str

    @property
    def heading(self) -> str:
        return f"Scorecard: {capitalised(self.title)}"

    def source_of(self, row: Row) -> Source:
        return next(s for s in self.sources if s.n == row.criterion.source)

    def to_json(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "rows": [r.to_json() for r in self.rows],
            "anchors": [a.to_json() for a in ANCHORS],
            "recommendation": [a.label for a in ANCHORS],
            "sources": sources_json(self.sources),
        }


def capitalised(title: str) -> str:
    """'chief technology officer (CTO)' as a heading starts: 'Chief technology officer (CTO)'."""
    return title[:1].upper() + title[1:]


def source_line(source: Source) -> str:
    """A sources appendix's line: "[n] Title — Author, Publisher", and the address when there is one."""
    return f"[{source.n}] {source.label()}" + (f" <{source.url}>" if source.url else "")


def build_scorecard(criteria: RoleCriteria) -> Scorecard:
    """One row per criterion, in the criteria's order, with the criteria's source numbering."""
    rows = [Row(c) for c in criteria.criteria]
    card = Scorecard(criteria.role, criteria.title, rows, list(criteria.sources), "")
    card.text = markdown(card)
    return card


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no pipe ends the cell early, no line break ends the row."""
    return " ".join(text.replace("|", "\\|").split())


def markdown(card: Scorecard) -> str:
    lines = [f"# {card.heading}", "", f"_{LABEL}_", "", "Candidate: ________  Interviewer: ________  Date: ________"]
    lines += ["", "## Rating scale", "", SCALE_NOTE, "", "| Rating | Anchor | What it takes |", "| --- | --- | --- |"]
    lines += [f"| {a.rating} | {a.label} | {cell(a.description)} |" for a in ANCHORS]
    lines += ["", "## Criteria", ""]
    if card.rows:
        lines += [f"| # | {' | '.join(HEADERS)} |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {i} | {KIND_NAMES[r.criterion.kind]}: {cell(r.cited)} | {RATINGS} |  |"
            for i, r in enumerate(card.rows, 1)
        ]
    else:
        lines.append("The knowledge base states no criteria for this role yet.")
    lines += ["", "## Overall recommendation", "", f"Circle one: {RECOMMENDATION}", "", "## Sources", ""]
    lines += [source_line(s) for s in card.sources]
    return "\n".join(lines)
