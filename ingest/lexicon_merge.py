"""A new version's lexicon from the live version's tally, with only its changed articles' parts taken out
and put in: what a delta ingest stores instead of merging every article's part again.

Why: the full merge (ingest.lexicon.merge) reads and json-parses all 3,000 articles' parts and adds up
their word counts in Python, ~0.3 s of a one-article ingest. The lexicon alone cannot be edited (a name
or facet may come from several articles; a word's place in the corrector's tie order is where it first
appears), so each version's tally is stored beside it: per word its count over the articles, how many
articles hold it and where it first appears (article, place in its counts); per name, byline and role
facet how many articles hold it. The lexicon made from a tally is the full merge's (same counts in the
same order, names, facets; tests/test_stored_delta.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ingest.lexicon import (
    LEXICON_VERSION,
    ArticleWords,
    Change,
    Record,
    VersionWords,
    computed_parts,
    kb_names,
    store_parts,
    word_counts,
)
from ingest.lexicon import article_key as part_key
from ingest.lexicon import version_key as lexicon_key

if TYPE_CHECKING:
    from ingest.embedding.cache import EmbeddingCache
    from ingest.store.manifest import DocEntry, VersionInfo


SEARCH_BATCH = 64
"""Unchanged articles' parts read at a time while looking for where a word now first appears."""


@dataclass
class Word:
    """One word of the articles: its count over them, how many hold it, and where it first appears."""

    count: int
    holders: int
    doc_id: str | None  # None while a change looks for it (ingest.lexicon_merge._refirst)
    place: int


@dataclass
class Tally:
    """What a version's lexicon is made from, with what a change needs to take an article out."""

    words: dict[str, Word]
    names: Counter[str]
    bylines: Counter[str]
    facets: Counter[tuple[str, str]]

    @classmethod
    def of(cls, articles: Iterable[tuple[str, ArticleWords]]) -> Tally:
        tally = cls({}, Counter(), Counter(), Counter())
        for doc_id, article in articles:
            tally.add(doc_id, article)
        return tally

    def add(self, doc_id: str, article: ArticleWords) -> None:
        """Count an article in (its first appearances win only if earlier than what is known)."""
        for place, (word, count) in enumerate(article.counts.items()):
            found = self.words.get(word)
            if found is None:
                self.words[word] = Word(count, 1, doc_id, place)
                continue
            found.count += count
            found.holders += 1
            if found.doc_id is None or (doc_id, place) < (found.doc_id, found.place):
                found.doc_id, found.place = doc_id, place
        self.names.update(article.names)
        self.bylines.update(article.bylines)
        self.facets.update((role, f) for role, found_facets in article.role_facets.items() for f in found_facets)

    def remove(self, article: ArticleWords) -> bool:
        """Count an article out; a word it held first keeps that place (the caller finds the new one).
        False when the tally lacks one of its words: it is not the tally of a version holding it."""
        if not all(w in self.words for w in article.counts):
            return False
        for word, count in article.counts.items():
            found = self.words[word]
            found.count -= count
            found.holders -= 1
        self.names.subtract(article.names)
        self.bylines.subtract(article.bylines)
        self.facets.subtract((role, f) for role, found_facets in article.role_facets.items() for f in found_facets)
        return True

    def ordered(self) -> list[tuple[str, Word]]:
        """The words the articles hold, in order of first appearance (article, then place in its counts)."""
        return sorted((w for w in self.words.items() if w[1].holders), key=lambda w: (w[1].doc_id or "", w[1].place))

    def lexicon(self) -> VersionWords:
        """The version's lexicon, as ingest.lexicon.merge makes it from the same articles' parts."""
        counts = Counter({word: found.count for word, found in self.ordered()})
        lines = sorted(b for b, n in self.bylines.items() if n > 0)
        counts.update(word_counts(lines))
        facets: dict[str, set[str]] = {}
        for (role, facet), n in sorted(self.facets.items()):
            if n > 0:
                facets.setdefault(role, set()).add(facet)
        names = frozenset(n for n, c in self.names.items() if c > 0) | kb_names(lines)
        return VersionWords(dict(counts), names, {r: frozenset(f) for r, f in facets.items()})

    def to_bytes(self) -> bytes:
        """In a canonical order: the same tally, however it was reached, is the same bytes."""
        words = [[w, f.count, f.holders, f.doc_id, f.place] for w, f in self.ordered()]
        facets = sorted([r, f, n] for (r, f), n in self.facets.items() if n > 0)
        return json.dumps([words, _positive(self.names), _positive(self.bylines), facets]).encode()

    @classmethod
    def from_bytes(cls, blob: bytes) -> Tally:
        words, names, bylines, facets = json.loads(blob)
        return cls(
            {w: Word(c, h, d, p) for w, c, h, d, p in words},
            Counter(dict(names)),
            Counter(dict(bylines)),
            Counter({(r, f): n for r, f, n in facets}),
        )


