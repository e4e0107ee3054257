"""The groundedness guard: a sentence of an LLM answer stays only if the passages it cites support it.

Why: a fluent invention that carries a valid citation puts words in an author's mouth, the worst failure
an advisor can have. Citation cleaning only catches numbers that point nowhere; this checks what a
sentence says against what its cited passages say, with two kinds of evidence:
- lexical, as hard rules (bot.answer.claims, polarity, swaps, elsewhere): every number, name, role acronym,
  quantifier ("most", "usually", "only", "mainly") and intensifier ("insists", "definitive") in the sentence must
  appear in the cited text, no word may be reversed, swapped for its opposite, graded the other way or trade
  places with another, and no run of content words may come from a passage the sentence does not cite
  (bot.answer.elsewhere), nor an example, description or reason the passage does not give (additions), nor a
  verb of the passage given to another doer (bot.answer.agents, from a dependency parse);
- semantic, as a small logistic model (weights in grounding_model.json, fitted by
  `python -m bot.quality.grounding` on our own labelled sentence-passage pairs): the sentence's likeness
  to the cited text (its best unit, piece or window of units, the sentence read whole or as its bare
  claim, or its closest segments of the cited text joined) and its denying words. Two features and strong
  regularisation, chosen by leaving one writer's pairs out at a time: more features (per-clause likeness and
  overlap, the share of new words) fitted the writers we had and lost on a new one, and so, once the lexical
  rules caught what it used to, did the soft word overlap (`align`, session 19).
A sentence that cites nothing is held to the same check against all the passages given. A sentence
that asserts nothing (a lead such as "Here is what the articles say:", or "The articles do not cover
salaries.") is kept as it is.

Pure: the caller passes the encoder (the embedding model already loaded), so this imports no model code.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import numpy as np

from bot.answer.agents import Parser, demoted
from bot.answer.claims import (
    asserts_nothing,
    clauses,
    content_words,
    lexical_misses,
    novel_share,
    without_answer_word,
)
from bot.answer.elsewhere import borrowed
from bot.answer.hygiene import cited_numbers, strip_citations
from bot.answer.polarity import denials
from bot.answer.retrieval import stem
from bot.answer.types import Passage
from ingest.chunking import LIST_ITEM, split_sentences, units

Encode = Callable[[Sequence[str]], np.ndarray]
"""Normalised vectors, one row per text (ingest.embedding's Embedder.encode)."""

MODEL_FILE = Path(__file__).with_name("grounding_model.json")
FEATURES = ("window", "denials")

_RUN_SIZES = (6, 12)
"""Word runs of a cited unit that a claim is also compared with (stride: half a run)."""
_CACHE_LIMIT = 20_000
_SEGMENT = re.compile(r"[,;:]\s+|\s+and\s+|\.\s+")
"""Where a cited text is cut into the segments of Features.segments."""
_SEGMENTS_JOINED = 4
_ALIGNED = 0.6
"""A sentence word whose best cosine to any cited word is below this has no counterpart there."""
_JOINS = re.compile(
    r"(?:;|,?\s+\b(?:or|and|plus|such as|particularly|especially|including|although|though|while|as well as|also|"
    r"with|but|because|which|so that|since|leading to|along with|who|whereas|through|via|often|like|thanks to|"
    r"due to|where|when|after)\b)",
    re.IGNORECASE,
)
"""Where an LLM appends to a claim: a list join, an example, a concession, a cause, a relative clause."""
_HEAD_MET = 0.85
_TAIL_UNMET = 0.5
"""An added clause: the words before a join meet the cited text's (mean best cosine at least _HEAD_MET) and the
words after it do not (mean below _TAIL_UNMET). Chosen leaving one writer out on the calibrate pairs (session 14):
it caught 4 more unsupported sentences there and removed 1 more supported one; looser bounds removed as many
supported sentences as they caught unsupported ones."""


@dataclass(frozen=True)
class Features:
    """What the model weighs, plus the hard lexical misses (each alone makes a sentence unsupported)."""

    unit: float
    """Best cosine between the sentence and one cited unit (a sentence or list item)."""
    window: float
    """Best cosine between the sentence, or its bare claim (its content words without an advice frame such as
    "CIOs should consider candidates who"), and a cited unit, piece, or two or three consecutive units, or the
    sentence and its closest segments joined (`segments`)."""
    novel: float
    """Share of the sentence's content words that neither the cited text nor the question holds (shown, not weighed)."""
    segments: float = 0.0
    """Best cosine between the sentence and its 1 to 4 closest segments of the cited text joined in their order
    (segments: the pieces between commas, colons, semicolons, "and" and full stops): a partial statement of a long
    list ("a background in project management and budget management") meets "Background in project management
    and planning, ... and budget management" here, where the whole list's likeness is low. Part of `window`."""
    align: float = 1.0
    """Mean over the sentence's content words of the best cosine to a cited word (1 for the same word):
    a paraphrase's "schooled" meets "trained", an invention's "onboarding" meets nothing. Shown, no longer
    weighed: leaving one writer out on 22 batches, the model did better without it (0.961 / 0.893 against
    0.956 / 0.888), once examples, descriptions, reasons and borrowed runs were lexical misses."""
    align_low: float = 0.0
    """Share of the sentence's content words with no cited counterpart (best cosine below _ALIGNED); shown,
    not weighed, like `align`."""
    denials: float = 0.0
    """Denying words ("little", "struggled", "not") of the sentence that the cited text lacks."""
    missing: tuple[str, ...] = ()
    """Numbers, names and quantifiers of the sentence that the cited text lacks."""

    def vector(self) -> np.ndarray:
        return np.array([getattr(self, f) for f in FEATURES], dtype=np.float64)


@dataclass(frozen=True)
class Verdict:
    """One sentence and why it was kept or removed (logged at DEBUG, counted in the JSON)."""

    sentence: str
    cited: tuple[int, ...]
    supported: bool
    reason: str
    features: Features | None = None
    claim: bool = True
    """False for a sentence that asserts nothing (a lead, a statement of silence): kept, never counted."""


@dataclass(frozen=True)
class Grounded:
    """The answer text with its unsupported sentences removed, and what the guard did."""

    text: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return sum(1 for v in self.verdicts if v.supported and v.claim)

    @property
    def removed(self) -> int:
        return sum(1 for v in self.verdicts if not v.supported)

    @property
    def kept_cited(self) -> int:
        return sum(1 for v in self.verdicts if v.supported and v.claim and v.cited)

    def ungrounded(self) -> bool:
        """Too little survived to be an answer: most claims removed, or none of those that cite a passage."""
        claims = self.kept + self.removed
        if claims == 0:
            return False
        return self.removed * 2 > claims or (self.removed > 0 and self.kept_cited == 0)


def word_alignment(words: Sequence[str], known: Sequence[str], vectors: Encode) -> np.ndarray:
    """Per word, its best cosine to a known word, each word embedded alone (1.0 for the same stem): a soft
    word overlap that lets a paraphrase's synonyms count where an exact overlap sees only new words. Used by
    the guard (a claim's words against the cited text's) and the CV check (a criterion's against a CV line's).
    `vectors`: words to their vectors, one row each (the caller caches them)."""
    if not words:
        return np.zeros(0)
    stems = {stem(w) for w in known}
    vocabulary = sorted(set(known))
    best = np.zeros(len(words))
    if vocabulary:
        best = (vectors(list(words)) @ vectors(vocabulary).T).max(axis=1)
    return np.array([1.0 if stem(w) in stems else float(b) for w, b in zip(words, best, strict=True)])


@dataclass(frozen=True)
class GroundingModel:
    """Logistic weights over FEATURES, standardised like the scope model; `threshold` on P(supported)."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> GroundingModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path} was fitted on other features: run python -m bot.quality.grounding")
        return cls(
            np.array(data["coef"]),
            float(data["intercept"]),
            np.array(data["mean"]),
            np.array(data["scale"]),
            float(data["threshold"]),
        )

    def probability(self, features: Features) -> float:
        z = float(self.coef @ ((features.vector() - self.mean) / self.scale) + self.intercept)
        return 1.0 / (1.0 + math.exp(-z))


@cache
def default_model() -> GroundingModel:
    return GroundingModel.load()


def pieces_of(units_: Sequence[str]) -> list[str]:
    """What a claim is compared with: each cited unit, its clauses, and runs of its words.

    A short claim ("executive presence matters") restates a part of a long sentence; MiniLM likens it
    poorly to the whole sentence, well to the part.
    """
    out: list[str] = []
    for unit in units_:
        out.append(unit)
        out.extend(c for c in clauses(unit) if c != unit)
        words = unit.split()
        for size in _RUN_SIZES:
            if len(words) > size + 2:
                out.extend(" ".join(words[i : i + size]) for i in range(0, len(words) - size + 1, size // 2))
    return list(dict.fromkeys(out))


def _windows(pieces: Sequence[str]) -> list[str]:
    return [" ".join(pieces[i : i + size]) for size in (2, 3) for i in range(len(pieces) - size + 1)]


@lru_cache(maxsize=256)
def _evidence(passages: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The pieces a claim is compared with, and runs of 2-3 cited units: built once per set of cited
    passages, since every sentence citing the same passage would otherwise split it again."""
    whole = [u.text for p in passages for u in units(p)]
    return pieces_of(whole), _windows(whole)


def added_clause(sentence: str, known: Sequence[str], vectors: Encode) -> str | None:
    """The clause joined to a claim the cited text makes, when the clause's own words are not in it: "A good
    candidate can come from a vendor or consulting firm, or a large military IT role" on a passage naming only
    the first two. The likeness of the whole sentence hides such an addition (it is the passage plus a few words),
    and so does the mean word overlap; a hard miss, like an invented number. Two content words at least on each
    side: a short tail is a paraphrase's reordering as often as an addition."""
    for join in _JOINS.finditer(sentence):
        head, tail = content_words(sentence[: join.start()]), content_words(sentence[join.end() :])
        if len(head) < 3 or len(tail) < 2:
            continue
        if (
            word_alignment(head, known, vectors).mean() >= _HEAD_MET
            and word_alignment(tail, known, vectors).mean() < _TAIL_UNMET
        ):
            return sentence[join.start() :].strip(" ,.")
    return None


class Guard:
    """Checks each sentence of an answer against the passages it cites; removes what they do not support."""

    def __init__(self, encode: Encode, model: GroundingModel | None = None, parser: Parser | None = None) -> None:
        """`parser`: who does what (bot.answer.agents); without it that one rule is not applied."""
        self._encode = encode
        self._model = model
        self._parser = parser
        self._cache: dict[str, np.ndarray] = {}

    def warm(self) -> None:
        """Start loading the parser off the caller's thread, so that the first check need not wait for it."""
        if self._parser is not None:
            self._parser.warm()

    @property
    def model(self) -> GroundingModel:
        if self._model is None:
            self._model = default_model()
        return self._model

    def _evidence_vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of the cited pieces, each encoded once per process: answers cite the same passages again."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            if len(self._cache) + len(missing) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache.update(zip(missing, self._encode(missing), strict=True))
        return np.array([self._cache[t] for t in texts])

    def features(
        self,
        sentence: str,
        passages: Sequence[str],
        context: str = "",
        question: str = "",
        elsewhere: Sequence[str] = (),
    ) -> Features:
        """The evidence for one sentence from its cited passages' texts (context: titles, authors; elsewhere: the
        passages given to the model that the sentence does not cite)."""
        sentence = without_answer_word(sentence)
        pieces, windows = _evidence(tuple(passages))
        cited = "\n".join([*passages, context])
        known = content_words(f"{cited}\n{question}")
        added = added_clause(sentence, known, self._evidence_vectors)
        missing = (
            lexical_misses(sentence, cited)
            + ((f"an added clause: {added}",) if added else ())
            + tuple(borrowed(sentence, cited, elsewhere))
        )
        if self._parser is not None and not missing:  # the parse costs more than every other rule together
            doer = demoted(self._parser.slots(sentence), [self._parser.slots(p) for p in passages])
            missing += (doer,) if doer else ()
        novel = novel_share(sentence, cited, question)
        aligned = word_alignment(content_words(sentence), known, self._evidence_vectors)
        lexical = {
            "align": float(aligned.mean()) if aligned.size else 1.0,
            "align_low": float((aligned < _ALIGNED).mean()) if aligned.size else 0.0,
            "denials": float(denials(sentence, cited)),
        }
        if not pieces:
            return Features(0.0, 0.0, novel, **lexical, missing=missing)
        bare = " ".join(content_words(sentence))
        heads = self._encode([sentence, bare] if bare else [sentence])
        similarity = self._evidence_vectors([*pieces, *windows]) @ heads.T  # rows: pieces, windows
        unit = float(similarity[: len(pieces), 0].max())
        # The closest segments joined count as one more window (Features.segments). Weighed alone instead of the
        # window, they did a little better leaving one writer out of 14 (0.925 / 0.869 against 0.919 / 0.861) but
        # lost short claims of a long clause ("Executive presence matters" scored 0.49 against the window's 0.78).
        segments = self._segments(heads[0], passages)
        window = max(float(similarity.max()), segments)
        return Features(unit, window, novel, segments=segments, **lexical, missing=missing)

    def _segments(self, head: np.ndarray, passages: Sequence[str]) -> float:
        """See Features.segments."""
        found = [x.strip(" .") for p in passages for x in _SEGMENT.split(p)]
        found = [x for x in dict.fromkeys(found) if len(x) > 2]
        if not found:
            return 0.0
        order = np.argsort(-(self._evidence_vectors(found) @ head), kind="stable")
        sizes = range(1, min(_SEGMENTS_JOINED, len(found)) + 1)
        joins = [", ".join(found[i] for i in sorted(order[:k])) for k in sizes]
        return float((self._evidence_vectors(joins) @ head).max())

    def judge(self, sentence: str, chosen: Sequence[Passage], uncited: Sequence[Passage], question: str) -> Verdict:
        """Supported or not by the `chosen` passages, with the reason: a lexical miss, or the model's probability."""
        claim = strip_citations(sentence)
        cited = tuple(sorted(cited_numbers(sentence)))
        if asserts_nothing(claim, question):
            return Verdict(sentence, cited, True, "asserts nothing", claim=False)
        texts, elsewhere = [p.text for p in chosen], [p.text for p in uncited]
        features = self.features(claim, texts, _context(chosen), question, elsewhere)
        if features.missing:
            return Verdict(sentence, cited, False, "not in the cited text: " + ", ".join(features.missing), features)
        p = self.model.probability(features)
        supported = bool(p >= self.model.threshold)
        return Verdict(sentence, cited, supported, f"p(supported)={p:.2f}", features)

    def check(self, text: str, passages: Sequence[Passage], question: str = "") -> Grounded:
        """`text` with every unsupported sentence removed; a bullet left empty goes with it."""
        by_number: dict[int, list[Passage]] = {}
        for p in passages:
            by_number.setdefault(p.n, []).append(p)
        verdicts: list[Verdict] = []
        lines: list[str] = []
        for line in text.split("\n"):
            bullet = LIST_ITEM.match(line)
            prefix = bullet.group(0) if bullet else ""
            body = line[len(prefix) :]
            if not body.strip():
                lines.append(line)
                continue
            kept: list[str] = []
            for sentence in _sentences(body):
                chosen = [p for n in sorted(cited_numbers(sentence)) for p in by_number.get(n, [])] or list(passages)
                uncited = [p for p in passages if p not in chosen]
                verdict = self.judge(sentence, chosen, uncited, question)
                verdicts.append(verdict)
                if verdict.supported:
                    kept.append(sentence)
            if kept:
                lines.append(prefix + " ".join(kept))
        return Grounded(_tidy("\n".join(lines)), verdicts)


def _sentences(body: str) -> list[str]:
    """Sentences of one line; a citation after the full stop ("... terms. [1]") stays with its sentence."""
    out: list[str] = []
    for piece in split_sentences(body):
        if out and not strip_citations(piece):
            out[-1] = f"{out[-1]} {piece.strip()}"
        else:
            out.append(piece)
    return out


def _context(passages: Iterable[Passage]) -> str:
    """What a citation vouches for beside the passage's words: its article's title, author and publisher."""
    seen = {(p.source.title, p.source.author, p.source.publisher, p.headings) for p in passages}
    return "\n".join(" ".join(part for part in item if part) for item in seen)


def _tidy(text: str) -> str:
    """No runs of blank lines where bullets went."""
    return re.sub(r"\n{3,}", "\n\n", text).strip()
