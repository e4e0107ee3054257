"""A new version's keyword statistics from the live version's, with only its changed articles' rows
replaced: what a delta ingest stores instead of merging every article's part again.

Why: the full merge (KeywordStats.merge) json-parses all 3,000 articles' parts and loops in Python over
every posting, ~0.35 s of a one-article ingest (1.5 s under cProfile); here the live version's stored
statistics are edited with numpy. The result is the full merge's exactly (tests/test_stored_delta.py
compares the bytes): rows stay in doc_id order, and the vocabulary in first-appearance order, which
rank_bm25's idf_sum (hence its epsilon floor) is summed in. A term's place in that order is its first
chunk, then its place in that chunk's term counts; for a chunk kept from the live version the live
vocabulary already orders the terms that appeared first there, unless a term moved in from a dropped
chunk: only then is that chunk's article part read for its order.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ingest.keywords import KeywordStats, article_key, article_part, bm25_idf, version_key
from ingest.lexicon import Change, computed_parts

PartReader = Callable[[list[str]], Mapping[str, bytes] | None]
"""Reads unchanged articles' parts by doc_id (for the order of terms that move); None if any is missing."""


def store_changed_keywords(change: Change) -> bool:
    """Store the statistics of a new version (`documents`, its manifest; `records`, the chunks it writes)
    as `live`'s stored ones changed; False when they cannot be (another build, none stored for `live`,
    a part missing): the caller then merges every part (ingest.keywords.store_keywords)."""
    cache, fingerprint, live, documents = change.cache, change.fingerprint, change.live, change.documents
    damaged = (ValueError, KeyError, OSError, zipfile.BadZipFile)  # np.load / json on damaged bytes
    key = version_key(fingerprint, live.documents)
    previous = change.live_stored(key, KeywordStats.from_bytes, damaged, "stored keyword statistics")
    if previous is None:
        return False
    keys = {d: article_key(fingerprint, d, documents[d].file_hash) for d in change.changed()}
    found = cache.get_blobs(list(keys.values()))
    computed = computed_parts(keys, found, change.records, article_part)
    if computed is None:  # a changed article's part neither kept nor among the records
        return False
    fresh = {d: found.get(key) or computed[key] for d, key in keys.items()}

    def read_parts(docs: list[str]) -> dict[str, bytes] | None:
        wanted = {d: article_key(fingerprint, d, documents[d].file_hash) for d in docs}
        got = cache.get_blobs(list(wanted.values()))
        return {d: got[k] for d, k in wanted.items()} if set(wanted.values()) <= set(got) else None

    stats = apply_change(previous, sorted(documents), fresh, read_parts)
    if stats is None:
        return False
    computed[version_key(fingerprint, documents)] = stats.to_bytes()
    cache.put_blobs(computed.items())
    return True


def apply_change(
    previous: KeywordStats, order: Sequence[str], fresh: Mapping[str, bytes], read_parts: PartReader
) -> KeywordStats | None:
    """The statistics of the version whose articles are `order` (doc_id order): those in `fresh` (doc_id:
    part) new or changed, every other one unchanged since `previous`. None when a part it needs is missing
    (the caller merges in full)."""
    segments = _segments(previous.places)
    old_offsets, old_postings, old_freqs, doc_len = previous.arrays()
    if any(d not in fresh and d not in segments for d in order):
        return None  # an article neither fresh nor in the previous version: not a change of it
    ids: list[str] = []
    places: list[tuple[str, int]] = []
    roles: list[list[str]] = []
    lengths: list[np.ndarray] = []
    old_to_new = np.full(len(previous.ids), -1, dtype=np.int64)
    index = {t: i for i, t in enumerate(previous.vocabulary)}
    new_terms: list[int] = []
    new_rows: list[int] = []
    new_freqs: list[int] = []
    new_within: list[int] = []
    for kept_from, kept_to, doc_id in _runs(order, fresh, segments):
        row = len(ids)
        if doc_id is None:  # a run of unchanged articles whose rows were adjacent: one slice each
            old_to_new[kept_from:kept_to] = np.arange(row, row + kept_to - kept_from)
            ids += previous.ids[kept_from:kept_to]
            places += previous.places[kept_from:kept_to]
            roles += previous.roles[kept_from:kept_to]
            lengths.append(doc_len[kept_from:kept_to])
            continue
        part = fresh[doc_id]
        chunks = json.loads(part)
        for chunk_id, chunk_doc, position, chunk_roles, _, counts in chunks:
            ids.append(chunk_id)
            places.append((chunk_doc, position))
            roles.append(chunk_roles)
            for k, (term, tf) in enumerate(counts):
                new_terms.append(index.setdefault(term, len(index)))
                new_rows.append(row)
                new_freqs.append(tf)
                new_within.append(k)
            row += 1
        lengths.append(np.array([c[4] for c in chunks], dtype=np.int64))
    vocabulary = list(index)
    size, count = len(ids), len(vocabulary)
    # Every posting as (term, row, tf): the kept ones renumbered, then the fresh chunks'.
    old_terms = np.repeat(np.arange(len(previous.vocabulary)), np.diff(old_offsets))
    old_rows = old_to_new[old_postings]
    kept = old_rows >= 0
    terms = np.concatenate([old_terms[kept], np.array(new_terms, dtype=np.int64)])
    rows = np.concatenate([old_rows[kept], np.array(new_rows, dtype=np.int64)])
    freqs = np.concatenate([old_freqs[kept], np.array(new_freqs, dtype=np.int32)])
    first = np.full(count, size, dtype=np.int64)
    np.minimum.at(first, terms, rows)
    present = first < size  # a term of dropped chunks only is gone
    was_first = old_to_new[old_postings[old_offsets[:-1]]]  # each live term's first chunk, renumbered
    within = _within(was_first, first, present, new_terms, new_rows, new_within)
    if not _moved_in(first, present, within, places, read_parts, index):
        return None
    rank = np.full(count, -1, dtype=np.int64)
    live_terms = np.flatnonzero(present)
    ordered = live_terms[np.lexsort((within[live_terms], first[live_terms]))]
    rank[ordered] = np.arange(len(ordered))
    by_place = np.argsort(rank[terms] * max(size, 1) + rows)
    frequencies = np.bincount(rank[terms], minlength=len(ordered))
    offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(frequencies)
    return KeywordStats(
        ids,
        places,
        roles,
        [vocabulary[t] for t in ordered.tolist()],
        bm25_idf(size, frequencies.tolist()),
        offsets,
        rows[by_place].astype(np.int32),
        freqs[by_place],
        np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64),
    )


