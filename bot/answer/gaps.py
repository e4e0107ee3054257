"""Answers for when the articles do not answer: a decline (off topic, or no article about the role)
and a gap (on topic, but the articles are silent on what is asked), each saying so first."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer.composing import number_sources, render
from bot.answer.extractive import Candidate
from bot.answer.offers import examples
from bot.answer.types import Answer

RELATED = "Related points from the articles, not an answer to that:"
"""Above a gap's closest points: they are related, and not the answer."""


def decline(question: str, resolved_question: str, known: Sequence[str], reason: str | None = None) -> Answer:
    """Say we cannot answer (`reason`, or that the knowledge base cannot), then what we can help with."""
    suggestions = examples(known)
    scope = " and ".join(known) if known else "health-system executive"
    first = reason or "I can't answer that from the knowledge base."
    lines = [
        first,
        f"I can help with hiring a {scope}: what the role owns, what to look for, "
        "background and experience, and watch-outs. For example:",
        *[f"• {s}" for s in suggestions],
    ]
    return Answer(
        question, resolved_question, first, [], [], False, "\n".join(lines), "decline", suggestions, coverage="none"
    )


def not_covered(spans: Sequence[str]) -> str:
    """'The articles don’t cover “a” or “b”.', or '... that.' when nothing can be named."""
    named = [f"“{s}”" for s in dict.fromkeys(spans) if s]
    return f"The articles don’t cover {' or '.join(named) if named else 'that'}."


def gap(
    question: str,
    resolved_question: str,
    spans: Sequence[str],
    related: Sequence[Candidate],
    suggestions: list[str],
    covered: list[str],
) -> Answer:
    """On topic, but no passage addresses what is asked: say so first, naming what is not covered
    (`spans`: the question's unmatched words, or each uncovered part's), and only then the closest
    related points, labelled as related rather than as an answer."""
    first = not_covered(spans)
    points, sources = number_sources(related)
    intro = RELATED if points else None
    text = render(f"{first}\n{RELATED}", points, sources) if points else first
    return Answer(
        question,
        resolved_question,
        first,
        points,
        sources,
        True,
        text,
        "extractive",
        suggestions,
        covered,
        coverage="none",
        points_intro=intro,
    )
