"""Does the knowledge base cover a question? Several signals together, not one similarity threshold.

Dense similarity alone declined short and named-entity questions that an article answers word for
word, and it scores on-topic questions the articles are silent on (a salary, a reporting line) as high
as answerable ones. So the decision weighs: the best passage's and the best sentence's similarity, how
much of the question's content the knowledge base's vocabulary knows, how much of it the best sentences
hold, whether it names a person, organisation or phrase of the articles, and whether it names a role
the articles are about, and whether it asks for a specific thing (a salary figure, a reporting line)
that the best sentences do not hold. A small multinomial logistic model over these features, fitted on the dev set
with scikit-learn (`python -m bot.quality.calibrate`), decides between answer, gap and decline; its weights
are data (`scope_model.json`), applied here with numpy alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import numpy as np

from bot.answer.retrieval import terms
from ingest.lexicon import TOKEN, bare

Decision = Literal["answer", "gap", "decline"]
# The words that frame a hiring question rather than say what it is about ("what should I look for",
# "tell me", "a good candidate"): no article need use them for the question to be covered.
QUESTION_WORDS = frozenset(
    [
        "look",
        "looking",
        "find",
        "tell",
        "know",
        "want",
        "need",
        "like",
        "good",
        "best",
        "ideal",
        "typical",
        "kind",
        "sort",
        "type",
        "really",
        "actually",
        "watch",
        "hire",
        "hiring",
        "hired",
        "candidate",
        "candidates",
        "role",
        "roles",
        "job",
        "position",
        "person",
        "someone",
        "people",
        "thing",
        "things",
        "mean",
        "means",
        "please",
        "explain",
        "describe",
        "give",
        "list",
        "quick",
        "briefly",
    ]
)
MODEL_FILE = Path(__file__).with_name("scope_model.json")
FEATURES = ("dense", "sentence", "known", "matched", "entity", "role", "specific")


@dataclass(frozen=True)
class Evidence:
    """The signals for one question; each in [0, 1] except the similarities (cosines)."""

    dense: float
    sentence: float
    known: float
    matched: float
    entity: float
    role: float
    specific: float = 0.0
    """1 when the question asks for a specific thing (bot.answer.specific) that its best sentences do not hold."""

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)


def weighted_share(question_terms: Iterable[str], present: Callable[[str], bool], idf: Callable[[str], float]) -> float:
    """The idf-weighted share of the question's terms for which `present` holds: rare words count most."""
    weights = {t: idf(t) for t in set(question_terms)}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if present(t)) / total if total else 1.0


def names_in(question: str, names: frozenset[str], ignore: Iterable[str] = ()) -> list[str]:
    """The knowledge base's names that the question uses (whole words, any case)."""
    lowered = " " + " ".join(TOKEN.findall(question.lower())) + " "
    skip = {i.lower() for i in ignore}
    return [n for n in names if n not in skip and f" {n} " in lowered]


def name_parts_in(question: str, names: frozenset[str]) -> list[str]:
    """Words of the knowledge base's names of several words that the question writes alone, with a capital, past
    its first word: a surname or a place as people ask ("What did Raths write?", "Where is Maywood?"). A capital
    is required, since such a word alone may be an ordinary one ("wood", "rise")."""
    parts = {
        w for n in names if " " in n and not n.startswith("the ") for w in n.split() if len(w) >= 4 and w.isalpha()
    }
    words = [bare(w) for w in TOKEN.findall(question)[1:]]
    return [w for w in words if w[:1].isupper() and w.lower() in parts]


def unmatched_span(question: str, known: Callable[[str], bool]) -> str:
    """The part of the question that no passage addresses, to name it: from the first to the last of
    its content words that `known` rejects, within one sentence of the question, at most 8 words."""
    best = ""
    for sentence in re.split(r"(?<=[.?!])\s+", question.strip()):
        words = sentence.strip(" ?!.").split()
        missing = [i for i, w in enumerate(words) if any(not known(t) and t not in QUESTION_WORDS for t in terms(w))]
        if missing:
            span = " ".join(words[missing[0] : missing[-1] + 1][:8])
            if len(span) > len(best):
                best = span
    return best.strip(" ,;:-")


@dataclass(frozen=True)
class ScopeModel:
    """Multinomial logistic weights over FEATURES; `classes` in the order of `coef`'s rows."""

    classes: tuple[Decision, ...]
    coef: np.ndarray
    intercept: np.ndarray
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> ScopeModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was fitted on other features: run python -m bot.quality.calibrate")
        return cls(
            tuple(data["classes"]),
            np.array(data["coef"]),
            np.array(data["intercept"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
        )

    def probabilities(self, evidence: Evidence) -> dict[Decision, float]:
        z = self.coef @ ((evidence.vector() - self.mean) / self.scale) + self.intercept
        p = np.exp(z - z.max())
        p /= p.sum()
        return dict(zip(self.classes, (float(x) for x in p), strict=True))

    def decide(self, evidence: Evidence) -> Decision:
        probabilities = self.probabilities(evidence)
        decision = max(probabilities, key=lambda c: probabilities[c])
        # A question that uses an article's own name is about the articles: never declined for low
        # similarity (it may still be a gap).
        if decision == "decline" and evidence.entity:
            decision = "answer" if probabilities["answer"] >= probabilities["gap"] else "gap"
        return decision


@cache
def default_model() -> ScopeModel:
    return ScopeModel.load()


def best_sentences_terms(sentences: Sequence[str], n: int = 3) -> set[str]:
    """The terms of the best few sentences, the ones an answer would quote."""
    return {t for s in sentences[:n] for t in terms(s)}


STEM_PREFIX = 6
"""Letters two long words must share to count as one ("outsiders" ~ "outside", "strategy" ~ "strategic")."""


def holds(best: set[str]) -> Callable[[str], bool]:
    """Whether the best sentences hold a question's term, as itself or as a long word of the same stem:
    terms() folds plurals only, so "outsiders" would miss "outside" and a covered question read as a gap."""
    prefixes = {t[:STEM_PREFIX] for t in best if len(t) > STEM_PREFIX}
    return lambda t: t in best or (len(t) > STEM_PREFIX and t[:STEM_PREFIX] in prefixes)
