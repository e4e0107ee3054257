"""The CV evidence check: for each criterion of a role, the CV's own sentences that are evidence for it, or,
when there are none, the interview question that probes it.

It prepares an interview; it is no verdict. So it gives no score, no ranking and no hire or no-hire line,
and says so. A sentence is evidence when its meaning is close to the criterion's (the MiniLM vectors'
cosine) and, blended in, it shares the criterion's content words; the weights and the threshold were
calibrated on the dev CVs of tests/eval/cvs (labels.yaml), never on the test ones.

Two things the bare cosine gets wrong, and what is done about them:
- A long criterion that lists many things ("project management, process mapping, group presentation, ...")
  is far in meaning from a short CV sentence that shows one of them. So a criterion is matched by its
  pieces too (its clauses and list items, `criterion_pieces`), and the best piece counts.
- A CV's summary line or a decoy sentence is a little close to every criterion. So a sentence is evidence
  only for the criteria it matches best, or within MARGIN of its best (competitive assignment).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.answer.retrieval import stem
from bot.answer.types import sources_footer
from bot.toolkit.criteria import KIND_NAMES, Criterion, RoleCriteria
from bot.toolkit.cvtext import CVRefused, CVText
from bot.toolkit.kit import questions_for

Encode = Callable[[Sequence[str]], np.ndarray]
"""Texts to normalised vectors, one row each (ingest.embedding.factory.Embedder.encode)."""

KEYWORD_WEIGHT = 0.2
"""How much sharing the criterion's content words adds to the cosine (calibrated on the dev CVs)."""
THRESHOLD = 0.40
"""A sentence's blended score from which it is evidence (calibrated on the dev CVs)."""
MARGIN = 0.02
"""How far below its best criterion a sentence may score for another and still count for it (dev CVs)."""
KEYWORD_SATURATION = 3
"""Shared content words beyond this add nothing: a long list of skills must not drown a short criterion."""
MAX_EVIDENCE = 3

NOTICE = (
    "This check prepares the interview: it gives no hire or no-hire verdict, no score and no ranking. "
    "The CV was held in memory only for this reply and was not stored."
)
NOT_A_CV = (
    "this does not look like a CV: nothing in it speaks to the role's criteria, and it names no experience, "
    "education or role titles"
)

