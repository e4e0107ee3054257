"""BM25 keyword statistics of a version (terms, idf, postings, each chunk's place and roles), computed at
ingest and stored, so that a bot process reads them instead of tokenising every chunk at start.

Why here and not in the bot: building them from every chunk was ~18 % of a cold `python -m bot ask` at
3,000 articles, and needed every chunk's text read from Chroma first (~25 % more). Each article's part
(its chunks' term counts) is computed once, at the ingest that first sees its file, and kept under a key
from the file's hash; the version's statistics are merged from those parts and stored under a key from
its manifest, beside the lexicon (ingest.lexicon), in the embedding cache. A version ingested before
they were stored is still served: the bot computes them from its chunks with these same functions.

The scores are rank_bm25's BM25Okapi scores bit for bit (same statistics, same float operations in the
same order; tests/test_speed.py), kept as postings: the chunks that hold a term, with its frequencies.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ingest.lexicon import Record, store_parts

if TYPE_CHECKING:
    from ingest.embedding.cache import CacheReader, EmbeddingCache
    from ingest.store.manifest import DocEntry, VersionInfo

log = logging.getLogger(__name__)

KEYWORDS_VERSION = "2"
"""Bump when what is stored changes (terms(), the statistics): stored statistics are then keyed anew."""

BM25_K1, BM25_B, BM25_EPSILON = 1.5, 0.75, 0.25
"""rank_bm25's BM25Okapi defaults, which the scores were calibrated with."""

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_STOPWORD_TEXT = """
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves what's whats tell please give me us should
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Words BM25 and sentence scoring ignore."""


def _fold(word: str) -> str:
    """One word as a term: '' for a stopword, else without a possessive ("the editor's name" asks of the
    article's "editor") and with the light plural fold."""
    if word.endswith("'s"):
        word = word[:-2]
    if word in STOPWORDS:
        return ""
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


_FOLDED: dict[str, str] = {}
"""word -> term, memoised: the vocabulary is small and terms() runs over every chunk of an article."""


