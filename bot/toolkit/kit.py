"""Interview kits: per criterion, two behavioural or situational questions, a probe, what good evidence
sounds like, and the role's red flags; every criterion cited to its article.

Questions come from fixed templates: the first quotes the criterion in the article's words, the second
builds on it; each kind has a few wordings, used in turn. Why quote rather
than splice a phrase into a sentence: the criterion may be a clause, a list of skills or a whole
sentence, and only a quotation reads as grammatical English for all of them (tests/test_toolkit_kit.py
checks every template over every criterion of every role).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.answer.types import sources_footer
from bot.toolkit.criteria import KIND_NAMES, Criterion, RoleCriteria

QUESTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "quality": (
        (
            "Our criteria for this role include “{c}”. Tell me about a time your work showed this. What was the "
            "situation, what did you do, and what was the result?",
            "Imagine your first six months with us. Where would this matter most, and how would you show it?",
        ),
        (
            "Here is one of the qualities we are hiring for: “{c}”. Give me an example from the last two years "
            "that shows it. Who else was involved, and what was the outcome?",
            "If we called your last team, what would they say about this, and what example would they give?",
        ),
        (
            "A recruiter who knows this role puts it this way: “{c}”. Describe a recent situation where you had "
            "to show exactly this. What did you do, and what changed because of it?",
            "Which part of this comes least naturally to you, and what do you do about it?",
        ),
    ),
    "responsibility": (
        (
            "This role owns the following: “{c}”. Tell me about a time you carried a responsibility like this. "
            "What did you own, and how did you measure success?",
            "Suppose you inherited this on your first day. How would you find out where things stand, and what "
            "would you change first?",
        ),
        (
            "Part of this job is: “{c}”. Walk me through the last time you were accountable for something like "
            "it. What was at stake, and what did you decide?",
            "Which part of this would you hand to your team, and which would you keep yourself? Why?",
        ),
        (
            "The role includes: “{c}”. Tell me about the hardest problem you met doing something similar. How "
            "did you handle it, and what did you learn?",
            "What would you want to know in your first month to do this well here, and whom would you ask?",
        ),
    ),
    "background": (
        (
            "The articles we hire by say: “{c}”. Which parts of your background speak to this, and what did you "
            "learn there that carries over to a health system?",
            "A physician leader asks why your background fits this part of the role. What would you tell them, "
            "with an example?",
        ),
        (
            "The recruiters we follow write: “{c}”. How does your own path compare, and where does it differ?",
            "What gap in your experience would we need to plan for, and how would you close it?",
        ),
        (
            "On background, the articles say: “{c}”. Tell me about the part of your career that prepared you "
            "best for this. What did you do there that you would do again here?",
            "Which experience of yours would surprise a health system, and why does it matter for this role?",
        ),
    ),
    "trend": (
        (
            "Here is how the role is changing: “{c}”. Tell me about a time you changed how you worked because "
            "your role changed. What did you do differently?",
            "Given that direction, what would you want this position to look like here in three years, and what "
            "would you do first?",
        ),
        (
            "The articles describe the role this way: “{c}”. Where have you seen this in your own work, and what "
            "did you do about it?",
            "How would you explain this change to the physicians and executives you would work with here?",
        ),
        (
            "One of the articles notes: “{c}”. Tell me about a time you helped an organization through a change "
            "like this. What was your part?",
            "What would tell you, a year from now, that this role had moved in that direction here?",
        ),
    ),
}
"""Per kind of criterion, variants of the two questions: the n-th criterion of a kind gets the n-th variant
(round the list), so a kit with several criteria of one kind does not ask the same thing four times."""
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


def questions_for(criterion: Criterion, variant: int = 0) -> tuple[str, str]:
    """The two template questions for a criterion (the `variant`-th wording of its kind), filled with the
    article's own words."""
    variants = QUESTIONS[criterion.kind]
    first, second = variants[variant % len(variants)]
    c = quoted(criterion.text)
    return first.format(c=c), second.format(c=c)


def build_kit(criteria: RoleCriteria) -> InterviewKit:
    """The kit: one competency per criterion; the role's red flags go with every competency they concern
    (all of them: watch-outs in the articles are about the hire as a whole)."""
    flags = tuple(f"{p.text} [{p.source}]" for p in criteria.red_flags)
    seen: dict[str, int] = {}
    competencies = []
    for c in criteria.criteria:
        variant = seen[c.kind] = seen.get(c.kind, -1) + 1
        competencies.append(Competency(c, questions_for(c, variant), PROBE, LOOK_FOR.format(name=c.name), flags))
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