def _positive(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted((k, n) for k, n in counts.items() if n > 0)


def tally_key(fingerprint: str, documents: Mapping[str, DocEntry]) -> str:
    """Where a version's tally is kept, from its manifest alone (as ingest.lexicon.version_key)."""
    files = sorted((doc_id, entry.file_hash) for doc_id, entry in documents.items())
    body = json.dumps([LEXICON_VERSION, fingerprint, files])
    return hashlib.sha256(f"lexicon-tally\x00{body}".encode()).hexdigest()


def tally_keys(infos: Iterable[VersionInfo]) -> set[str]:
    """The tallies the kept versions still need (for pruning)."""
    return {tally_key(info.fingerprint, info.documents) for info in infos}


def _part(records: Sequence[Record]) -> bytes:
    return ArticleWords.of([t for _, t, _ in records], [m for _, _, m in records]).to_bytes()


def store_lexicon(
    cache: EmbeddingCache, fingerprint: str, documents: Mapping[str, DocEntry], records: Sequence[Record]
) -> None:
    """Store a version's lexicon merged from every article's part (ingest.lexicon.store_parts), and its
    tally, which the next delta starts from."""
    order = sorted(documents)
    tallied: list[Tally] = []

    def merge_parts(parts: list[bytes]) -> bytes:
        tallied.append(Tally.of(zip(order, map(ArticleWords.from_bytes, parts), strict=True)))
        return tallied[0].lexicon().to_bytes()

    store_parts(
        cache,
        {doc_id: part_key(fingerprint, entry.file_hash) for doc_id, entry in documents.items()},
        lexicon_key(fingerprint, documents),
        records,
        _part,
        merge_parts,
        "lexicon",
    )
    if tallied:
        cache.put_blobs([(tally_key(fingerprint, documents), tallied[0].to_bytes())])


def store_changed_lexicon(change: Change) -> bool:
    """Store a new version's lexicon and tally as `live`'s tally with the changed articles taken out and
    put in; False when it cannot be (another build, no tally stored for `live`, a part missing): the
    caller then merges every part (store_lexicon)."""
    cache, fingerprint, live, documents = change.cache, change.fingerprint, change.live, change.documents
    damaged = (ValueError, TypeError)  # json or its shape on damaged bytes
    tally = change.live_stored(tally_key(fingerprint, live.documents), Tally.from_bytes, damaged, "lexicon tally")
    if tally is None:
        return False
    old = live.documents
    changed = change.changed()
    dropped = sorted(d for d in old if d not in documents or d in changed)
    old_keys = {d: part_key(fingerprint, old[d].file_hash) for d in dropped}
    new_keys = {d: part_key(fingerprint, documents[d].file_hash) for d in changed}
    found = cache.get_blobs([*old_keys.values(), *new_keys.values()])
    if not set(old_keys.values()) <= set(found):
        return False
    computed = computed_parts(new_keys, found, change.records, _part)
    if computed is None:
        return False
    if not all(tally.remove(ArticleWords.from_bytes(found[old_keys[d]])) for d in dropped):
        return False
    fresh = {d: ArticleWords.from_bytes(found.get(new_keys[d]) or computed[new_keys[d]]) for d in changed}
    gone = set(dropped)
    if not _refirst(cache, fingerprint, tally, gone, fresh, documents):
        return False
    for doc_id in changed:
        tally.add(doc_id, fresh[doc_id])
    computed[lexicon_key(fingerprint, documents)] = tally.lexicon().to_bytes()
    computed[tally_key(fingerprint, documents)] = tally.to_bytes()
    cache.put_blobs(computed.items())
    return True


def _refirst(
    cache: EmbeddingCache,
    fingerprint: str,
    tally: Tally,
    gone: set[str],
    fresh: Mapping[str, ArticleWords],
    documents: Mapping[str, DocEntry],
) -> bool:
    """Forget where the words first appeared in a dropped article, and find where each that an unchanged
    article still holds now first appears among them: the unchanged articles after the dropped one, in
    doc_id order, until each is found (Tally.add then counts the fresh articles in, keeping the earlier).
    Needless when a fresh article at or before the dropped one holds it: it comes before every unchanged
    holder. False when a part is missing."""
    wanted: dict[str, str] = {}  # word -> the doc_id it was first in: every unchanged holder comes after it
    for word, found in tally.words.items():
        if found.doc_id is None or found.doc_id not in gone:
            continue
        was, found.doc_id, found.place = found.doc_id, None, 0
        if found.holders and not any(d <= was and word in a.counts for d, a in fresh.items()):
            wanted[word] = was
    if not wanted:
        return True
    start = min(wanted.values())
    unchanged = [d for d in sorted(documents) if d > start and d not in fresh]
    for at in range(0, len(unchanged), SEARCH_BATCH):
        batch = unchanged[at : at + SEARCH_BATCH]
        keys = {d: part_key(fingerprint, documents[d].file_hash) for d in batch}
        parts = cache.get_blobs(list(keys.values()))
        for doc_id in batch:
            blob = parts.get(keys[doc_id])
            if blob is None:
                return False
            counts = ArticleWords.from_bytes(blob).counts
            if wanted.keys().isdisjoint(counts):
                continue
            for place, word in enumerate(counts):
                if word in wanted:
                    found = tally.words[word]
                    found.doc_id, found.place = doc_id, place
                    del wanted[word]
            if not wanted:
                return True
    return not wanted
