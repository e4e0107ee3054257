"""The CV evidence check: for each criterion of a role, the CV's own sentences that are evidence for it, or,
when there are none, the interview question that probes it.

It prepares an interview; it is no verdict. So it gives no score, no ranking and no hire or no-hire line,
and says so. A sentence is evidence when its meaning is close to a piece of the criterion (the MiniLM
vectors' cosine) and its words meet the piece's words (each word's best cosine to one of the sentence's),
both closer than ordinary CV sentences come to that piece, and, blended in, it shares the criterion's content
words. The weights, the margin and the threshold were chosen on the dev CVs of tests/eval/cvs (labels.yaml),
checked by leave-one-CV-out, never on the test ones (tests/screen_calibrate.py).

What the bare cosine gets wrong, and what is done about it:
- A long criterion that lists many things ("project management, process mapping, group presentation, ...")
  is far in meaning from a short CV sentence that shows one of them. So a criterion is matched by its
  pieces too (its clauses and list items, `criterion_pieces`), and the best piece counts.
- One sentence vector blurs what a line names: "Runs the servers, networks and service desk" is only a
  little close to "delivery of infrastructure technical services". Word by word it is closer ("servers" meets
  "infrastructure"), so the mean over the piece's words of their best cosine with the sentence's words
  (bot.answer.grounding.word_alignment, the guard's soft overlap) weighs in, ALIGN_WEIGHT times.
- Some pieces are close to almost any CV sentence ("leadership", "communication skills"), others to very
  few. So a piece's cosine counts only above what it reaches with ordinary CV sentences: the
  BACKGROUND_QUANTILE of its cosines (and of its word alignments) over cv_background.txt, generic lines
  written for no role.
- A CV's summary line ("strategic thinker and clear communicator") or a degree is a little close to
  everything, and is the candidate's own claim. Such a sentence may show a background (a nurse's degree,
  years in hospitals) but weighs SUMMARY_PENALTY (a summary) or EDUCATION_PENALTY (a degree) less for a
  quality or a responsibility.
- A sentence counts only for the criteria it matches best, or within MARGIN of its best (competitive
  assignment), so one sentence is not evidence for everything it is near.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.answer.grounding import word_alignment
from bot.answer.retrieval import stem
from bot.answer.types import sources_footer
from bot.toolkit.criteria import KIND_NAMES, Criterion, RoleCriteria
from bot.toolkit.cvtext import CVRefused, CVText
from bot.toolkit.kit import questions_for

Encode = Callable[[Sequence[str]], np.ndarray]
"""Texts to normalised vectors, one row each (ingest.embedding.factory.Embedder.encode)."""

KEYWORD_WEIGHT = 0.2
"""How much sharing the criterion's content words adds to the cosine (chosen on the dev CVs)."""
ALIGN_WEIGHT = 3.0
"""How much the soft word overlap adds, above what ordinary CV sentences reach (chosen on the dev CVs)."""
SUMMARY_PENALTY = 0.5
"""What a summary sentence loses for a criterion that is no background (chosen on the dev CVs)."""
EDUCATION_PENALTY = 0.1
"""What an education sentence loses for a criterion that is no background (chosen on the dev CVs)."""
THRESHOLD = 0.34
"""A sentence's score from which it is evidence: its closeness above the background's, blended (dev CVs)."""
MARGIN = 0.0
"""How far below its best criterion a sentence may score for another and still count for it (dev CVs)."""
BACKGROUND_QUANTILE = 0.9
"""How close ordinary CV sentences come to a criterion's piece: this quantile of their cosines (dev CVs)."""
BACKGROUND_FILE = Path(__file__).with_name("cv_background.txt")
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


def words_of(text: str, drop: frozenset[str] = frozenset()) -> list[str]:
    """Lower-case content words in order, once each, without stopwords and words of two letters."""
    found = (w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS and w not in drop and len(w) >= 3)
    return list(dict.fromkeys(found))


def content_words(text: str, drop: frozenset[str] = frozenset()) -> set[str]:
    """Lower-case content words, crudely stemmed (plural and -ing/-ed endings), without stopwords."""
    return {stem(w) for w in words_of(text, drop)}


