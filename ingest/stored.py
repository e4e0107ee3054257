"""What the ingest stores for readers beside a version (its lexicon, ingest.lexicon; its keyword
statistics, ingest.keywords), so that a bot process reads them instead of building them from every chunk.

Why one module: the pipeline stores both for each new version, backfills both for a version written
before they were stored, and keeps both from pruning; one call each keeps the pipeline out of the detail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from ingest.embedding.cache import EmbeddingCache
from ingest.keywords import article_key as keywords_part_key
from ingest.keywords import keyword_keys, store_keywords
from ingest.keywords import version_key as keywords_key
from ingest.keywords_merge import store_changed_keywords
from ingest.lexicon import Change, Record, lexicon_keys
from ingest.lexicon import article_key as lexicon_part_key
from ingest.lexicon import version_key as lexicon_key
from ingest.lexicon_merge import store_changed_lexicon, store_lexicon, tally_keys
from ingest.store.backend import Backend
from ingest.store.layers import open_layers
from ingest.store.manifest import DocEntry, VersionInfo


def store_for_readers(
    cache: EmbeddingCache,
    fingerprint: str,
    documents: Mapping[str, DocEntry],
    records: Sequence[Record],
    shared: Callable[[list[str]], Sequence[Record]] | None = None,
    live: VersionInfo | None = None,
) -> None:
    """Store a new version's lexicon and keyword statistics; `documents` is its whole manifest, `records`
    the chunks it writes. A delta's are `live`'s stored ones with its changed articles swapped
    (ingest.keywords_merge, ingest.lexicon_merge): merging all 3,000 articles' parts again cost ~0.7 s of
    a one-article ingest. What is merged from every part instead keeps a delta's unchanged articles'
    stored parts; one whose part is gone from the cache is read through `shared` (the live version's
    records of the articles listed), since a version without a lexicon makes every bot start build it."""
    change = Change(cache, fingerprint, live, documents, records) if live is not None else None
    keywords = change is not None and store_changed_keywords(change)
    lexicon = change is not None and store_changed_lexicon(change)
    if keywords and lexicon:
        return
    written = {str(r[2]["doc_id"]) for r in records}
    others = {d: e for d, e in documents.items() if d not in written}
    if shared is not None and others:
        wanted = {} if lexicon else {lexicon_part_key(fingerprint, e.file_hash): d for d, e in others.items()}
        if not keywords:
            wanted |= {keywords_part_key(fingerprint, d, e.file_hash): d for d, e in others.items()}
        kept = cache.stored_keys(list(wanted))
        missing = sorted({d for key, d in wanted.items() if key not in kept})
        if missing:
            records = [*records, *shared(missing)]
    if not lexicon:
        store_lexicon(cache, fingerprint, documents, records)
    if not keywords:
        store_keywords(cache, fingerprint, documents, records)


def backfill_for_readers(cache: EmbeddingCache, backend: Backend, live: VersionInfo) -> None:
    """Store what the live version lacks of the two (ingested before they were stored), from its records."""
    lexicon, keywords = lexicon_key(live.fingerprint, live.documents), keywords_key(live.fingerprint, live.documents)
    have = cache.stored_keys([lexicon, keywords])
    if lexicon in have and keywords in have:
        return
    got = open_layers(backend, live).get_all()  # base and delta alike: every record the version shows
    records = list(zip(got["ids"], got["documents"], got["metadatas"], strict=True))
    if lexicon not in have:
        store_lexicon(cache, live.fingerprint, live.documents, records)
    if keywords not in have:
        store_keywords(cache, live.fingerprint, live.documents, records)


def reader_keys(infos: Iterable[VersionInfo]) -> set[str]:
    """The keys the kept versions still need (for pruning the cache): both, with their articles' parts, and
    the lexicon's tally (a delta starts from the live version's)."""
    infos = list(infos)
    return lexicon_keys(infos) | keyword_keys(infos) | tally_keys(infos)