_PIECE_BREAK = re.compile(r"[,;:]\s|\s[–—-]\s|\s(?:and|who|with)\s")
MIN_PIECE_WORDS = 2
_WORD = re.compile(r"[a-z][a-z'-]+")
_STOPWORD_TEXT = (
    "a an the and or of in to for with on at by from as is are was were be been being has have had that "
    "this these those their its it they them who which what all any some more most other such can may "
    "must will would should into over under about than then also not no very own same so both each few "
    "many much someone something good strong ideally wants role roles like"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Finding:
    """One criterion and what the CV says to it: its sentences, or the question to ask instead."""

    criterion: Criterion
    evidence: tuple[str, ...]
    probe: str | None

    @property
    def status(self) -> str:
        return "evidence" if self.evidence else "no evidence"


@dataclass
class Screening:
    """The check of one CV against one role; `text` is what a chat shows. It holds no score."""

    criteria: RoleCriteria
    findings: list[Finding]
    text: str

    def to_json(self) -> dict[str, Any]:
        sources = [s.to_json() for s in self.criteria.sources]
        return {
            "role": self.criteria.role,
            "criteria": [
                {
                    "criterion": f.criterion.text,
                    "status": f.status,
                    "evidence": list(f.evidence),
                    "probe": f.probe,
                    "sources": [s for s in sources if s["n"] == f.criterion.source],
                }
                for f in self.findings
            ],
            "stored": False,
        }


def content_words(text: str, drop: frozenset[str] = frozenset()) -> set[str]:
    """Lower-case content words, crudely stemmed (plural and -ing/-ed endings), without stopwords."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or word in drop or len(word) < 3:
            continue
        words.add(stem(word))
    return words


def criterion_pieces(text: str) -> list[str]:
    """The criterion and its clauses and list items of at least MIN_PIECE_WORDS words, split at commas,
    semicolons, dashes and "and", "who", "with": "someone who has executive presence, can manage people"
    gives "has executive presence" and "can manage people", each of which one CV sentence may show."""
    pieces = [p.strip(" .") for p in _PIECE_BREAK.split(text)]
    return list(dict.fromkeys([text, *(p for p in pieces if len(p.split()) >= MIN_PIECE_WORDS)]))


def scores(criteria: Sequence[Criterion], sentences: Sequence[str], encode: Encode, role: str) -> np.ndarray:
    """criteria x sentences: the best cosine over the criterion's pieces (criterion_pieces) plus
    KEYWORD_WEIGHT times the criterion's content words the sentence holds, each weighted by how few of the
    role's criteria use it (a word all of them share, "nurse" for a nursing role, tells them apart no better
    than the role name, which counts for nothing), saturating at KEYWORD_SATURATION distinctive words."""
    pieces = [criterion_pieces(c.text) for c in criteria]
    flat = [p for ps in pieces for p in ps]
    vectors = encode(flat + list(sentences))
    piece_cosine = vectors[: len(flat)] @ vectors[len(flat) :].T
    starts = np.cumsum([0, *(len(ps) for ps in pieces)])
    cosine = np.stack([piece_cosine[a:b].max(axis=0) for a, b in itertools.pairwise(starts)])
    drop = frozenset({role.lower(), role.lower() + "s"})
    criterion_words = [content_words(c.text, drop) for c in criteria]
    weight = _rarity(criterion_words)
    sentence_words = [content_words(s) for s in sentences]
    keyword = np.array(
        [[min(sum(weight[w] for w in cw & sw), KEYWORD_SATURATION) for sw in sentence_words] for cw in criterion_words],
        dtype=np.float32,
    ).reshape(len(criteria), len(sentences))
    return np.asarray(cosine + KEYWORD_WEIGHT * keyword / KEYWORD_SATURATION)


def _rarity(word_sets: Sequence[set[str]]) -> dict[str, float]:
    """Each word's inverse document frequency over the criteria, scaled so a word only one criterion uses is 1."""
    n = len(word_sets)
    counts: dict[str, int] = {}
    for words in word_sets:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    top = math.log((n + 1) / 1.5)
    return {w: math.log((n + 1) / (df + 0.5)) / top for w, df in counts.items()}


def screen(criteria: RoleCriteria, cv: CVText, encode: Encode) -> Screening:
    """Each criterion with its evidence sentences (at most MAX_EVIDENCE, in the CV's order) or its probe;
    CVRefused when the file is no CV (no sentence is evidence for anything and it has no CV markers)."""
    found: list[tuple[str, ...]] = [() for _ in criteria.criteria]
    if criteria.criteria and cv.sentences:
        matrix = scores(criteria.criteria, cv.sentences, encode, criteria.role)
        # Each sentence counts only where it fits best (or nearly): a summary line or a decoy, a little
        # close to everything, stops being evidence for all the criteria it does not speak to.
        matrix = np.where(matrix >= matrix.max(axis=0) - MARGIN, matrix, -np.inf)
        for i, row in enumerate(matrix):
            best = [j for j in np.argsort(-row, kind="stable") if row[j] >= THRESHOLD][:MAX_EVIDENCE]
            found[i] = tuple(cv.sentences[j] for j in sorted(best))
    if not any(found) and not cv.looks_like_cv:
        raise CVRefused(NOT_A_CV)
    findings = [
        Finding(c, evidence, None if evidence else questions_for(c)[0])
        for c, evidence in zip(criteria.criteria, found, strict=True)
    ]
    return Screening(criteria, findings, _render(criteria, findings))


def _render(criteria: RoleCriteria, findings: list[Finding]) -> str:
    lines = [f"CV evidence check: {criteria.title}", NOTICE]
    if not findings:
        lines += ["", "The knowledge base states no criteria for this role yet."]
    for i, f in enumerate(findings, 1):
        c = f.criterion
        lines += ["", f"{i}. {c.name} ({KIND_NAMES[c.kind]})", f"Criterion: {c.text} [{c.source}]"]
        if f.evidence:
            lines += ["Evidence in the CV:"] + [f"• “{s}”" for s in f.evidence]
        else:
            lines += ["No evidence found in the CV. Ask in the interview:", f"• {f.probe}"]
    return "\n".join([*lines, "", sources_footer(criteria.sources)])
