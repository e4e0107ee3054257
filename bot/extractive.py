"""The default answerer: the knowledge base's own sentences, chosen for the question, with citations.

No LLM, so nothing is invented: the only words that are ours are the lead's connecting words and the
footer. Sentences are scored against the question with the same embedding model as the index (their
vectors are cached, so a warm answer costs little more than the search), plus a small bonus for
shared rare words. The same input always gives the same output.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.retrieval import terms
from bot.roles import TITLES
from bot.types import Passage, Point, Source
from ingest.chunking import split_sentences
from ingest.factory import Embedder

_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_CLAUSE_END = re.compile(r"[;,:—–]\s")
MAX_POINT_CHARS = 300
LEXICAL_WEIGHT = 0.3
_ROLE_WORDS = re.compile(
    r"\b(?:C[A-Z]{1,3}Os?|" + "|".join(re.escape(t) for ts in TITLES.values() for t in ts) + r")\b", re.IGNORECASE
)


def units(text: str) -> list[tuple[str, str]]:
    """A passage's sentences and list items in order, each with its context (a list item's intro line)."""
    out: list[tuple[str, str]] = []
    for block in re.split(r"\n\s*\n", text):
        prose: list[str] = []
        intro = ""
        for line in [*block.split("\n"), "- "]:
            if _LIST_ITEM.match(line):
                sentences = split_sentences(" ".join(prose))
                out.extend((s, "") for s in sentences)
                if sentences:
                    intro = sentences[-1] if sentences[-1].endswith(":") else ""
                prose = []
                out.append((_LIST_ITEM.sub("", line).strip(), intro))
            else:
                prose.append(line)
    return [(u, c) for u, c in out if u]


def neutral(text: str) -> str:
    """Role names replaced by a neutral word, so sentence scoring weighs what is said about a role,
    not whether the role's name appears (retrieval has already filtered by role)."""
    return _ROLE_WORDS.sub("executive", text)


def trim(sentence: str, limit: int = MAX_POINT_CHARS) -> str:
    """Shorten a long sentence at a clause boundary; the only change we ever make to an author's words."""
    if len(sentence) <= limit:
        return sentence
    cut = max((m.start() for m in _CLAUSE_END.finditer(sentence, 0, limit)), default=-1)
    if cut < limit // 2:
        cut = sentence.rfind(" ", 0, limit)
    return sentence[:cut].rstrip(" ,;:—–") + "…"


class SentenceVectors:
    """Embeddings of quoted sentences, computed once and kept (LRU) so repeated answers are cheap."""

    def __init__(self, embedder: Embedder, capacity: int = 50_000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sentences: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha1(s.encode(), usedforsecurity=False).hexdigest() for s in sentences]
        with self._lock:
            missing = list(dict.fromkeys(s for s, k in zip(sentences, keys, strict=True) if k not in self._cache))
        if missing:
            fresh = np.asarray(self.embedder.embed_documents(missing), dtype=np.float32)
            with self._lock:
                for sentence, vector in zip(missing, fresh, strict=True):
                    self._cache[hashlib.sha1(sentence.encode(), usedforsecurity=False).hexdigest()] = vector
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        with self._lock:
            for key in keys:
                self._cache.move_to_end(key)
            return np.stack([self._cache[k] for k in keys]) if keys else np.zeros((0, 1), dtype=np.float32)


@dataclass(frozen=True)
class Candidate:
    text: str
    passage: Passage
    score: float
    similarity: float
    vector: np.ndarray


