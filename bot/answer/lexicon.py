"""What the live version's text tells us beyond its passages: its names, a typo corrector for
questions, and which facets each role's articles hold. Built once per live version."""

from __future__ import annotations

from dataclasses import dataclass

from bot.answer.scope import kb_names
from bot.answer.spelling import Speller
from ingest.store.index import KnowledgeIndex


@dataclass(frozen=True)
class Lexicon:
    """One live version's names, typo corrector and, per role, the facets its articles' sentences
    carry (a role whose sentences are untagged is absent)."""

    version: str
    names: frozenset[str]
    speller: Speller
    role_facets: dict[str, set[str]]


def build_lexicon(index: KnowledgeIndex, version: str) -> Lexicon:
    """The lexicon of the index's live version, named `version` (blocking: reads every chunk)."""
    chunks = index.chunks()
    # Who wrote an article and who published it are the articles' names too ("What does Bonnie
    # Siegel list?"), though only the front matter holds them. Each on its own line: no run
    # of capitals joins one to the next.
    bylines = {str(h.metadata.get(k) or "") for h in chunks for k in ("author", "publisher")}
    texts = [h.text for h in chunks] + sorted(b for b in bylines if b and b != "Unknown author")
    facets: dict[str, set[str]] = {}
    for hit in chunks:
        for role in hit.metadata.get("roles") or []:
            facets.setdefault(str(role), set()).update(str(f) for f in hit.metadata.get("facets") or [])
    return Lexicon(
        version,
        kb_names(texts),
        Speller(texts, index.embedder.vocabulary()),
        {r: f for r, f in facets.items() if f},
    )


class LiveLexicon:
    """The live version's lexicon, rebuilt when another version goes live."""

    def __init__(self, index: KnowledgeIndex) -> None:
        self.index = index
        self._cached: Lexicon | None = None

    def get(self) -> Lexicon:
        """The lexicon of the version live now (built on first use and after a version change)."""
        version = self.index.version().name
        if self._cached is None or self._cached.version != version:
            self._cached = build_lexicon(self.index, version)
        return self._cached
