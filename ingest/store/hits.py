"""One chunk as readers get it (the read API's results, ingest.store.index), apart from the index so
that the read API's module stays about following versions and searching them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Hit:
    """One chunk of the live version with its metadata and, for searches, its cosine similarity."""

    id: str
    text: str
    metadata: dict[str, Any]
    score: float = 0.0

    @property
    def doc_id(self) -> str:
        return str(self.metadata["doc_id"])


def as_hits(got: Any) -> list[Hit]:
    """A get() result as Hits."""
    return [
        Hit(i, d, dict(m or {}))
        for i, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
    ]
