"""What answering knows of the articles beyond their passages, computed at ingest and stored: their
words with counts (the typo corrector's vocabulary), their names (people, organisations, acronyms,
numbers) and which facets each role's articles hold.

Why here and not in the bot: the bot built all this from every chunk at each process start, ~64 % of a
cold `python -m bot ask` at 3,000 articles. Now each article's part is computed once, at the ingest
that first sees its file (kept in the embedding cache under a key from the file's hash, so unchanged
articles cost nothing), and the version's whole lexicon is merged from those parts and stored under a
key from its manifest; the bot reads it (KnowledgeIndex.stored_lexicon) or, for a version ingested
before this existed, computes it from the chunks with these same functions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.rolenames import find_roles

T = TypeVar("T")

if TYPE_CHECKING:
    from ingest.embedding.cache import CacheReader, EmbeddingCache
    from ingest.store.manifest import DocEntry, VersionInfo

log = logging.getLogger(__name__)

LEXICON_VERSION = "1"
"""Bump when what is stored changes (kb_names, the word pattern): stored lexicons are then keyed anew."""

TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’/-]*")
"""A word as names are read from it (apostrophes, slashes and hyphens inside: "Witt/Kieffer’s")."""
WORD = re.compile(r"[A-Za-z]+")
"""A word as the typo corrector counts it."""
_APOSTROPHES = ("'", "’")
# Where a capital says nothing: what stands between a word and the one before it when the word opens a
# sentence, a line, a bullet or a heading, or a quotation.
_SENTENCE_START = re.compile(r"[.!?:•]\s|\n|[“\"(]\s*$")
NO_AUTHOR = "Unknown author"
"""The ingest's author when an article names none: not a name of the articles."""


def kb_names(texts: Iterable[str]) -> frozenset[str]:
    """The articles' own names, lower-cased: runs of two or more capitalised words ("David Raths",
    "Loyola University Health System"), acronyms of three or more capitals ("SFIA", "EHR"), names
    written with a slash ("Witt/Kieffer") and numbers ("96"). A sentence's first word counts only when
    the next word is capitalised too ("Hillary Ross, J.D. leads"). Role titles are roles, not names.
    Derived from the text, so an admin's new article brings its own names; each text is read on its
    own, so the names of many texts are the union of each one's."""
    names: set[str] = set()
    for text in texts:
        words: list[tuple[str, bool]] = []
        end = -1  # one pass: only the gap since the previous word is read, never the text before it
        for m in TOKEN.finditer(text):
            gap = text[end : m.start()]
            # Most gaps are one space, which never starts a sentence: no regex for them.
            words.append((bare(m.group()), end < 0 or (gap != " " and bool(_SENTENCE_START.search(gap)))))
            end = m.end()
        run: list[str] = []
        for i, (word, starts) in enumerate(words):
            following = words[i + 1][0] if i + 1 < len(words) else ""
            if starts:  # a name never runs across a sentence, line or heading
                if len(run) >= 2:
                    names.add(" ".join(run))
                run = []
            if len(word) > 1 and word[0].isupper() and (not starts or following[:1].isupper()):
                run.append(word)
                if (len(word) >= 3 and word.isupper()) or "/" in word:
                    names.add(word)
                continue
            if len(run) >= 2:
                names.add(" ".join(run))
            run = []
            if word.isdigit():
                names.add(word)
        if len(run) >= 2:
            names.add(" ".join(run))
    return frozenset(n.lower() for n in names if not find_roles(n))


def bare(word: str) -> str:
    """A word without its possessive: "Raths’" and "Witt/Kieffer’s" are the names Raths and Witt/Kieffer.
    String tests, not a regex: it runs on every word of every article."""
    if word[-1:] in _APOSTROPHES:
        return word[:-1]
    if word[-1:] == "s" and word[-2:-1] in _APOSTROPHES:
        return word[:-2]
    return word


def word_counts(texts: Iterable[str]) -> Counter[str]:
    """Each lower-cased word's count, in order of first appearance (ties in the corrector go to the first)."""
    return Counter(w.lower() for text in texts for w in WORD.findall(text))


