"""What the live version's text tells us beyond its passages: its names, a typo corrector for
questions, and which facets each role's articles hold.

Read from what the ingest stored (ingest.lexicon) rather than built from every chunk at start, which
was most of a cold start at 3,000 articles; a version ingested before lexicons were stored is still
served, its lexicon computed from its chunks with the ingest's own functions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.answer.spelling import Speller
from ingest.lexicon import VersionWords, from_chunks
from ingest.store.index import KnowledgeIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lexicon:
    """One live version's names, typo corrector and, per role, the facets its articles' sentences
    carry (a role whose sentences are untagged is absent)."""

    version: str
    names: frozenset[str]
    speller: Speller
    role_facets: dict[str, set[str]]


def version_words(index: KnowledgeIndex) -> VersionWords:
    """The live version's stored lexicon, or (an older version) one computed from its chunks: blocking."""
    stored = index.stored_lexicon()
    if stored is not None:
        return stored
    log.info(
        "index version %s has no stored lexicon (ingested before it was stored): computing it from every chunk; "
        "the next ingest stores it",
        index.version().name,
    )
    chunks = index.chunks()
    return from_chunks([h.text for h in chunks], [h.metadata for h in chunks])


def build_lexicon(index: KnowledgeIndex, version: str) -> Lexicon:
    """The lexicon of the index's live version, named `version`."""
    words = version_words(index)
    return Lexicon(
        version,
        words.names,
        Speller(words.counts, index.embedder.vocabulary()),
        {r: set(f) for r, f in words.role_facets.items()},
    )


class LiveLexicon:
    """The live version's lexicon, rebuilt when another version goes live."""

    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index
        self._cached: Lexicon | None = None

    def get(self) -> Lexicon:
        """The lexicon of the version live now (read on first use and after a version change)."""
        version = self.index.version().name
        if self._cached is None or self._cached.version != version:
            self._cached = build_lexicon(self.index, version)
        return self._cached
