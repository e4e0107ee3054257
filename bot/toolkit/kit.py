"""Interview kits: per criterion, two behavioural or situational questions, a probe, what good evidence
sounds like, and the role's red flags; every criterion cited to its article.

Questions come from fixed templates: the first quotes the criterion in the article's words, the second
builds on it. Why quote rather
than splice a phrase into a sentence: the criterion may be a clause, a list of skills or a whole
sentence, and only a quotation reads as grammatical English for all of them (tests/test_toolkit_kit.py
checks every template over every criterion of every role).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.answer.types import sources_footer
from bot.toolkit.criteria import KIND_NAMES, Criterion, RoleCriteria

QUESTIONS: dict[str, tuple[str, str]] = {
    "quality": (
        "Our criteria for this role include “{c}”. Tell me about a time your work showed this. What was the "
        "situation, what did you do, and what was the result?",
        "Imagine your first six months with us. Where would this matter most, and how would you show it?",
    ),
    "responsibility": (
        "This role owns the following: “{c}”. Tell me about a time you carried a responsibility like this. "
        "What did you own, and how did you measure success?",
        "Suppose you inherited this on your first day. How would you find out where things stand, and what "
        "would you change first?",
    ),
    "background": (
        "The articles we hire by say: “{c}”. Which parts of your background speak to this, and what did you "
        "learn there that carries over to a health system?",
        "A physician leader asks why your background fits this part of the role. What would you tell them, "
        "with an example?",
    ),
    "trend": (
        "Here is how the role is changing: “{c}”. Tell me about a time you changed how you worked because your "
        "role changed. What did you do differently?",
        "Given that direction, what would you want this position to look like here in three years, and what "
        "would you do first?",
    ),
}
PROBE = "What exactly was your own part in that, and what would the people who worked with you say about it?"
LOOK_FOR = (
    "A specific situation, the candidate's own actions and a result they can measure, that match "
    "“{name}”; not general statements of intent."
)
DRAFT_NOTE = "Generated from the knowledge base's articles: review it before the panel uses it."
PHRASED_NOTE = (
    "Questions phrased by the configured language model from each cited criterion; the criteria are the "
    "articles' words."
)


@dataclass(frozen=True)
class Competency:
    """One criterion of the kit with what the interviewer asks and listens for."""

    criterion: Criterion
    questions: tuple[str, str]
    probe: str
    look_for: str
    red_flags: tuple[str, ...]

    def to_json(self, sources: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": self.criterion.name,
            "criterion": self.criterion.text,
            "questions": list(self.questions),
            "probe": self.probe,
            "look_for": self.look_for,
            "red_flags": list(self.red_flags),
            "sources": [s for s in sources if s["n"] == self.criterion.source],
        }


@dataclass
class InterviewKit:
    """A role's interview kit; `text` is what a chat shows."""

    criteria: RoleCriteria
    competencies: list[Competency]
    text: str
    mode: str = "template"
    """"template", or "llm" when the model phrased the questions (bot.toolkit.phrasing)."""

    def to_json(self) -> dict[str, Any]:
        sources = [s.to_json() for s in self.criteria.sources]
        return {
            "role": self.criteria.role,
            "competencies": [c.to_json(sources) for c in self.competencies],
            "sources": sources,
            "mode": self.mode,
        }


def quoted(text: str) -> str:
    """A criterion as it sits inside a quotation mid-sentence: no final full stop, no dangling ellipsis space."""
    return text.strip().rstrip(".").strip()


def questions_for(criterion: Criterion) -> tuple[str, str]:
    """The two template questions for a criterion, filled with the article's own words."""
    first, second = QUESTIONS[criterion.kind]
    c = quoted(criterion.text)
    return first.format(c=c), second.format(c=c)


def build_kit(criteria: RoleCriteria) -> InterviewKit:
    """The kit: one competency per criterion; the role's red flags go with every competency they concern
    (all of them: watch-outs in the articles are about the hire as a whole)."""
    flags = tuple(f"{p.text} [{p.source}]" for p in criteria.red_flags)
    competencies = [
        Competency(c, questions_for(c), PROBE, LOOK_FOR.format(name=c.name), flags) for c in criteria.criteria
    ]
    return InterviewKit(criteria, competencies, render(criteria, competencies))


def render(criteria: RoleCriteria, competencies: list[Competency], phrased: bool = False) -> str:
    """What a chat shows of a kit; `phrased` says the model wrote its questions."""
    lines = [f"Interview kit: {criteria.title}", DRAFT_NOTE, *([PHRASED_NOTE] if phrased else [])]
    if not competencies:
        lines += ["", "The knowledge base states no criteria for this role yet."]
    for i, comp in enumerate(competencies, 1):
        c = comp.criterion
        lines += ["", f"{i}. {c.name} ({KIND_NAMES[c.kind]})", f"Criterion: {c.text} [{c.source}]"]
        lines += [f"Q: {q}" for q in comp.questions]
        lines += [f"Probe: {comp.probe}", f"Good evidence: {comp.look_for}"]
    if criteria.red_flags:
        lines += ["", "Red flags (from the articles' watch-outs):"]
        lines += [f"• {p.text} [{p.source}]" for p in criteria.red_flags]
    return "\n".join([*lines, "", sources_footer(criteria.sources)])
