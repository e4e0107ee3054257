"""Quality measurement (`make eval`): the dev set we tune on beside the held-out test set we never tune on.

The dev set is our own `knowledge/golden.yaml` (it also feeds the ingest's quality gate). The test set,
`tests/eval/test.yaml`, was written blind by others before any tuning. Both are judged the same way, per
category: answered (facts and expected article), declined, honest about gaps, whether the first point is
a key sentence (top-1 precision), the share of points that are key or supporting sentences (point
precision), and the mean length. Items of the dev set name no key sentences, so its precision is "–".
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.answer.advisor import Advisor
from bot.answer.types import Ask
from ingest.errors import ConfigError
from ingest.golden import GoldenQuestion, load_golden

Expect = Literal["answer", "gap", "decline"]
TEST_SET = Path("tests/eval/test.yaml")
"""The held-out test set, relative to the config file's folder."""
DEV_SET = Path("tests/eval/dev.yaml")
"""The dev questions in the test set's format, beside gate.questions_file's (both are tuned on)."""
CATEGORIES = ("direct", "paraphrase", "terse", "typos", "entities", "multipart", "followup", "gap", "off_topic")


class EvalItem(BaseModel):
    """One question of either set, in the test set's format (../shared/notes/blind-eval.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    category: str
    question: str
    history: list[str] = Field(default_factory=list)
    expect: Expect
    sources: list[str] = Field(default_factory=list)
    key_sentences: list[str] = Field(default_factory=list)
    supporting: list[str] = Field(default_factory=list)
    facts: list[list[str]] = Field(default_factory=list)
    asks_for: str | None = None


def from_golden(q: GoldenQuestion) -> EvalItem:
    """A dev question in the common format: its kind is its category, "a | b" facts become a group."""
    return EvalItem(
        id=q.id,
        category={"out_of_scope": "off_topic"}.get(q.kind, q.kind),
        question=q.question,
        history=q.history,
        expect="answer" if q.in_scope else "decline",
        sources=q.sources,
        facts=[[alt.strip() for alt in f.split("|")] for f in q.facts],
    )


def load_dev(path: Path) -> list[EvalItem]:
    return [from_golden(q) for q in load_golden(path)]


def load_test(path: Path) -> list[EvalItem]:
    """A question set in the test set's format; a malformed one is a ConfigError naming the item and field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return TypeAdapter(list[EvalItem]).validate_python(raw)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(f"{path}: item {where}: {first['msg']}") from exc


# ----- judging one answer ---------------------------------------------------------------------------------

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "\u00a0": " "})
_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")
_CITATION = re.compile(r"\s*\[\d+\](?:\s*\[\d+\])*\s*$")


def normalise(text: str) -> str:
    """Compare what an answer quotes with what an article says, whatever the quotes, dashes and case."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).lower()
    return " ".join(text.replace("…", " ").split()).strip(" .;:,")


def same_sentence(point: str, sentence: str) -> bool:
    """A point quotes a sentence when one holds the other (points may be trimmed at a clause), or when
    nearly all of the point's words are the sentence's."""
    p, s = normalise(point), normalise(sentence)
    if not p or not s:
        return False
    if (len(p) >= 20 and p in s) or s in p:
        return True
    words = _WORD.findall(p)
    known = set(_WORD.findall(s))
    return bool(words) and sum(w in known for w in words) / len(words) >= 0.8


def bullets(text: str) -> list[str]:
    """The answer's points as shown ("• text [n]"), whatever composed them: answers, briefs, comparisons."""
    return [_CITATION.sub("", line[1:].strip()) for line in text.splitlines() if line.startswith("•")]


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].rsplit(".", 1)[0]


@dataclass(frozen=True)
class Judged:
    """One question's answer, judged."""

    item: EvalItem
    answered: bool
    coverage: str | None
    length: int
    missing: tuple[str, ...]
    points: tuple[str, ...]
    top1: bool | None  # None: no key sentences named, or not answered
    relevant_points: int | None  # None: as top1
    mode: str = "extractive"
    fallback: str | None = None
    """Why a configured LLM did not answer ("unavailable", "ungrounded", ...)."""
    removed: int = 0
    """Sentences of the LLM's answer that the groundedness guard removed."""

    @property
    def ok(self) -> bool:
        """Right for its expectation: answered with its facts, declined, or honest about a gap."""
        if self.item.expect == "answer":
            return self.answered and not self.missing
        if self.item.expect == "decline":
            return not self.answered
        return self.honest

    @property
    def honest(self) -> bool:
        """A gap is honest when the answer does not pass related quotes off as the answer."""
        return not self.answered or self.coverage in ("partial", "none")


def judge(item: EvalItem, answered: bool, text: str, cited: Sequence[str], coverage: str | None = None) -> Judged:
    points = tuple(bullets(text))
    missing: list[str] = []
    top1: bool | None = None
    relevant: int | None = None
    if item.expect == "answer":
        lowered = normalise(text)
        missing = [" | ".join(g) for g in item.facts if not any(normalise(alt) in lowered for alt in g)]
        if item.sources and not {_stem(s) for s in item.sources} & {_stem(c) for c in cited}:
            missing.append(f"source {item.sources}")
        if answered and item.key_sentences:
            acceptable = [*item.key_sentences, *item.supporting]
            top1 = bool(points) and any(same_sentence(points[0], k) for k in item.key_sentences)
            relevant = sum(any(same_sentence(p, s) for s in acceptable) for p in points)
    return Judged(item, answered, coverage, len(text), tuple(missing), points, top1, relevant)


# ----- figures ---------------------------------------------------------------------------------------------


