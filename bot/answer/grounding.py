"""The groundedness guard: a sentence of an LLM answer stays only if the passages it cites support it.

Why: a fluent invention that carries a valid citation puts words in an author's mouth, the worst failure
an advisor can have. Citation cleaning only catches numbers that point nowhere; this checks what a
sentence says against what its cited passages say, with two kinds of evidence:
- lexical, as hard rules: every number, name and quantifier ("most", "usually", "only", "required") in the
  sentence must appear in the cited text;
- semantic, as a small logistic model (weights in grounding_model.json, fitted by
  `python -m bot.quality.grounding` on our own labelled sentence-passage pairs): the sentence's likeness
  to the cited units and windows of them, and the share of its content words the cited text lacks.
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
from functools import cache
from pathlib import Path

import numpy as np

from bot.answer.hygiene import cited_numbers, strip_citations
from bot.answer.retrieval import terms
from bot.answer.types import Passage
from ingest.chunking import split_sentences, units

Encode = Callable[[Sequence[str]], np.ndarray]
"""Normalised vectors, one row per text (ingest.embedding's Embedder.encode)."""

MODEL_FILE = Path(__file__).with_name("grounding_model.json")
FEATURES = ("unit", "window", "novel", "clause_unit", "clause_novel")


def _words(text: str) -> frozenset[str]:
    """A word list written as words (easier to read and extend than a list of quoted strings)."""
    return frozenset(text.split())


_NUMBER_WORDS = {
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "hundred": "100",
    "forty": "40",
    "fifty": "50",
    "dozen": "12",
    "thousand": "1000",
    "million": "1000000",
    "billion": "1000000000",
    "percent": "%",
    "twice": "2x",
    "double": "2x",
    "triple": "3x",
    "decades": "10y+",
}
#: An ordinal that qualifies a noun ("second-generation", "first generation") is a number too; a bare
#: "First," that orders an answer's points is not.
_ORDINAL = re.compile(r"\b(first|second|third|fourth|fifth|next|last)(?:-|\s+(?=generation))", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: Capitalised words that name nothing in particular; a sentence may use them without its passage doing so.
_COMMON_CAPITALS = _words(
    "i a an the it its this that these those they their there he she his her we our you your who what "
    "when where which why how in on at for to of from by with as and or but if so not no also both each "
    "every many most some such then thus while first second third finally overall however instead "
    "according look consider ask hire hiring health healthcare system systems cio cios board ideal good "
    "strong source sources passage passages article articles author recruiter recruiters candidate "
    "candidates yes note key here today"
)
#: Words that set how far a claim reaches ("most", "usually", "only", "required"): a sentence may not
#: widen its passage's reach, so each must appear in the cited text too.
_QUANTIFIERS = _words(
    "always never only required requires require mandatory essential all every none no sole solely single "
    "exclusively guarantee guarantees guaranteed invariably necessarily entirely fully completely most "
    "majority usually typically generally often rarely seldom best worst primary main"
)
#: Words that frame a sentence without asserting anything about the roles.
_FRAMING = _words(
    "article articles passage passages source sources author authors recruiter recruiters say says said "
    "according note notes mention mentions mentioned cover covers covered address addresses addressed "
    "describe describes described discuss discusses discussed point points answer answers question "
    "questions following below above here summary summarise summarize detail details information specific "
    "specifically hire hiring here"
)
_SILENCE = re.compile(
    r"\b(?:do(?:es)?\s*n[o’']t|do(?:es)? not|don[’']t|doesn[’']t|no passage|none of the|nothing)\b.{0,40}?"
    r"\b(?:say|says|cover|covers|address|addresses|mention|mentions|discuss|discusses|specify|specifies|state|states)\b",
    re.IGNORECASE,
)
_RUN_SIZES = (6, 12)
"""Word runs of a cited unit that a claim is also compared with (stride: half a run)."""
_CACHE_LIMIT = 20_000
_BULLET = re.compile(r"^(\s*(?:[-*•]|\d{1,2}[.)])\s+)")


@dataclass(frozen=True)
class Features:
    """What the model weighs, plus the hard lexical misses (each alone makes a sentence unsupported)."""

    unit: float
    """Best cosine between the sentence and one cited unit (a sentence or list item)."""
    window: float
    """Best cosine between the sentence and two or three consecutive cited units (for summaries)."""
    novel: float
    """Share of the sentence's content words that neither the cited text nor the question holds."""
    clause_unit: float
    """The weakest clause's best cosine to one cited unit: a true clause must not carry an invented one."""
    clause_novel: float
    """The highest share of novel content words in any one clause."""
    missing: tuple[str, ...] = ()
    """Numbers, names and quantifiers of the sentence that the cited text lacks."""

    def vector(self) -> np.ndarray:
        return np.array([self.unit, self.window, self.novel, self.clause_unit, self.clause_novel])


@dataclass(frozen=True)
class Verdict:
    """One sentence and why it was kept or removed (logged at DEBUG, counted in the JSON)."""

    sentence: str
    cited: tuple[int, ...]
    supported: bool
    reason: str
    features: Features | None = None


@dataclass(frozen=True)
class Grounded:
    """The answer text with its unsupported sentences removed, and what the guard did."""

    text: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return sum(1 for v in self.verdicts if v.supported and v.reason != "asserts nothing")

    @property
    def removed(self) -> int:
        return sum(1 for v in self.verdicts if not v.supported)

    @property
    def kept_cited(self) -> int:
        return sum(1 for v in self.verdicts if v.supported and v.cited)

    def ungrounded(self) -> bool:
        """Too little survived to be an answer: most claims removed, or none of those that cite a passage."""
        claims = self.kept + self.removed
        if claims == 0:
            return False
        return self.removed * 2 > claims or (self.removed > 0 and self.kept_cited == 0)


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


def _normal_numbers(text: str) -> set[str]:
    """Digits, number words and noun-qualifying ordinals, in one spelling so that 'five' meets '5'."""
    found = {n.replace(",", "") for n in _NUMBER.findall(text)} | ({"%"} if "%" in text else set())
    found |= {_NUMBER_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _NUMBER_WORDS}
    found |= {m.lower() + "-" for m in _ORDINAL.findall(text)}
    return found


def _names(sentence: str) -> set[str]:
    """Capitalised words and acronyms that are not the sentence's first word or common capitals."""
    words = _WORDS.findall(sentence)
    out: set[str] = set()
    for i, word in enumerate(words):
        bare = word.strip("'’-")
        if not bare or not bare[0].isupper():
            continue
        if i == 0 and not bare.isupper():
            continue
        if bare.lower().rstrip("s") in _COMMON_CAPITALS or bare.lower() in _COMMON_CAPITALS:
            continue
        out.add(bare)
    return out


def _stem(word: str) -> str:
    """A light fold so that 'lead', 'leads' and 'leading' meet: enough for an overlap check, not a stemmer."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def lexical_misses(sentence: str, cited: str) -> tuple[str, ...]:
    """The numbers, names and quantifiers of `sentence` that `cited` (its passages and sources) lacks."""
    lower = cited.lower()
    missing = sorted(_normal_numbers(sentence) - _normal_numbers(cited))
    for name in sorted(_names(sentence)):
        key = name.lower().removesuffix("’s").removesuffix("'s")
        if key not in lower and key.rstrip("s") not in lower:
            missing.append(name)
    cited_words = set(re.findall(r"[a-z]+", lower))
    missing.extend(
        sorted(w for w in set(re.findall(r"[a-z]+", sentence.lower())) & _QUANTIFIERS if w not in cited_words)
    )
    return tuple(missing)


def novel_share(sentence: str, cited: str, question: str = "") -> float:
    """Share of the sentence's content words found neither in the cited text nor in the question."""
    words = [t for t in terms(sentence) if t not in _FRAMING]
    if not words:
        return 0.0
    known = {_stem(t) for t in terms(cited)} | {_stem(t) for t in terms(question)}
    return sum(1 for w in words if _stem(w) not in known) / len(words)


def asserts_nothing(sentence: str, question: str = "") -> bool:
    """A lead or a statement of silence: no content beyond the question's own words and framing."""
    if _SILENCE.search(sentence):
        return True
    asked = {_stem(t) for t in terms(question)}
    words = [t for t in terms(sentence) if t not in _FRAMING and _stem(t) not in asked]
    asked_names = {n.lower() for n in _names(question)} | set(question.lower().split())
    names = {n for n in _names(sentence) if n.lower() not in asked_names}
    return not words and not _normal_numbers(sentence) and not names


_CLAUSE_BREAK = re.compile(r";\s+|,?\s+(?:and|but|while|whereas|so|because|which)\s+|,\s+")


def clauses(sentence: str) -> list[str]:
    """The sentence's clauses, each with at least three content words (shorter pieces join the one before)."""
    out: list[str] = []
    for piece in _CLAUSE_BREAK.split(sentence):
        if out and len(terms(piece)) < 3:
            out[-1] = f"{out[-1]} {piece}"
        elif len(terms(piece)) >= 3 or not out:
            out.append(piece)
    if len(out) > 1 and len(terms(out[0])) < 3:
        out[1] = f"{out[0]} {out[1]}"
        out.pop(0)
    return out or [sentence]


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


class Guard:
    """Checks each sentence of an answer against the passages it cites; removes what they do not support."""

    def __init__(self, encode: Encode, model: GroundingModel | None = None) -> None:
        self._encode = encode
        self._model = model
        self._cache: dict[str, np.ndarray] = {}

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

    def features(self, sentence: str, passages: Sequence[str], context: str = "", question: str = "") -> Features:
        """The evidence for one sentence from its cited passages' texts (context: titles, authors)."""
        whole = [u.text for p in passages for u in units(p)]
        pieces = pieces_of(whole)
        cited = "\n".join([*passages, context])
        missing = lexical_misses(sentence, cited)
        novel = novel_share(sentence, cited, question)
        parts = clauses(sentence)
        clause_novel = max(novel_share(c, cited, question) for c in parts)
        if not pieces:
            return Features(0.0, 0.0, novel, 0.0, clause_novel, missing)
        windows = _windows(whole)
        heads = self._encode([sentence, *parts]) if len(parts) > 1 else self._encode([sentence])
        similarity = self._evidence_vectors([*pieces, *windows]) @ heads.T  # rows: pieces, windows
        unit = float(similarity[: len(pieces), 0].max())
        window = float(similarity[len(pieces) :, 0].max()) if windows else unit
        clause_unit = float(similarity[: len(pieces), 1:].max(axis=0).min()) if len(parts) > 1 else unit
        return Features(unit, max(unit, window), novel, clause_unit, clause_novel, missing)

    def judge(self, sentence: str, passages: Sequence[str], context: str = "", question: str = "") -> Verdict:
        """Supported or not, with the reason: a lexical miss, or the model's probability."""
        claim = strip_citations(sentence)
        cited = tuple(sorted(cited_numbers(sentence)))
        if asserts_nothing(claim, question):
            return Verdict(sentence, cited, True, "asserts nothing")
        features = self.features(claim, passages, context, question)
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
            bullet = _BULLET.match(line)
            prefix = bullet.group(1) if bullet else ""
            body = line[len(prefix) :]
            if not body.strip():
                lines.append(line)
                continue
            kept: list[str] = []
            for sentence in _sentences(body):
                chosen = [p for n in sorted(cited_numbers(sentence)) for p in by_number.get(n, [])] or list(passages)
                verdict = self.judge(sentence, [p.text for p in chosen], _context(chosen), question)
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