class SentencePicker:
    """Ranks the sentences of retrieved passages for a question and picks distinct ones."""

    def __init__(self, vectors: SentenceVectors, idf: Callable[[str], float] = lambda _: 1.0) -> None:
        self.vectors = vectors
        self.idf = idf

    def candidates(
        self, question: str, passages: Sequence[Passage], neutral_vector: Sequence[float]
    ) -> list[Candidate]:
        """Every quotable sentence of the passages, best first; `neutral_vector` is the embedding of
        neutral(question), which the caller computes together with the retrieval vector."""
        pieces = [(u, c, p) for p in passages for u, c in units(p.text) if not u.rstrip().endswith(":")]
        if not pieces:
            return []
        query = np.asarray(neutral_vector, dtype=np.float32)
        # A list item is embedded under its section heading ("key qualities: ..."), so it matches
        # questions about what the list is about, which the item's own words rarely say.
        vecs = self.vectors.get([neutral(f"{p.headings}: {u}" if c and p.headings else u) for u, c, p in pieces])
        sims = vecs @ query
        # Shared words count by rarity: "framework" or "day" says more than "health" or "system".
        weights = {t: self.idf(t) for t in set(terms(neutral(question))) - {"executive"}}
        total = sum(weights.values()) or 1.0
        out = []
        for (text, _, passage), sim, vec in zip(pieces, sims, vecs, strict=True):
            words = set(terms(text))
            overlap = sum(w for t, w in weights.items() if t in words) / total
            out.append(Candidate(text, passage, float(sim) + LEXICAL_WEIGHT * overlap, float(sim), vec))
        # sorted() is stable: equal scores keep passage rank, then position in the passage.
        return sorted(out, key=lambda c: -c.score)

    def pick(
        self, ranked: Sequence[Candidate], limit: int, minimum: int, exclude: Sequence[np.ndarray] = ()
    ) -> list[Candidate]:
        """Best first, each distinct from those already chosen; weak ones only to reach `minimum`."""
        chosen: list[Candidate] = []
        taken = list(exclude)
        best = ranked[0].score if ranked else 0.0
        for cand in ranked:
            if len(chosen) >= limit:
                break
            if any(float(cand.vector @ v) > 0.9 for v in taken):
                continue
            if cand.score < best * 0.6:
                # Only to reach the minimum, and only from an article already cited: a weak point
                # from an unrelated article would mislead more than it helps.
                if len(chosen) >= minimum:
                    break
                if {c.passage.doc_id for c in chosen} and cand.passage.doc_id not in {c.passage.doc_id for c in chosen}:
                    continue
            chosen.append(cand)
            taken.append(cand.vector)
        return chosen


def number_sources(chosen: Sequence[Candidate]) -> tuple[list[Point], list[Source]]:
    """Number articles by first appearance, so [1] is always the most relevant one cited."""
    numbers: dict[str, int] = {}
    sources: list[Source] = []
    points: list[Point] = []
    for cand in chosen:
        src = cand.passage.source
        if src.path not in numbers:
            numbers[src.path] = len(numbers) + 1
            sources.append(Source(numbers[src.path], src.title, src.author, src.publisher, src.path, src.url))
        points.append(Point(trim(cand.text), numbers[src.path]))
    return points, sources


def lead_line(sources: Sequence[Source], roles: Sequence[str]) -> str:
    """Connecting words only: who says it and about which role."""
    authors = list(dict.fromkeys(s.author for s in sources))
    who = " and ".join(authors) if len(authors) <= 2 else ", ".join(authors[:-1]) + " and " + authors[-1]
    verb = "writes" if len(authors) == 1 else "write"
    topic = " and ".join(f"the {r} role" for r in roles) if roles else "this"
    return f"Here is what {who} {verb} about {topic}:"


def render(lead: str, points: Sequence[Point], sources: Sequence[Source]) -> str:
    lines = [lead, *[f"• {p.text} [{p.source}]" for p in points], "", "Sources:"]
    lines += [f"[{s.n}] {s.label()}" for s in sources]
    return "\n".join(lines)


def fit(lead: str, points: list[Point], sources: list[Source], max_chars: int, minimum: int) -> str:
    """Drop the weakest points (never below `minimum`) until the answer fits `max_chars`."""
    while True:
        used = {p.source for p in points}
        kept = [s for s in sources if s.n in used]
        text = render(lead, points, kept)
        if len(text) <= max_chars or len(points) <= minimum:
            sources[:] = kept
            return text
        points.pop()
