"""The vectors of every quotable unit (sentence or list item) of a chunk, computed at ingest and kept, so
that answering never embeds an article's sentence.

Why: an answer scores the sentences of the passages it retrieved against the question. Embedding them
at question time made a warm answer cost more as the knowledge base grew (fewer sentences seen before,
more to embed per question). The ingest already embeds each unit once to tag its facet; the text an
answer scores differs from it only where a role name is neutralised or a list item is read under its
section heading, so storing what the answer needs costs the ingest little.

The vectors of one chunk are kept as one float32 matrix (one row per unit, in ingest.chunking.units()
order) in the embedding cache, under a key derived from the chunk's content hash: the manifest's chunk
hashes then say which matrices kept versions still need (pruning), and a chunk's text decides its rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

from ingest.chunking import Unit, units
from ingest.rolenames import neutral

SENTENCES_VERSION = "1"
"""Bump when scored_text changes: stored matrices are then keyed anew, never read stale."""


def scored_text(unit: Unit, headings: str) -> str:
    """What an answer embeds a unit as: role names neutralised, and a list item under its section heading
    ("key qualities: ..."), which says what the item is about when its own words rarely do."""
    return neutral(f"{headings}: {unit.text}" if unit.intro and headings else unit.text)


def units_key(chunk_hash: str) -> str:
    """The cache key of a chunk's unit matrix, from the chunk's content hash."""
    return hashlib.sha256(f"units{SENTENCES_VERSION}\x00{chunk_hash}".encode()).hexdigest()


def as_matrix(stored: np.ndarray, dimension: int) -> np.ndarray:
    """A stored flat float32 blob as its (units x dimension) matrix."""
    return stored.reshape(-1, dimension)


class UnitVectors:
    """Embeds texts once per ingest run, in one call per batch of chunks: the facet tagger and the stored
    matrices ask for the same unit texts, and a text both need is embedded only once."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray]) -> None:
        self.encode = encode
        self._known: dict[str, np.ndarray] = {}

    def prepare(self, texts: Sequence[str]) -> None:
        """Embed every text not embedded yet, in one call."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._known]
        if missing:
            self._known.update(zip(missing, np.asarray(self.encode(missing), dtype=np.float32), strict=True))

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for `texts`, embedding any not prepared (an embed function for ingest.facets.FacetTagger)."""
        self.prepare(texts)
        return np.stack([self._known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)

    def matrix(self, text: str, headings: str) -> np.ndarray:
        """The stored form of one chunk: its units' scored vectors, one row each."""
        return self([scored_text(u, headings) for u in units(text)])
