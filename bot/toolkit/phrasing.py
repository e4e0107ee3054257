"""LLM mode for interview kits: the model phrases each criterion's two questions, from the cited criterion only.

What stays as the articles and templates give it: the criterion (quoted, cited), the probe, what good evidence
sounds like and the red flags. Questions are ours, not the authors', so they carry no citation of their own;
a reply that is not two plain questions, or a failed call, keeps that criterion's template questions.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.toolkit.criteria import KIND_NAMES, Criterion
from bot.toolkit.kit import Competency, InterviewKit, render

if TYPE_CHECKING:
    from bot.answer.llm import LLMAnswerer

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "You write interview questions for a hiring panel at a health system. Given one hiring criterion, write "
    "exactly two questions a recruiter would ask a candidate about it: first a behavioural question about a "
    "past situation, then a situational question about a future one. Ask only about what the criterion says; "
    "add no facts, names, numbers or claims of your own. Plain English, one question per line, no numbering, "
    "no links, nothing else."
)
MIN_CHARS, MAX_CHARS = 20, 300
_NUMBERING = re.compile(r"^\s*(?:[-*•]|\d+[.)]|Q\d*[:.])\s*")
_UNSAFE = re.compile(r"https?://|www\.|\[\d+\]|[<>`]|@\w")


def parse_questions(text: str) -> tuple[str, str] | None:
    """Two plain questions from the model's reply, or None: anything else keeps the templates."""
    lines = [_NUMBERING.sub("", line).strip() for line in text.splitlines() if line.strip()]
    questions = [q for q in lines if q.endswith("?") and MIN_CHARS <= len(q) <= MAX_CHARS and not _UNSAFE.search(q)]
    if len(lines) != 2 or len(questions) != 2:
        return None
    return questions[0], questions[1]


def _request(role_title: str, criterion: Criterion) -> str:
    return f"Role: {role_title}\nKind of criterion: {KIND_NAMES[criterion.kind]}\nCriterion: {criterion.text}"


async def _phrased(llm: LLMAnswerer, role_title: str, comp: Competency) -> Competency | None:
    from bot.answer.llm import LLMUnavailable  # the client loads only when an LLM is configured

    try:
        reply = await llm.write("kit questions", INSTRUCTIONS, _request(role_title, comp.criterion))
    except LLMUnavailable:
        return None
    questions = parse_questions(reply)
    if questions is None:
        log.warning("LLM kit questions unusable for one criterion; keeping the template questions")
        return None
    return replace(comp, questions=questions)


async def phrase_kit(kit: InterviewKit, llm: LLMAnswerer) -> InterviewKit:
    """The kit with the model's questions where it gave two usable ones; the template kit when it gave none."""
    title = kit.criteria.title
    phrased = await asyncio.gather(*(_phrased(llm, title, comp) for comp in kit.competencies))
    if not any(phrased):
        log.warning("LLM phrased no kit questions (fallback: templates)")
        return kit
    competencies = [new or old for new, old in zip(phrased, kit.competencies, strict=True)]
    return InterviewKit(kit.criteria, competencies, render(kit.criteria, competencies, phrased=True), "llm")