def _rate(values: Sequence[bool]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class Figures:
    """The figures of issue 13, over any group of judged questions; None where the group has none."""

    questions: int
    answer_rate: float | None
    decline_rate: float | None
    gap_honesty: float | None
    top1_precision: float | None
    point_precision: float | None
    mean_length: float | None

    @classmethod
    def of(cls, judged: Sequence[Judged]) -> Figures:
        answers = [j for j in judged if j.item.expect == "answer"]
        precise = [j for j in answers if j.top1 is not None]
        points = sum(len(j.points) for j in precise)
        lengths = [j.length for j in answers if j.answered]
        return cls(
            questions=len(judged),
            answer_rate=_rate([j.ok for j in answers]),
            decline_rate=_rate([j.ok for j in judged if j.item.expect == "decline"]),
            gap_honesty=_rate([j.ok for j in judged if j.item.expect == "gap"]),
            top1_precision=_rate([bool(j.top1) for j in precise]),
            point_precision=sum(j.relevant_points or 0 for j in precise) / points if points else None,
            mean_length=statistics.fmean(lengths) if lengths else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


FIGURES: tuple[tuple[str, str], ...] = (
    ("answer_rate", "answered"),
    ("decline_rate", "declined"),
    ("gap_honesty", "gap honesty"),
    ("top1_precision", "top-1 precision"),
    ("point_precision", "point precision"),
    ("mean_length", "mean length"),
)


@dataclass
class SetReport:
    """One question set's judged answers, overall and per category."""

    name: str
    judged: list[Judged]

    @property
    def overall(self) -> Figures:
        return Figures.of(self.judged)

    def categories(self) -> dict[str, Figures]:
        present = [c for c in CATEGORIES if any(j.item.category == c for j in self.judged)]
        present += sorted({j.item.category for j in self.judged} - set(present))
        return {c: Figures.of([j for j in self.judged if j.item.category == c]) for c in present}

    def failures(self) -> list[Judged]:
        return [j for j in self.judged if not j.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "overall": self.overall.to_dict(),
            "categories": {c: f.to_dict() for c, f in self.categories().items()},
            "failures": [
                {"id": j.item.id, "answered": j.answered, "missing": list(j.missing), "top1": j.top1}
                for j in self.failures()
            ],
        }


def evaluate(advisor: Advisor, items: Sequence[EvalItem], name: str = "dev", ask: Ask | None = None) -> SetReport:
    """Every item asked and judged; `ask` is the answer path to measure (default: the extractive one)."""
    ask = ask or advisor.ask_sync
    judged = []
    for item in items:
        answer = ask(item.question, item.history)
        verdict = judge(item, answer.in_scope, answer.text, [s.path for s in answer.sources], answer.coverage)
        removed = (answer.grounding or {}).get("removed", 0)
        judged.append(replace(verdict, mode=answer.mode, fallback=answer.fallback, removed=removed))
    return SetReport(name, judged)


@dataclass(frozen=True)
class LLMFigures:
    """What only an LLM run has: how often it fell back to extractive, and what the guard removed."""

    questions: int
    llm_answers: int
    fallbacks: dict[str, int]
    guard_removed: int
    answers_with_removals: int

    @classmethod
    def of(cls, judged: Sequence[Judged]) -> LLMFigures:
        llm = [j for j in judged if j.mode == "llm"]
        fallbacks: dict[str, int] = {}
        for j in judged:
            if j.fallback:
                fallbacks[j.fallback] = fallbacks.get(j.fallback, 0) + 1
        return cls(
            len(judged),
            len(llm),
            fallbacks,
            sum(j.removed for j in judged),
            sum(1 for j in judged if j.removed),
        )

    @property
    def fallback_rate(self) -> float:
        """Share of the questions the LLM was asked to answer that fell back to the extractive answer."""
        asked = self.llm_answers + sum(self.fallbacks.values())
        return sum(self.fallbacks.values()) / asked if asked else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "fallback_rate": round(self.fallback_rate, 4)}

    def line(self) -> str:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.fallbacks.items())) or "none"
        return (
            f"LLM answers {self.llm_answers} of {self.questions}; fallback rate {self.fallback_rate:.1%} ({reasons}); "
            f"guard removed {self.guard_removed} sentence(s) in {self.answers_with_removals} answer(s)"
        )


def _cell(value: float | None, percent: bool) -> str:
    if value is None:
        return "–"
    return f"{value:.1%}" if percent else f"{value:.0f}"


def table(reports: Sequence[SetReport], show_failures: Callable[[SetReport], bool] = lambda r: r.name == "dev") -> str:
    """Every figure per category, one column per set (dev beside test); failures listed for the dev set
    only by default, since reading the test set's failures one by one would turn it into a dev set."""
    header = f"{'category':<12}" + "".join(f"{r.name + ' (' + str(len(r.judged)) + ')':>14}" for r in reports)
    lines: list[str] = []
    for key, label in FIGURES:
        percent = key != "mean_length"
        lines += ["", f"{label}", header]
        groups = {c for r in reports for c in r.categories()}
        ordered = [c for c in CATEGORIES if c in groups] + sorted(groups - set(CATEGORIES))
        for category in [*ordered, "all"]:
            cells = []
            for r in reports:
                figures = r.overall if category == "all" else r.categories().get(category)
                cells.append(_cell(getattr(figures, key) if figures else None, percent))
            if any(c != "–" for c in cells):
                lines.append(f"{category:<12}" + "".join(f"{c:>14}" for c in cells))
    for r in reports:
        if show_failures(r):
            for j in r.failures():
                why = "missing " + ", ".join(repr(m) for m in j.missing) if j.missing else "wrong decision"
                lines.append(f"FAIL {r.name} {j.item.id}: answered={j.answered} {why}")
    return "\n".join(lines).lstrip("\n")