def terms(text: str) -> list[str]:
    """Lower-cased content words with a light plural fold, shared by BM25 and sentence scoring."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    found = [_FOLDED.get(word) for word in words]
    if None in found:  # words not seen before: fold them once
        for i, word in enumerate(words):
            if found[i] is None:
                found[i] = _fold(word)
                if len(_FOLDED) < 500_000:  # bounded: arbitrary user text cannot grow it without limit
                    _FOLDED[word] = found[i] or ""
    return [term for term in found if term]


def chunk_terms(text: str, metadata: Mapping[str, Any]) -> list[str]:
    """What BM25 indexes of a chunk: its text and its headings."""
    return terms(text + " " + str(metadata.get("headings", "")))


def article_part(records: Sequence[Record]) -> bytes:
    """One article's part, from its chunks in position order: per chunk its id, doc_id, position, roles,
    length in terms and term counts (first appearance first: the merged vocabulary keeps rank_bm25's order)."""
    rows = []
    for chunk_id, text, meta in records:
        found = chunk_terms(text, meta)
        rows.append(
            [
                chunk_id,
                str(meta["doc_id"]),
                int(meta.get("position", 0)),
                [str(r) for r in meta.get("roles") or []],
                len(found),
                list(Counter(found).items()),
            ]
        )
    return json.dumps(rows).encode()


def bm25_idf(size: int, frequencies: Sequence[int]) -> np.ndarray:
    """rank_bm25's idf of each term from its document frequency, terms in first-appearance order: idf_sum
    adds them in that order and sets the epsilon floor, so one function serves the full merge and the
    incremental one (ingest.keywords_merge) and their floats cannot differ."""
    idf: list[float] = []
    idf_sum = 0.0
    negative = []
    for i, df in enumerate(frequencies):
        value = math.log(size - df + 0.5) - math.log(df + 0.5)
        idf.append(value)
        idf_sum += value
        if value < 0:
            negative.append(i)
    eps = BM25_EPSILON * (idf_sum / len(idf)) if idf else 0.0
    for i in negative:
        idf[i] = eps
    return np.array(idf, dtype=np.float64)


class KeywordStats:
    """One version's BM25 statistics over its chunks in (doc_id, position) order, and each chunk's id,
    place and roles: what keyword search, role-filtered dense search and a chunk's neighbour need."""

    def __init__(
        self,
        ids: list[str],
        places: list[tuple[str, int]],
        roles: list[list[str]],
        vocabulary: list[str],
        idf: np.ndarray,
        offsets: np.ndarray,
        rows: np.ndarray,
        freqs: np.ndarray,
        doc_len: np.ndarray,
    ) -> None:
        self.ids = ids
        self.places = places
        self.roles = roles
        self.vocabulary = vocabulary
        self._idf_values = idf
        self.idf: dict[str, float] = dict(zip(vocabulary, idf.tolist(), strict=True))
        self.max_idf = max(self.idf.values(), default=1.0)
        self._term_index = {t: i for i, t in enumerate(vocabulary)}
        self._offsets, self._rows, self._freqs, self._doc_len = offsets, rows, freqs, doc_len
        size = len(ids)
        avgdl = int(doc_len.sum()) / size if size else 0
        self._norm = BM25_K1 * (1 - BM25_B + BM25_B * doc_len / avgdl) if avgdl else np.ones(size)
        self._role_masks: dict[str, np.ndarray] = {}
        self._role_ids: dict[tuple[str, ...], frozenset[str]] = {}
        self._row_of: dict[tuple[str, int], int] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The postings (offsets by term, rows, freqs) and each chunk's length: what keywords_merge edits."""
        return self._offsets, self._rows, self._freqs, self._doc_len

    @classmethod
    def merge(cls, parts: Iterable[bytes]) -> KeywordStats:
        """The version's statistics from its articles' parts, given in doc_id order.

        rank_bm25's BM25Okapi statistics (same idf with its epsilon floor, same k1 and b, same float
        operations in the same order), counted as postings: its pure-Python counting takes seconds at
        21,000 chunks and keeps a dict per chunk."""
        ids: list[str] = []
        places: list[tuple[str, int]] = []
        roles: list[list[str]] = []
        lengths: list[int] = []
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for part in parts:
            for chunk_id, doc_id, position, chunk_roles, length, counts in json.loads(part):
                i = len(ids)
                ids.append(chunk_id)
                places.append((doc_id, position))
                roles.append(chunk_roles)
                lengths.append(length)
                for term, tf in counts:
                    posting = postings.get(term)
                    if posting is None:
                        postings[term] = ([i], [tf])
                    else:
                        posting[0].append(i)
                        posting[1].append(tf)
        vocabulary = list(postings)
        offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(postings[t][0]) for t in vocabulary])
        # int32: half the stored bytes, and the same scores (each converts exactly to the float64 they meet).
        all_rows = np.fromiter((r for t in vocabulary for r in postings[t][0]), dtype=np.int32, count=int(offsets[-1]))
        all_freqs = np.fromiter((f for t in vocabulary for f in postings[t][1]), dtype=np.int32, count=int(offsets[-1]))
        return cls(
            ids,
            places,
            roles,
            vocabulary,
            bm25_idf(len(ids), [len(postings[t][0]) for t in vocabulary]),
            offsets,
            all_rows,
            all_freqs,
            np.array(lengths, dtype=np.int64),
        )

    @classmethod
    def from_chunks(cls, records: Sequence[Record]) -> KeywordStats:
        """From every chunk of a version, any order: what the bot computes for a version whose statistics
        were not stored."""
        by_doc: dict[str, list[Record]] = {}
        for record in records:
            by_doc.setdefault(str(record[2]["doc_id"]), []).append(record)
        return cls.merge(
            article_part(sorted(by_doc[d], key=lambda r: int(r[2].get("position", 0)))) for d in sorted(by_doc)
        )

    def to_bytes(self) -> bytes:
        header = json.dumps([self.ids, self.places, self.roles, self.vocabulary]).encode()
        out = io.BytesIO()
        np.savez(
            out,
            header=np.frombuffer(header, dtype=np.uint8),
            idf=self._idf_values,
            offsets=self._offsets,
            rows=self._rows,
            freqs=self._freqs,
            doc_len=self._doc_len,
        )
        return out.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes) -> KeywordStats:
        with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
            ids, places, roles, vocabulary = json.loads(arrays["header"].tobytes())
            return cls(
                ids,
                [(str(d), int(p)) for d, p in places],
                roles,
                vocabulary,
                arrays["idf"],
                arrays["offsets"],
                arrays["rows"],
                arrays["freqs"],
                arrays["doc_len"],
            )

    def scores(self, query_terms: Sequence[str]) -> np.ndarray:
        """rank_bm25's get_scores, from the postings."""
        score = np.zeros(len(self.ids))
        for term in query_terms:
            t = self._term_index.get(term)
            if t is None:
                continue
            idf = self.idf[term]
            if not idf:
                continue
            start, end = int(self._offsets[t]), int(self._offsets[t + 1])
            rows, tf = self._rows[start:end], self._freqs[start:end]
            score[rows] += idf * (tf * (BM25_K1 + 1) / (tf + self._norm[rows]))
        return score

    def role_mask(self, role: str) -> np.ndarray | None:
        """Which chunks are of articles about `role`; None when none is."""
        if not self._role_masks:
            for i, chunk_roles in enumerate(self.roles):
                for r in chunk_roles:
                    self._role_masks.setdefault(r, np.zeros(len(self.ids), dtype=bool))[i] = True
        return self._role_masks.get(role)

    def role_ids(self, roles: Iterable[str]) -> frozenset[str]:
        """The ids of the chunks of articles about any of `roles`, kept per set of roles: built for each
        role-filtered search, this set of every matching id cost time in step with the corpus per question."""
        key = tuple(sorted(set(roles)))
        if key not in self._role_ids:
            masks = [m for m in map(self.role_mask, key) if m is not None]
            self._role_ids[key] = frozenset(self.ids[int(i)] for m in masks for i in np.flatnonzero(m))
        return self._role_ids[key]

    def row_at(self, doc_id: str, position: int) -> int | None:
        """The row of the chunk at `position` in its article (indexed on first use)."""
        if self._row_of is None:
            self._row_of = {place: i for i, place in enumerate(self.places)}
        return self._row_of.get((doc_id, position))