def _runs(
    order: Sequence[str], fresh: Mapping[str, bytes], segments: Mapping[str, tuple[int, int]]
) -> list[tuple[int, int, str | None]]:
    """The new version's articles as (start, end, None) for unchanged ones whose live rows follow each other
    and (0, 0, doc_id) for each fresh one: a loop over 3,000 articles then slices a few times, not 3,000."""
    runs: list[tuple[int, int, str | None]] = []
    for doc_id in order:
        if doc_id in fresh:
            runs.append((0, 0, doc_id))
            continue
        start, end = segments[doc_id]
        if runs and runs[-1][2] is None and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], end, None)
        else:
            runs.append((start, end, None))
    return runs


def _segments(places: Sequence[tuple[str, int]]) -> dict[str, tuple[int, int]]:
    """Each article's rows (start, end) in a version's statistics: its chunks are contiguous."""
    found: dict[str, tuple[int, int]] = {}
    start = 0
    for i in range(1, len(places) + 1):
        if i == len(places) or places[i][0] != places[start][0]:
            found[places[start][0]] = (start, i)
            start = i
    return found


def _within(
    was_first: np.ndarray,
    first: np.ndarray,
    present: np.ndarray,
    new_terms: list[int],
    new_rows: list[int],
    new_within: list[int],
) -> np.ndarray:
    """Each term's place among the terms first seen in its first chunk: in a fresh chunk its place in the
    chunk's counts; in a kept one, where it stayed first, its live vocabulary index (the same order);
    -1 where it moved in from a dropped chunk (_moved_in fills those)."""
    within = np.full(len(first), -1, dtype=np.int64)
    terms, rows, places = (np.array(x, dtype=np.int64) for x in (new_terms, new_rows, new_within))
    at_first = rows == first[terms] if len(terms) else np.zeros(0, dtype=bool)
    within[terms[at_first]] = places[at_first]
    old = len(was_first)
    stayed = (was_first == first[:old]) & present[:old] & (within[:old] < 0)
    within[:old][stayed] = np.flatnonzero(stayed)
    return within


def _moved_in(
    first: np.ndarray,
    present: np.ndarray,
    within: np.ndarray,
    places: Sequence[tuple[str, int]],
    read_parts: PartReader,
    index: Mapping[str, int],
) -> bool:
    """Order the terms whose first chunk is now a kept one they were not first in (their first one was
    dropped), by that chunk's counts, read from its article's part; every term first there is then placed
    by the part, so the two orders never mix within a chunk. False when a part is missing."""
    moved = np.flatnonzero(present & (within < 0))
    if not len(moved):
        return True
    chunk_rows = sorted(set(first[moved].tolist()))
    docs = sorted({places[r][0] for r in chunk_rows})
    parts = read_parts(docs)
    if parts is None:
        return False
    counts_at: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for doc_id in docs:
        for _, _, position, _, _, counts in json.loads(parts[doc_id]):
            counts_at[(doc_id, position)] = counts
    for row in chunk_rows:
        for k, (term, _) in enumerate(counts_at[places[row]]):
            t = index[term]
            if first[t] == row:
                within[t] = k
    return True
