"""Retrieved LangChain documents as the passages and sources answers are composed from and cite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from langchain_core.documents import Document

from bot.answer.types import Passage, Source


def source_of(meta: dict[str, object]) -> Source:
    """The article a chunk's metadata names (numbered 0 until an answer numbers its sources)."""
    url = meta.get("source_url")
    return Source(
        0,
        str(meta.get("title") or meta.get("doc_id")),
        str(meta.get("author") or ""),
        str(meta.get("publisher") or ""),
        str(meta.get("doc_id")),
        str(url) if url else None,
    )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def to_passages(docs: Sequence[Document]) -> list[Passage]:
    """Retrieved documents numbered 1.. in retrieval order, each with its article and facets."""
    return [
        Passage(
            i + 1,
            d.page_content,
            str(d.metadata["doc_id"]),
            str(d.metadata.get("headings") or ""),
            source_of(d.metadata),
            float(d.metadata.get("rrf_score") or 0.0),
            tuple(str(f) for f in d.metadata.get("facets") or ()),
            str(d.metadata.get("content_hash") or ""),
            int(d.metadata.get("position", -1)),
            _flag(d.metadata.get("continued")),
            tuple(str(f) for f in d.metadata.get("facets_also") or ()),
        )
        for i, d in enumerate(docs)
    ]


def numbered_by_article(docs: Sequence[Document]) -> tuple[list[Passage], list[Source]]:
    """Passages numbered by article, so [n] in the LLM's text maps straight to a source."""
    by_doc: dict[str, Source] = {}
    passages: list[Passage] = []
    for p in to_passages(docs):
        if p.doc_id not in by_doc:
            s = p.source
            by_doc[p.doc_id] = Source(len(by_doc) + 1, s.title, s.author, s.publisher, s.path, s.url)
        src = by_doc[p.doc_id]
        passages.append(replace(p, n=src.n, source=src))
    return passages, list(by_doc.values())