def article_key(fingerprint: str, doc_id: str, file_hash: str) -> str:
    """Where an article's part is kept: its file's hash and the build's fingerprint decide its chunks, and
    its doc_id their ids (the same file under two names is two articles)."""
    body = json.dumps([KEYWORDS_VERSION, fingerprint, doc_id, file_hash])
    return hashlib.sha256(f"keywords-article\x00{body}".encode()).hexdigest()


def version_key(fingerprint: str, documents: Mapping[str, DocEntry]) -> str:
    """Where a version's statistics are kept, from its manifest alone (as ingest.lexicon.version_key)."""
    files = sorted((doc_id, entry.file_hash) for doc_id, entry in documents.items())
    body = json.dumps([KEYWORDS_VERSION, fingerprint, files])
    return hashlib.sha256(f"keywords-version\x00{body}".encode()).hexdigest()


def stored_keywords(reader: CacheReader, info: VersionInfo) -> KeywordStats | None:
    """The version's statistics as its ingest stored them; None when they were not, or cannot be read (the
    caller computes them: a damaged cache row costs a slower start, never an answer)."""
    blob = reader.get_blob(version_key(info.fingerprint, info.documents))
    if blob is None:
        return None
    try:
        return KeywordStats.from_bytes(blob)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:  # np.load / json on damaged bytes
        log.warning("the stored keyword statistics of %s cannot be read (%s); computing them", info.name, exc)
        return None


def store_keywords(
    cache: EmbeddingCache, fingerprint: str, documents: Mapping[str, DocEntry], records: Sequence[Record]
) -> None:
    """Store a new version's statistics, merged from each article's part (ingest.lexicon.store_parts)."""
    store_parts(
        cache,
        {doc_id: article_key(fingerprint, doc_id, entry.file_hash) for doc_id, entry in documents.items()},
        version_key(fingerprint, documents),
        records,
        article_part,
        lambda parts: KeywordStats.merge(parts).to_bytes(),
        "keyword statistics",
    )


def keyword_keys(infos: Iterable[VersionInfo]) -> set[str]:
    """The keys the kept versions still need: their statistics and their articles' parts (for pruning)."""
    keys: set[str] = set()
    for info in infos:
        keys.add(version_key(info.fingerprint, info.documents))
        keys.update(article_key(info.fingerprint, doc_id, d.file_hash) for doc_id, d in info.documents.items())
    return keys