def criterion_pieces(text: str) -> list[str]:
    """The criterion and its clauses and list items of at least MIN_PIECE_WORDS words, split at commas,
    semicolons, dashes and "and", "who", "with": "someone who has executive presence, can manage people"
    gives "has executive presence" and "can manage people", each of which one CV sentence may show."""
    pieces = [p.strip(" .") for p in _PIECE_BREAK.split(text)]
    return list(dict.fromkeys([text, *(p for p in pieces if len(p.split()) >= MIN_PIECE_WORDS)]))


@cache
def background_sentences() -> tuple[str, ...]:
    """The ordinary CV sentences of BACKGROUND_FILE (comments and blank lines left out)."""
    lines = BACKGROUND_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@dataclass(frozen=True)
class Background:
    """The ordinary CV sentences (background_sentences) as vectors, and each of their words' vector: encoded
    once per toolkit. No CV text is ever kept here."""

    vectors: np.ndarray
    words: tuple[tuple[str, ...], ...]
    word_vectors: dict[str, np.ndarray]
    usual_align: dict[tuple[str, ...], float] = field(default_factory=dict)
    """A criterion piece's words -> the BACKGROUND_QUANTILE of their alignment with the ordinary sentences,
    kept since a role's criteria come back for every CV (a criterion's words only, never a CV's)."""

    @classmethod
    def encoded(cls, encode: Encode) -> Background:
        sentences = background_sentences()
        words = tuple(tuple(words_of(s)) for s in sentences)
        vocabulary = sorted({w for ws in words for w in ws})
        return cls(encode(sentences), words, dict(zip(vocabulary, encode(vocabulary), strict=True)))


@dataclass(frozen=True)
class Weights:
    """How the signals blend into a score and where evidence starts (tests/screen_calibrate.py varies them)."""

    keyword: float = KEYWORD_WEIGHT
    align: float = ALIGN_WEIGHT
    summary: float = SUMMARY_PENALTY
    education: float = EDUCATION_PENALTY
    margin: float = MARGIN
    threshold: float = THRESHOLD


@dataclass(frozen=True)
class Signals:
    """What a sentence's score for a criterion is made of (see `signals`): per criterion piece x sentence,
    the cosine and the word alignment, each above the background's; per criterion x sentence, the rest."""

    cosine: np.ndarray
    align: np.ndarray
    starts: tuple[int, ...]
    """Criterion i's pieces are rows starts[i] to starts[i + 1] of `cosine` and `align`."""
    keyword: np.ndarray
    summary: np.ndarray
    education: np.ndarray

    def scores(self, weights: Weights) -> np.ndarray:
        """criteria x sentences: the blend, where each sentence counts only for the criteria it fits best (or
        within the margin of it); elsewhere -inf."""
        pieces = self.cosine + weights.align * self.align
        closeness = np.stack([pieces[a:b].max(axis=0) for a, b in itertools.pairwise(self.starts)])
        matrix = closeness + weights.keyword * self.keyword
        matrix = matrix - weights.summary * self.summary - weights.education * self.education
        # Each sentence counts only where it fits best (or nearly): a summary line or a decoy, a little
        # close to everything, stops being evidence for all the criteria it does not speak to.
        return np.where(matrix >= matrix.max(axis=0) - weights.margin, matrix, -np.inf)

    def evidence(self, weights: Weights = Weights()) -> list[list[int]]:
        """For each criterion, its evidence sentences' indices, best first, at most MAX_EVIDENCE."""
        matrix = self.scores(weights)
        order = np.argsort(-matrix, axis=1, kind="stable")
        return [
            [int(j) for j in row if matrix[i, j] >= weights.threshold][:MAX_EVIDENCE] for i, row in enumerate(order)
        ]


