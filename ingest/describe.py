"""Article-level metadata as it goes on every chunk: title, author, roles, with defaults.

Why a module of its own: the pipeline and the ingest benchmark describe articles the same way.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.loaders.documents import LoadedDocument
from ingest.rolenames import ROLE_ACRONYM
from ingest.scan import SourceFile


def _roles(meta: dict[str, object], title: str) -> list[str]:
    raw = meta.get("roles")
    if isinstance(raw, str):
        raw = raw.split(",")
    roles = [str(r).strip().upper() for r in raw] if isinstance(raw, list) else []
    if not roles:
        # No declared roles: take role acronyms from the title, so a "CISO" article still gets a brief.
        roles = ROLE_ACRONYM.findall(title)
    return sorted({r for r in roles if r})


def _first_heading(text: str) -> str | None:
    match = re.search(r"^#\s+(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else None


def describe(doc: LoadedDocument, source: SourceFile) -> dict[str, Any]:
    """Article-level metadata with defaults, as it goes on every chunk (Chroma scalars/lists only)."""
    meta = doc.meta
    title = str(meta.get("title") or _first_heading(doc.text) or source.path.stem.replace("-", " ").replace("_", " "))
    out: dict[str, Any] = {
        "doc_id": source.doc_id,
        "title": title,
        "author": str(meta.get("author") or "Unknown author"),
        "publisher": str(meta.get("publisher") or ""),
        "source": source.doc_id,
        "file_hash": source.file_hash,
        "format": doc.format,
    }
    for key in ("source_url", "published", "origin"):
        if meta.get(key):
            out[key] = str(meta[key])
    roles = _roles(meta, title)
    if roles:
        out["roles"] = roles  # Chroma refuses empty lists, so the key is absent when there are none.
    return out