@dataclass(frozen=True)
class ArticleWords:
    """One article's part of the lexicon: its chunks' word counts (first appearance first) and names,
    its byline (author, publisher), and the facets its chunks carry for each of its roles."""

    counts: dict[str, int]
    names: list[str]
    bylines: list[str]
    role_facets: dict[str, list[str]]

    @classmethod
    def of(cls, texts: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> ArticleWords:
        """From one article's chunks in position order, with their metadata."""
        bylines = {str(m.get(k) or "") for m in metadatas for k in ("author", "publisher")}
        facets: dict[str, set[str]] = {}
        for meta in metadatas:
            for role in meta.get("roles") or []:
                facets.setdefault(str(role), set()).update(str(f) for f in meta.get("facets") or [])
        return cls(
            dict(word_counts(texts)),
            sorted(kb_names(texts)),
            sorted(b for b in bylines if b and b != NO_AUTHOR),
            {r: sorted(f) for r, f in sorted(facets.items())},
        )

    def to_bytes(self) -> bytes:
        return json.dumps([list(self.counts.items()), self.names, self.bylines, self.role_facets]).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> ArticleWords:
        counts, names, bylines, facets = json.loads(blob)
        return cls(dict(counts), names, bylines, facets)


@dataclass(frozen=True)
class VersionWords:
    """A version's lexicon: word counts (first appearance first, in article order then bylines),
    names, and per role the facets its articles' sentences carry (a role whose sentences are untagged is absent)."""

    counts: dict[str, int]
    names: frozenset[str]
    role_facets: dict[str, frozenset[str]]

    def to_bytes(self) -> bytes:
        facets = {r: sorted(f) for r, f in self.role_facets.items()}
        return json.dumps([list(self.counts.items()), sorted(self.names), facets]).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> VersionWords:
        counts, names, facets = json.loads(blob)
        return cls(dict(counts), frozenset(names), {r: frozenset(f) for r, f in facets.items()})


def merge(articles: Iterable[ArticleWords]) -> VersionWords:
    """The version's lexicon from its articles' parts, given in doc_id order (the order of the bot's chunks).

    The bylines are read after every chunk, each on its own line (no run of capitals joins one to the
    next), as one text each, in sorted order."""
    counts: Counter[str] = Counter()
    names: set[str] = set()
    bylines: set[str] = set()
    facets: dict[str, set[str]] = {}
    for article in articles:
        counts.update(article.counts)  # a Counter adds new words in the order given: first appearance kept
        names.update(article.names)
        bylines.update(article.bylines)
        for role, found in article.role_facets.items():
            facets.setdefault(role, set()).update(found)
    lines = sorted(bylines)
    counts.update(word_counts(lines))
    return VersionWords(
        dict(counts), frozenset(names) | kb_names(lines), {r: frozenset(f) for r, f in facets.items() if f}
    )


def from_chunks(texts: Sequence[str], metadatas: Sequence[Mapping[str, Any]]) -> VersionWords:
    """The version's lexicon from all its chunks, in (doc_id, position) order: what the bot computes at
    start for a version whose lexicon was not stored."""
    by_doc: dict[str, tuple[list[str], list[Mapping[str, Any]]]] = {}
    for text, meta in zip(texts, metadatas, strict=True):
        doc_texts, doc_metas = by_doc.setdefault(str(meta.get("doc_id")), ([], []))
        doc_texts.append(text)
        doc_metas.append(meta)
    return merge(ArticleWords.of(t, m) for t, m in by_doc.values())


def article_key(fingerprint: str, file_hash: str) -> str:
    """Where an article's part is kept: its file's hash and the build's fingerprint decide its chunks."""
    return hashlib.sha256(f"lexicon-article{LEXICON_VERSION}\x00{fingerprint}\x00{file_hash}".encode()).hexdigest()


def version_key(fingerprint: str, documents: Mapping[str, DocEntry]) -> str:
    """Where a version's lexicon is kept, from its manifest alone: the build's fingerprint and each
    article's file hash decide every chunk, its metadata and its facets."""
    files = sorted((doc_id, entry.file_hash) for doc_id, entry in documents.items())
    body = json.dumps([LEXICON_VERSION, fingerprint, files])
    return hashlib.sha256(f"lexicon-version\x00{body}".encode()).hexdigest()


def stored_lexicon(reader: CacheReader, info: VersionInfo) -> VersionWords | None:
    """The version's lexicon as its ingest stored it; None when it was not (ingested before lexicons were
    stored, or the cache is gone), and the caller computes it from the chunks (from_chunks)."""
    blob = reader.get_blob(version_key(info.fingerprint, info.documents))
    return VersionWords.from_bytes(blob) if blob is not None else None


Record = tuple[str, str, Mapping[str, Any]]
"""One chunk as the ingest writes it: id, text, metadata."""


def store_parts(
    cache: EmbeddingCache,
    part_keys: Mapping[str, str],
    whole_key: str,
    records: Sequence[Record],
    part_of: Callable[[Sequence[Record]], bytes],
    merge_parts: Callable[[list[bytes]], bytes],
    what: str,
) -> None:
    """Store what a version's readers need, merged from each article's part: a part already kept (the same
    file, the same build: `part_keys`, by doc_id) is read, only the others are computed by `part_of`, from
    their chunks among `records` (the version's records, any order) in position order; the parts go to
    `merge_parts` in doc_id order and the result is stored under `whole_key`. Used for the lexicon
    (ingest.lexicon_merge) and the keyword statistics (ingest.keywords)."""
    found = cache.get_blobs(list(part_keys.values()))
    fresh = computed_parts(part_keys, found, records, part_of)
    if fresh is None:  # neither kept nor among the records: wrong statistics are worse than none
        log.info("no %s stored for this version: an article's part is neither kept nor among its records", what)
        return
    fresh[whole_key] = merge_parts([found.get(part_keys[d]) or fresh[part_keys[d]] for d in sorted(part_keys)])
    cache.put_blobs(fresh.items())


def computed_parts(
    part_keys: Mapping[str, str],
    found: Mapping[str, bytes],
    records: Sequence[Record],
    part_of: Callable[[Sequence[Record]], bytes],
) -> dict[str, bytes] | None:
    """The parts (by key) of the articles in `part_keys` (doc_id: key) that `found` lacks, computed by
    `part_of` from their chunks among `records` in position order; None when one of them has no chunk there."""
    missing = [d for d, key in part_keys.items() if key not in found]
    if not missing:
        return {}
    chunks: dict[str, list[Record]] = {}
    for record in records:
        chunks.setdefault(str(record[2]["doc_id"]), []).append(record)
    if any(d not in chunks for d in missing):
        return None
    return {part_keys[d]: part_of(sorted(chunks[d], key=lambda r: int(r[2]["position"]))) for d in missing}


@dataclass(frozen=True)
class Change:
    """A delta's new version as its readers' stored data see it: `documents` its whole manifest, `records`
    the chunks it writes; what `live` stored is changed by the articles that differ (ingest.keywords_merge,
    ingest.lexicon_merge)."""

    cache: EmbeddingCache
    fingerprint: str
    live: VersionInfo
    documents: Mapping[str, DocEntry]
    records: Sequence[Record]

    def changed(self) -> list[str]:
        """The articles that are new or whose file changed since `live`, in doc_id order."""
        old = self.live.documents
        return sorted(d for d, e in self.documents.items() if d not in old or old[d].file_hash != e.file_hash)

    def live_stored(
        self, key: str, parse: Callable[[bytes], T], damaged: tuple[type[Exception], ...], what: str
    ) -> T | None:
        """What the live version stored under `key`, parsed, if it was built as the new version is (same
        fingerprint); None when it was not stored or is damaged (`damaged`: what `parse` raises then)."""
        if self.live.fingerprint != self.fingerprint:
            return None
        blob = self.cache.get_blobs([key]).get(key)
        if blob is None:
            return None
        try:
            return parse(blob)
        except damaged as exc:
            log.warning("the live version's %s cannot be read (%s); merging every part", what, exc)
            return None


def lexicon_keys(infos: Iterable[VersionInfo]) -> set[str]:
    """The keys the kept versions still need: their lexicons and their articles' parts (for pruning)."""
    keys: set[str] = set()
    for info in infos:
        keys.add(version_key(info.fingerprint, info.documents))
        keys.update(article_key(info.fingerprint, d.file_hash) for d in info.documents.values())
    return keys
