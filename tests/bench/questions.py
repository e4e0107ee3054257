"""Distinct questions for each corpus, made deterministically, so no cache can make repeats cheap.

The shipped knowledge base gets our golden questions (with their follow-up history) plus templated
variants; a generated corpus gets role x topic x phrasing questions from tests/corpus.py's own
vocabulary, with a tenth out of scope (declines are part of real traffic).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.corpus import ROLES, TOPICS
from tests.load_questions import ROLE_QUESTIONS


@dataclass(frozen=True)
class Question:
    text: str
    history: tuple[str, ...] = field(default=())

    def key(self) -> str:
        """What makes two questions the same to any cache: the normalised text and its history."""
        return " | ".join(" ".join(t.lower().split()) for t in (*self.history, self.text))


WARMUP = [
    Question("What should I look for in a CTO?"),  # what Advisor.warm_up asks
    Question("Warm-up: what does the role own day to day?"),
    Question("Warm-up: how do boards judge a new technology executive?"),
    Question("Warm-up: which questions should a search committee ask first?"),
    Question("Warm-up: what is a realistic first-year plan?"),
]
"""Asked before measuring and never measured."""

_KB_VARIANTS = (
    "{q}",
    "Quick question: {q}",
    "{q} We are a 12-hospital system.",
    "Hi, {lower}",
    "{q} Thanks!",
    "We are hiring now. {q}",
)
_GEN_TEMPLATES = (
    "What should I look for in a {role} who leads {topic}?",
    "How should a search committee assess a {role} candidate's record in {topic}?",
    "Who should a {role} responsible for {topic} report to?",
    "What does a {role} own when it comes to {topic}?",
    "How much experience in {topic} should a {role} have?",
    "What are the watch-outs when hiring a {role} for {topic}?",
    "Can a {role} from outside healthcare handle {topic}?",
    "How do boards expect a {role} to report on {topic}?",
    "What should a new {role} focus on first for {topic}?",
    "How is compensation set for a {role} with {topic} in scope?",
)
_OUT_OF_SCOPE = (
    "What is a good recipe for {x}?",
    "How do I repair a leaking {x}?",
    "Which {x} should I buy this year?",
    "What is the history of the {x}?",
)
_OOS_THINGS = (
    "lasagne",
    "bicycle",
    "kitchen tap",
    "garden hose",
    "electric guitar",
    "sailing boat",
    "espresso machine",
    "violin",
    "canoe",
    "sourdough bread",
    "snow blower",
    "telescope",
    "mountain tent",
    "typewriter",
    "piano",
    "skateboard",
)


def _dedupe(questions: list[Question], exclude: list[Question]) -> list[Question]:
    seen = {q.key() for q in exclude}
    out = []
    for q in questions:
        if q.key() not in seen:
            seen.add(q.key())
            out.append(q)
    return out


def _all_kb(golden: Path) -> list[Question]:
    """Every distinct golden question and variant, golden questions first, then variant by variant."""
    entries = yaml.safe_load(golden.read_text(encoding="utf-8")) or []
    base = [Question(str(e["question"]), tuple(str(h) for h in e.get("history") or ())) for e in entries]
    base += [Question(t.format(r=r)) for t in ROLE_QUESTIONS for r in ("CTO", "CMIO")]
    out: list[Question] = []
    for variant in _KB_VARIANTS:
        for q in base:
            text = variant.format(q=q.text, lower=q.text[:1].lower() + q.text[1:])
            out.append(Question(text, q.history))
    return _dedupe(out, WARMUP)


def kb_questions(golden: Path, count: int) -> list[Question]:
    """Golden questions first (all of them), then variants, so every kind is represented."""
    questions = _all_kb(golden)
    if len(questions) < count:
        raise ValueError(f"only {len(questions)} distinct questions for the shipped knowledge base, {count} asked")
    return questions[:count]


def _all_generated(seed: int = 5) -> list[Question]:
    """Every distinct generated question, nine in scope for each one out of scope, shuffled with a fixed seed."""
    rng = random.Random(seed)
    inside = [Question(t.format(role=r, topic=tp)) for t in _GEN_TEMPLATES for r in ROLES for tp in TOPICS]
    outside = [Question(t.format(x=x)) for t in _OUT_OF_SCOPE for x in _OOS_THINGS]
    rng.shuffle(inside)
    rng.shuffle(outside)
    mixed: list[Question] = []
    for i, q in enumerate(inside):
        mixed.append(q)
        if i % 9 == 8 and outside:
            mixed.append(outside.pop())
    return _dedupe(mixed, WARMUP)


def generated_questions(count: int) -> list[Question]:
    questions = _all_generated()
    if len(questions) < count:
        raise ValueError(f"only {len(questions)} distinct generated questions, {count} asked")
    return questions[:count]


def questions_for(
    corpus_name: str, knowledge: Path, count: int, spare: int = 0
) -> tuple[list[Question], list[Question]]:
    """`count` distinct questions to measure, and up to `spare` more, distinct from those, for the
    Telegram load (which runs on the same advisor afterwards: no question it asks was asked before)."""
    if corpus_name == "kb":
        pool = kb_questions(knowledge / "golden.yaml", count)
        everything = kb_questions(knowledge / "golden.yaml", len(_all_kb(knowledge / "golden.yaml")))
    else:
        pool = generated_questions(count)
        everything = _all_generated()
    measured = {q.key() for q in pool}
    rest = [q for q in everything if q.key() not in measured][:spare]
    return pool, rest


def assert_distinct(questions: list[Question]) -> None:
    keys = [q.key() for q in questions]
    if len(set(keys)) != len(keys):
        raise AssertionError("the measured questions must all be distinct")
