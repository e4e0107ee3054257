"""The quality gate: a new index goes live only if every golden question finds its expected article.

A bad article, a broken loader or a model change can silently ruin retrieval; checking a few known
questions against the candidate version before the switch keeps that from reaching users.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from ingest.errors import ConfigError
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


def _from_entry(entry: object) -> GateQuestion | None:
    """Accept {question, expect}, or an evaluation entry {question, kind, in_scope, sources, history, ...}.

    Only direct, standalone, in-scope evaluation entries are retrieval checks; the rest are skipped.
    """
    if not isinstance(entry, dict):
        raise ValueError(f"each entry must be a mapping, got {type(entry).__name__}")
    if "expect" in entry:
        return GateQuestion.model_validate({"question": entry.get("question"), "expect": entry["expect"]})
    sources = entry.get("sources") or []
    # Paraphrases and follow-ups test the advisor's role and conversation handling, not the index.
    if entry.get("kind", "direct") not in ("direct", "brief"):
        return None
    if not entry.get("in_scope") or entry.get("history") or not sources:
        return None
    return GateQuestion.model_validate({"question": entry.get("question"), "expect": str(sources[0])})


def gate_questions(settings: GateSettings) -> list[GateQuestion]:
    """Inline questions plus those of `gate.questions_file` (knowledge/golden.yaml by default)."""
    questions = list(settings.questions)
    if settings.questions_file is not None:
        path: Path = settings.questions_file
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            if not isinstance(raw, list):
                raise ValueError("the file must be a YAML list")
            questions += [q for q in (_from_entry(e) for e in raw) if q is not None]
        except (OSError, yaml.YAMLError, ValidationError, ValueError) as exc:
            raise ConfigError(f"gate.questions_file: cannot use {path}: {exc}".replace("\n", " ")) from exc
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
