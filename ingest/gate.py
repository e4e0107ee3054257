"""The quality gate: a new index goes live only if every golden question finds its expected article.

A bad article, a broken loader or a model change can silently ruin retrieval; checking a few known
questions against the candidate version before the switch keeps that from reaching users.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from pydantic import ValidationError

from ingest.errors import ConfigError
from ingest.golden import GoldenQuestion, load_golden
from ingest.settings import GateQuestion, GateSettings


@dataclass(frozen=True)
class GateResult:
    question: str
    expect: str
    found: list[str]
    passed: bool


@dataclass
class GateReport:
    k: int
    results: list[GateResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[GateResult]:
        return [r for r in self.results if not r.passed]


def is_retrieval_check(entry: GoldenQuestion) -> bool:
    """A direct (or brief), standalone, in-scope question with an expected article checks the index.

    Paraphrases and follow-ups test the advisor's role and conversation handling, not the index."""
    return entry.kind in ("direct", "brief") and entry.in_scope and not entry.history and bool(entry.sources)


def gate_questions(settings: GateSettings) -> list[GateQuestion]:
    """Inline questions plus those of `gate.questions_file` (knowledge/golden.yaml by default)."""
    questions = list(settings.questions)
    if settings.questions_file is not None:
        path = settings.questions_file
        try:
            golden = load_golden(path)
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ConfigError(f"gate.questions_file: cannot use {path}: {exc}".replace("\n", " ")) from exc
        questions += [GateQuestion(question=q.question, expect=q.sources[0]) for q in golden if is_retrieval_check(q)]
    return questions


def _matches(expect: str, doc_id: str) -> bool:
    """An expectation names an article by its path ('cto.md') or its file stem ('cto')."""
    stem = doc_id.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return expect in (doc_id, stem)


def judge_gate(questions: list[GateQuestion], found: list[list[str]], k: int) -> GateReport:
    """Compare what each question retrieved (article ids, best first) with what it expects."""
    report = GateReport(k=k)
    for question, docs in zip(questions, found, strict=True):
        report.results.append(
            GateResult(question.question, question.expect, docs, any(_matches(question.expect, d) for d in docs))
        )
    return report
