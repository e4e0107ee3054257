"""Quality measurement on our own question set (knowledge/golden.yaml): `make eval`.

An in-scope question counts as answered only if the advisor answers it, cites an expected article
and contains every expected fact; an out-of-scope one counts only if it is declined. The same file
feeds the ingest's quality gate.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from bot.advisor import Advisor


class GoldenQuestion(BaseModel):
    """One entry of knowledge/golden.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    question: str
    history: list[str] = Field(default_factory=list)
    in_scope: bool
    sources: list[str] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)


def load_golden(path: Path) -> list[GoldenQuestion]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return TypeAdapter(list[GoldenQuestion]).validate_python(raw)


@dataclass
class Outcome:
    item: GoldenQuestion
    answered: bool
    ok: bool
    length: int
    missing: list[str] = field(default_factory=list)
    cited: list[str] = field(default_factory=list)
    score: float | None = None


@dataclass
class EvalReport:
    outcomes: list[Outcome]

    def _of(self, in_scope: bool) -> list[Outcome]:
        return [o for o in self.outcomes if o.item.in_scope is in_scope]

    @property
    def answer_rate(self) -> float:
        """In-scope questions answered correctly (facts present, expected source cited)."""
        items = self._of(True)
        return sum(o.ok for o in items) / max(1, len(items))

    @property
    def decline_rate(self) -> float:
        """Out-of-scope questions declined."""
        items = self._of(False)
        return sum(o.ok for o in items) / max(1, len(items))

    def calibration(self) -> tuple[float, float]:
        """(lowest scope score of an in-scope question, highest of an out-of-scope one)."""
        inside = [o.score for o in self._of(True) if o.score is not None]
        outside = [o.score for o in self._of(False) if o.score is not None]
        return min(inside, default=0.0), max(outside, default=0.0)

    @property
    def mean_length(self) -> float:
        lengths = [o.length for o in self._of(True) if o.answered and o.item.kind != "brief"]
        return statistics.fmean(lengths) if lengths else 0.0

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": len(self.outcomes),
            "in_scope": len(self._of(True)),
            "out_of_scope": len(self._of(False)),
            "answer_rate": round(self.answer_rate, 4),
            "decline_rate": round(self.decline_rate, 4),
            "mean_length": round(self.mean_length, 1),
            "scope_in_min": round(self.calibration()[0], 3),
            "scope_out_max": round(self.calibration()[1], 3),
            "failures": [
                {"id": o.item.id, "answered": o.answered, "missing": o.missing, "cited": o.cited}
                for o in self.failures()
            ],
        }

    def table(self) -> str:
        lines = [
            f"questions      {len(self.outcomes)} "
            f"({len(self._of(True))} in scope, {len(self._of(False))} out of scope)",
            f"answer rate    {self.answer_rate:.1%}  (in scope: answered, expected source cited, all facts present)",
            f"decline rate   {self.decline_rate:.1%}  (out of scope: declined)",
            f"mean length    {self.mean_length:.0f} characters (ordinary answers)",
            f"calibration    in-scope questions score >= {self.calibration()[0]:.3f}, "
            f"out-of-scope <= {self.calibration()[1]:.3f} (cosine similarity, leaving out questions declined "
            "because they name a role no article covers; advisor.min_score sits between)",
        ]
        for o in self.failures():
            why = "missing " + ", ".join(repr(m) for m in o.missing) if o.missing else "wrong decision"
            lines.append(f"FAIL {o.item.id}: answered={o.answered} {why} cited={o.cited}")
        return "\n".join(lines)


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def judge(item: GoldenQuestion, answered: bool, text: str, cited: list[str]) -> Outcome:
    if not item.in_scope:
        return Outcome(item, answered, not answered and not cited, len(text), [], cited)
    lowered = text.lower()
    missing = [f for f in item.facts if not any(alt.strip().lower() in lowered for alt in f.split("|"))]
    source_ok = not item.sources or any(_stem(c) in item.sources for c in cited)
    if not source_ok:
        missing.append(f"source {item.sources}")
    return Outcome(item, answered, answered and not missing, len(text), missing, cited)


def evaluate(advisor: Advisor, items: list[GoldenQuestion]) -> EvalReport:
    outcomes = []
    for item in items:
        answer = advisor.ask_sync(item.question, item.history)
        outcome = judge(item, answer.in_scope, answer.text, [s.path for s in answer.sources])
        outcome.score = advisor.scope_score(item.question, item.history)
        outcomes.append(outcome)
    return EvalReport(outcomes)