def signals(
    criteria: Sequence[Criterion], cv: CVText, encode: Encode, role: str, background: Background | None = None
) -> Signals:
    """Per criterion piece (criterion_pieces) and sentence: cosine, the piece's cosine with the sentence less
    the BACKGROUND_QUANTILE of its cosines with ordinary CV sentences; align, the mean over the piece's
    content words of their best cosine with one of the sentence's words (word_alignment: "servers" meets
    "infrastructure", which one sentence vector blurs), less the same quantile over ordinary sentences.
    Per criterion and sentence: keyword, the criterion's content words the sentence holds, each weighted by
    how few of the role's criteria use it (a word all of them share, "nurse" for a nursing role, tells them
    apart no better than the role name, which counts for nothing), saturating at KEYWORD_SATURATION
    distinctive words, scaled to [0, 1]; summary and education, 1 for such a sentence and a criterion that is
    no background. `background`: Background.encoded(encode), when the caller keeps it (else encoded here).
    The CV's words are encoded here and dropped with the result."""
    sentences = cv.sentences
    background = background or Background.encoded(encode)
    drop = frozenset({role.lower(), role.lower() + "s"})
    pieces = [criterion_pieces(c.text) for c in criteria]
    flat = [p for ps in pieces for p in ps]
    vectors = encode(flat + list(sentences))
    piece_vectors = vectors[: len(flat)]
    bar = np.quantile(piece_vectors @ background.vectors.T, BACKGROUND_QUANTILE, axis=1)
    cosine = piece_vectors @ vectors[len(flat) :].T - bar[:, None]

    piece_words = [words_of(p, drop) for p in flat]
    sentence_words = [words_of(s) for s in sentences]
    known = dict(background.word_vectors)
    new = sorted({w for ws in [*piece_words, *sentence_words] for w in ws} - known.keys())
    if new:
        known.update(zip(new, encode(new), strict=True))

    def lookup(words: Sequence[str]) -> np.ndarray:
        return np.array([known[w] for w in words])

    def aligned(words: Sequence[str], others: Sequence[Sequence[str]]) -> np.ndarray:
        return np.array([word_alignment(words, o, lookup).mean() if words and o else 0.0 for o in others])

    for words in piece_words:
        if tuple(words) not in background.usual_align:
            usual_align = np.quantile(aligned(words, background.words), BACKGROUND_QUANTILE)
            background.usual_align[tuple(words)] = float(usual_align)
    usual = np.array([background.usual_align[tuple(w)] for w in piece_words])
    align = np.array([aligned(w, sentence_words) for w in piece_words]).reshape(len(flat), len(sentences))

    criterion_words = [content_words(c.text, drop) for c in criteria]
    weight = _rarity(criterion_words)
    stems = [{stem(w) for w in ws} for ws in sentence_words]
    keyword = np.array(
        [[min(sum(weight[w] for w in cw & sw), KEYWORD_SATURATION) for sw in stems] for cw in criterion_words],
        dtype=np.float32,
    ).reshape(len(criteria), len(sentences))

    def section(name: str) -> np.ndarray:
        return np.array(
            [[c.kind != "background" and cv.sections.get(s) == name for s in sentences] for c in criteria],
            dtype=np.float32,
        ).reshape(len(criteria), len(sentences))

    starts = tuple(int(x) for x in np.cumsum([0, *(len(ps) for ps in pieces)]))
    return Signals(
        cosine, align - usual[:, None], starts, keyword / KEYWORD_SATURATION, section("summary"), section("education")
    )


def _rarity(word_sets: Sequence[set[str]]) -> dict[str, float]:
    """Each word's inverse document frequency over the criteria, scaled so a word only one criterion uses is 1."""
    n = len(word_sets)
    counts: dict[str, int] = {}
    for words in word_sets:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    top = math.log((n + 1) / 1.5)
    return {w: math.log((n + 1) / (df + 0.5)) / top for w, df in counts.items()}


def screen(criteria: RoleCriteria, cv: CVText, encode: Encode, background: Background | None = None) -> Screening:
    """Each criterion with its evidence sentences (at most MAX_EVIDENCE, in the CV's order) or its probe;
    CVRefused when the file is no CV (no sentence is evidence for anything and it has no CV markers).
    `background`: Background.encoded(encode), when the caller keeps it."""
    found: list[tuple[str, ...]] = [() for _ in criteria.criteria]
    if criteria.criteria and cv.sentences:
        chosen = signals(criteria.criteria, cv, encode, criteria.role, background).evidence()
        found = [tuple(cv.sentences[j] for j in sorted(best)) for best in chosen]
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
