"""The one service that changes the knowledge base: add a file or a page, remove an article, re-ingest,
repair. The Telegram admin commands and `python -m ingest add|remove` both call it, so each change
has one undo on failure and one set of messages.

Every change ends in the versioned ingest, so the live version switches only when a complete new one
passed the gate; when the ingest does not take the change, the file system is put back as it was.
Blocking: async callers use asyncio.to_thread. LockedError and StoreUnavailableError pass through
after the undo, for each front end to phrase ("busy", "temporarily unavailable").
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.articles import (
    UploadRefused,
    article_path,
    hide,
    load_limits,
    max_upload_bytes,
    safe_name,
    store,
    unhide,
)
from ingest.embedding.factory import Embedder
from ingest.loaders.urlfetch import FetchedPage, UrlRefused, fetch_url
from ingest.pipeline import Ingestor
from ingest.report import IngestReport
from ingest.settings import Settings
from ingest.store.repair import RepairReport


@dataclass(frozen=True)
class Change:
    """What an admin is told: whether the change went in, one line saying so, and the ingest's report."""

    done: bool
    message: str
    article: str | None = None
    report: IngestReport | None = None

    def summary(self) -> str:
        return self.message + (f"\n{self.report.summary()}" if self.report is not None else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "message": self.message,
            "article": self.article,
            "ingest": self.report.to_dict() if self.report is not None else None,
        }


class KnowledgeChanges:
    """Changes to knowledge.dir and the index that follows it; the embedder is shared with the reader."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.ingestor = Ingestor(settings, embedder)

    def reingest(self) -> IngestReport:
        return self.ingestor.run()

    def repair(self) -> RepairReport:
        return self.ingestor.repair()

    def add(self, name: str, data: bytes) -> Change:
        """Save under a safe name derived from `name` and the content, and ingest; the file is removed
        again unless the new version went live with it."""
        try:
            saved = safe_name(name, data)
            path = store(self.settings.knowledge.dir, saved, data, load_limits(self.settings))
        except UploadRefused as exc:
            return Change(False, f"Not added: {exc.reason}")
        kept = False
        try:
            report = self.ingestor.run()  # StoreUnavailableError, LockedError: undone below, then raised
            failed = next((e for e in report.errors if e.path == saved), None)
            if failed is not None:
                return Change(False, f"Not added: {failed.reason}", saved)
            if report.status == "gate_failed":
                # Kept, it would fail every later ingest too; the admin gets the gate's reasons.
                return Change(False, "Not added: the quality gate refused it.", saved, report)
            kept = True
            return Change(True, f"Added as {saved}.", saved, report)
        finally:
            if not kept:
                path.unlink(missing_ok=True)

    def remove(self, doc_id: str) -> Change:
        """Take an article out and ingest; put it back if the ingest does not run or refuses."""
        try:
            path = article_path(self.settings.knowledge.dir, doc_id)
        except UploadRefused as exc:
            return Change(False, f"Not removed: {exc.reason}")
        hidden = hide(path)
        report: IngestReport | None = None
        try:
            report = self.ingestor.run()  # StoreUnavailableError, LockedError: put back below, then raised
        finally:
            if report is None or report.status == "gate_failed":
                unhide(hidden, path)
            else:
                hidden.unlink(missing_ok=True)
        if report.status == "gate_failed":
            return Change(False, "Not removed: the quality gate refused the new version.", doc_id, report)
        return Change(True, f"Removed {doc_id}.", doc_id, report)


async def fetch_page(settings: Settings, url: str) -> FetchedPage:
    """A web page as an article would be added from it, within the `fetch` limits (and the upload size
    limit). Refuses private and metadata addresses (SSRF): UrlRefused."""
    fetch = settings.fetch
    return await fetch_url(
        url,
        max_bytes=min(int(fetch.max_mb * 1024 * 1024), max_upload_bytes(settings)),
        timeout_s=fetch.timeout_s,
        allow_loopback=fetch.allow_loopback,
    )


def fetch_source(settings: Settings, source: str) -> tuple[str, bytes]:
    """What `python -m ingest add` was given: a local file, or an http(s) page fetched as the chat's
    /ingest_url fetches it (public addresses only, size and time limits). UrlRefused or OSError."""
    if not source.lower().startswith(("http://", "https://")):
        path = Path(source)
        if path.stat().st_size > max_upload_bytes(settings):
            raise UrlRefused(f"the file is larger than {max_upload_bytes(settings) // 1_000_000} MB")
        return path.name, path.read_bytes()
    page = asyncio.run(fetch_page(settings, source))
    return page.suggested_name, page.body
