"""Our answer path, warm and in-process: `Advisor.ask_sync`, what `python -m bot ask` calls."""

from __future__ import annotations

import time

from bot.answer.advisor import Advisor
from bot.build import build_advisor
from bot.settings import Settings
from ingest.embedding.factory import Embedder
from ingest.store.index import KnowledgeIndex
from tests.bench.questions import WARMUP, Question


def open_advisor(settings: Settings, embedder: Embedder) -> Advisor:
    """The advisor as the CLI builds it, on the bench's already-loaded model, warmed up."""
    advisor = build_advisor(settings, KnowledgeIndex(settings, embedder))
    advisor.warm_up()
    for question in WARMUP:
        advisor.ask_sync(question.text, question.history)
    return advisor


def ask(advisor: Advisor, question: Question) -> float:
    """Seconds for one answer; an empty answer would mean we measured a failure, so it raises."""
    started = time.perf_counter()
    answer = advisor.ask_sync(question.text, question.history)
    elapsed = time.perf_counter() - started
    if not answer.text:
        raise AssertionError(f"empty answer to {question.text!r}")
    return elapsed
