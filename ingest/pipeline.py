"""One ingest run: scan knowledge/, build a complete new index version, gate it, switch, prune.

Unchanged articles are copied from the live version (no parsing, no embedding); changed chunks come
from the embedding cache when their text was seen before. A run with nothing changed touches no
model and no Chroma at all, so it ends in well under a second on the embedded store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from filelock import FileLock, Timeout

from ingest.cache import EmbeddingCache
from ingest.chunking import CHUNKER_VERSION, Chunk, Chunker
from ingest.errors import LockedError, ModelMismatchError, NoLiveVersionError, VersionNotFoundError
from ingest.facets import FACETS_VERSION, FacetTagger
from ingest.factory import Embedder
from ingest.gate import GateReport, gate_questions, judge_gate
from ingest.loaders import SUPPORTED_SUFFIXES, LoadedDocument, LoadError, LoadLimits, load_document
from ingest.sandbox import ParserPool
from ingest.settings import Settings
from ingest.store import (
    Backend,
    DocEntry,
    EmbeddedBackend,
    VersionInfo,
    batched,
    complete_versions,
    make_backend,
    now_iso,
    version_name,
    version_number,
)
from ingest.writer import write_version

if TYPE_CHECKING:
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)

LOADER_VERSION = "2"
"""Bump when loaders extract text differently, so the next ingest re-reads every article.

2: HTML drops more hidden text (classes, page CSS, off-screen), DOCX without core properties no
longer gets the title "Word Document", text needs a letter or digit.
"""

_ROLE_IN_TITLE = re.compile(r"\b(C[A-Z]{1,3}O)s?\b")


@dataclass(frozen=True)
class FileError:
    path: str
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class IngestReport:
    """What an admin needs after a run; `--json` prints it as one object."""

    status: str = "unchanged"  # unchanged | activated | gate_failed | failed
    version: str | None = None
    previous: str | None = None
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_after_error: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0
    chunks_total: int = 0
    pruned: list[str] = field(default_factory=list)
    gate: GateReport | None = None
    seconds: float = 0.0
    parser_peak_mb: dict[str, float] = field(default_factory=dict)
    """Peak memory of the PDF/DOCX/HTML parser workers, per format (to size knowledge.parse_memory_mb)."""

    @property
    def exit_code(self) -> int:
        """0 all good; 1 some files failed (the rest went live); 3 the gate refused activation."""
        if self.status == "gate_failed":
            return 3
        return 1 if self.errors else 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        return data

    def summary(self) -> str:
        parts = [
            f"{len(self.added)} added",
            f"{len(self.changed)} changed",
            f"{len(self.removed)} removed",
            f"{len(self.unchanged)} unchanged",
        ]
        head = {
            "unchanged": f"Nothing changed; {self.version} stays live.",
            "activated": f"Version {self.version} is live (was {self.previous or 'none'}).",
            "gate_failed": f"Quality gate failed; {self.previous or 'no version'} stays live.",
            "failed": "Nothing was ingested.",
        }[self.status]
        lines = [
            head,
            f"Articles: {', '.join(parts)}." + (f" {len(self.errors)} failed." if self.errors else ""),
            f"Chunks: {self.chunks_embedded} embedded, {self.chunks_reused} reused, {self.chunks_total} in the index.",
            f"Took {self.seconds:.1f} s.",
        ]
        lines += [f"ERROR {e.line()}" for e in self.errors]
        lines += [f"kept the live copy of {p} because the new file failed" for p in self.kept_after_error]
        lines += [f"skipped {p} (not a supported format)" for p in self.skipped]
        if self.gate is not None and not self.gate.passed:
            for r in self.gate.failures:
                lines.append(f"GATE '{r.question}' expected {r.expect} in the top {self.gate.k}, got {r.found}")
            lines.append("Fix the article or the golden questions, or re-run with --force to activate anyway.")
        return "\n".join(lines)


@dataclass(frozen=True)
class SourceFile:
    doc_id: str
    path: Path
    file_hash: str


def fingerprint(settings: Settings) -> str:
    """Everything that changes chunk text or vectors; a change means every article is re-chunked."""
    data = [settings.embedding.model, settings.chunking.max_tokens, CHUNKER_VERSION, LOADER_VERSION, FACETS_VERSION]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


# Bidirectional embeddings, overrides and isolates: in a file name they make "evil\u202egpj.md"
# look like "evilmd.jpg" wherever the article id is shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def display_name(name: str) -> str:
    """A file name safe to print on one line: undecodable bytes and control characters escaped."""
    out = []
    for char in name:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as os.fsdecode's surrogateescape keeps it
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def name_problem(rel: str) -> str | None:
    """Why a file name cannot be an article id, or None.

    The id is stored in Chroma (ids and metadata must be valid UTF-8: one bad id aborts the whole
    write) and shown to admins and users on one line.
    """
    if any(0xD800 <= ord(char) <= 0xDFFF for char in rel):
        return "file name is not valid UTF-8; rename the file"
    if any(unicodedata.category(char) == "Cc" or char in _BIDI_CONTROLS for char in rel):
        return "file name contains control or text-direction characters; rename the file"
    return None


def scan(settings: Settings) -> tuple[list[SourceFile], list[str], list[FileError]]:
    """Articles under knowledge.dir (supported formats, not excluded, not hidden), skipped files, and
    files refused before reading (bad names, links to files outside the folder)."""
    root = settings.knowledge.dir
    if not root.is_dir():
        return [], [], []
    real_root = root.resolve()
    files: list[SourceFile] = []
    skipped: list[str] = []
    refused: list[FileError] = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        if any(fnmatch(rel, pat) or fnmatch(path.name, pat) for pat in settings.knowledge.exclude):
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(display_name(rel))
            continue
        problem = name_problem(rel)
        if problem is None and not path.resolve().is_relative_to(real_root):
            # A link to, say, ~/.ssh/notes.txt would put that file's text in the index.
            problem = "a symbolic link to a file outside the knowledge folder; copy the file in instead"
        if problem is not None:
            refused.append(FileError(display_name(rel), problem))
            continue
        size = path.stat().st_size
        if size > settings.knowledge.max_file_mb * 1024 * 1024:
            # The loader refuses it without reading it; hashing gigabytes first would be wasted.
            files.append(SourceFile(rel, path, f"oversized-{size}"))
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        files.append(SourceFile(rel, path, digest.hexdigest()))
    return files, skipped, refused


def _roles(meta: dict[str, object], title: str) -> list[str]:
    raw = meta.get("roles")
    if isinstance(raw, str):
        raw = raw.split(",")
    roles = [str(r).strip().upper() for r in raw] if isinstance(raw, list) else []
    if not roles:
        # No declared roles: take role acronyms from the title, so a "CISO" article still gets a brief.
        roles = _ROLE_IN_TITLE.findall(title)
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


def content_hash(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


@contextmanager
def writer_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time; the OS drops the lock if the holder dies, so a kill never wedges it."""
    root = settings.store.path
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / ".ingest.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise LockedError(f"another ingest is already running on {root}; wait for it to finish and try again") from exc
    try:
        yield
    finally:
        lock.release()


@dataclass
class _Build:
    ids: list[str] = field(default_factory=list)
    embeddings: list[np.ndarray] = field(default_factory=list)  # float32 rows: lists of floats cost 8x more
    documents: list[str] = field(default_factory=list)
    metadatas: list[dict[str, Any]] = field(default_factory=list)
    docs: dict[str, DocEntry] = field(default_factory=dict)


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="chunk", disable=not enabled or total < 50, file=sys.stderr)


class Ingestor:
    """Owns one run. Dependencies come in through the constructor so tests can share a loaded model."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, progress: bool = False) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings.embedding)
        self.progress = progress and sys.stderr.isatty()
        self.limits = LoadLimits(
            max_bytes=int(settings.knowledge.max_file_mb * 1024 * 1024),
            parse_timeout_s=settings.knowledge.parse_timeout_s,
            parse_memory_mb=settings.knowledge.parse_memory_mb,
        )

    def run(self, *, force: bool = False, rebuild: bool = False) -> IngestReport:
        started = time.monotonic()
        with writer_lock(self.settings):
            backend = make_backend(self.settings)
            try:
                report = self._run(backend, force=force, rebuild=rebuild)
            finally:
                backend.close()
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def _run(self, backend: Backend, *, force: bool, rebuild: bool) -> IngestReport:
        report = IngestReport()
        files, report.skipped, report.errors = scan(self.settings)
        live_name = backend.live_name()
        live = backend.info(live_name) if live_name else None
        report.previous = report.version = live_name
        fp = fingerprint(self.settings)
        same_build = live is not None and live.fingerprint == fp and live.model == self.settings.embedding.model
        old_docs = live.documents if live is not None else {}

        current = {f.doc_id: f for f in files}
        unchanged = [
            f for f in files if same_build and f.doc_id in old_docs and old_docs[f.doc_id].file_hash == f.file_hash
        ]
        report.removed = sorted(set(old_docs) - set(current))
        if live is not None and not rebuild and len(unchanged) == len(files) and not report.removed:
            report.unchanged = [f.doc_id for f in files]
            report.chunks_total = live.chunk_count
            return report

        build = _Build()
        if unchanged:
            assert live_name is not None
            self._copy_from(backend.open_snapshot(live_name), [f.doc_id for f in unchanged], old_docs, build)
            report.unchanged = [f.doc_id for f in unchanged]
            report.chunks_reused += len(build.ids)
        todo = [f for f in files if f.doc_id not in build.docs]
        pending: list[tuple[SourceFile, dict[str, Any], list[Chunk]]] = []
        # One warm parser process per format for the whole run: a one-shot child per PDF would
        # spend more time importing pypdf than parsing.
        with ParserPool() as pool:
            for source in todo:
                try:
                    doc = load_document(source.path, self.limits, pool=pool)
                except LoadError as exc:
                    report.errors.append(FileError(source.doc_id, exc.reason))
                    if source.doc_id in old_docs and live_name is not None:
                        # Nothing already live is lost: a previously good article keeps its live chunks.
                        self._copy_from(backend.open_snapshot(live_name), [source.doc_id], old_docs, build)
                        report.kept_after_error.append(source.doc_id)
                    continue
                meta = describe(doc, source)
                chunks = self._chunker().chunk(doc.text, meta["title"])
                if not chunks:
                    report.errors.append(FileError(source.doc_id, "no text could be extracted"))
                    continue
                pending.append((source, meta, chunks))
                (report.changed if source.doc_id in old_docs else report.added).append(source.doc_id)
        report.parser_peak_mb = {kind: round(kb / 1024, 1) for kind, kb in sorted(pool.peak_rss_kb.items())}
        embedded, reused = self._embed(pending, build)
        report.chunks_embedded, report.chunks_reused = embedded, report.chunks_reused + reused
        report.chunks_total = len(build.ids)

        if live is not None and not rebuild and not (report.added or report.changed or report.removed):
            # Only failures (e.g. a new bad file): the live version already has everything that loads.
            report.chunks_total = live.chunk_count
            report.unchanged = sorted(set(report.unchanged) | set(report.kept_after_error))
            report.kept_after_error = []
            return report
        if not build.ids:
            report.status = "failed" if live_name is None else "gate_failed"
            if live_name is not None:
                report.errors.append(FileError("(all)", "the new index would be empty; the live version was kept"))
            return report

        name = self._next_name(backend)
        vectors = np.asarray(build.embeddings, dtype=np.float32)
        questions = gate_questions(self.settings.gate) if self.settings.gate.enabled else []
        probes = np.asarray(
            self.embedder.embed_documents([q.question for q in questions]) if questions else [], dtype=np.float32
        )
        k = self.settings.gate.k
        found = write_version(self.settings, name, (build.ids, vectors, build.documents, build.metadatas), probes, k)
        report.gate = judge_gate(questions, found, k) if self.settings.gate.enabled else None
        if report.gate is not None and not report.gate.passed and not force:
            backend.drop(name)
            report.status = "gate_failed"
            return report

        info = VersionInfo(
            name=name,
            model=self.settings.embedding.model,
            dimension=int(vectors.shape[1]),
            fingerprint=fp,
            created=now_iso(),
            documents=build.docs,
        )
        backend.write_info(info)  # the version is complete from here on
        backend.set_live(name)  # the atomic switch
        report.status, report.version = "activated", name
        report.pruned = prune(backend, self.settings)
        self._prune_cache(backend)
        return report

    def _chunker(self) -> Chunker:
        return Chunker(self.embedder.count_tokens, self.settings.chunking.max_tokens, self.embedder.max_tokens)

    def _copy_from(self, live: Collection, doc_ids: list[str], old_docs: dict[str, DocEntry], build: _Build) -> None:
        for part in batched(doc_ids, 200):
            where: Any = {"doc_id": {"$in": part}}
            got = live.get(where=where, include=["embeddings", "documents", "metadatas"])  # type: ignore[list-item]
            order = sorted(
                range(len(got["ids"])),
                key=lambda i: (str(got["metadatas"][i]["doc_id"]), int(got["metadatas"][i]["position"])),  # type: ignore[index,arg-type]
            )
            for i in order:
                build.ids.append(got["ids"][i])
                build.embeddings.append(np.asarray(got["embeddings"][i], dtype=np.float32))  # type: ignore[index]
                build.documents.append(got["documents"][i])  # type: ignore[index]
                build.metadatas.append(dict(got["metadatas"][i]))  # type: ignore[index]
            for doc_id in part:
                build.docs[doc_id] = old_docs[doc_id]

    def _embed(self, pending: list[tuple[SourceFile, dict[str, Any], list[Chunk]]], build: _Build) -> tuple[int, int]:
        """Vectors from the cache where the exact text was embedded before; the rest in batches."""
        if not pending:
            return 0, 0
        model = self.settings.embedding.model
        cache = EmbeddingCache(self.settings.store.path / "embeddings.sqlite3", model)
        try:
            flat = [(c, content_hash(model, c.embed_text)) for _, _, chunks in pending for c in chunks]
            vectors = cache.get_many([h for _, h in flat])
            misses = list({h: c for c, h in flat if h not in vectors}.items())
            # Longest first across the whole run, as one sentence-transformers call would order them:
            # each group of `step` then holds texts of similar length, so batches carry little padding.
            # Sorting per group instead made encoding ~25% slower at 300 articles (make bench).
            misses.sort(key=lambda item: len(item[1].embed_text), reverse=True)
            step = self.settings.embedding.batch_size * 4
            with _progress(len(misses), "embedding", self.progress) as bar:
                for part in batched(misses, step):
                    new = self.embedder.encode([c.embed_text for _, c in part])
                    fresh = [(h, v) for (h, _), v in zip(part, new, strict=True)]
                    cache.put_many(fresh)
                    vectors.update(fresh)
                    bar.update(len(part))
        finally:
            cache.close()
        tags = iter(FacetTagger(self.embedder.encode).tag([c for _, _, chunks in pending for c in chunks]))
        for source, meta, chunks in pending:
            hashes = []
            for chunk in chunks:
                digest = content_hash(model, chunk.embed_text)
                hashes.append(digest)
                build.ids.append(f"{source.doc_id}#{chunk.position:04d}")
                build.embeddings.append(vectors[digest])
                build.documents.append(chunk.text)
                facets = next(tags)
                build.metadatas.append(
                    {
                        **meta,
                        "position": chunk.position,
                        "headings": " > ".join(chunk.headings),
                        "content_hash": digest,
                        # One per quotable unit, in ingest.chunking.units() order (Chroma refuses empty lists).
                        **({"facets": facets} if facets else {}),
                    }
                )
            build.docs[source.doc_id] = DocEntry(
                source.doc_id, source.file_hash, meta["title"], list(meta.get("roles", [])), hashes
            )
        return len(misses), len(flat) - len(misses)

    def _next_name(self, backend: Backend) -> str:
        numbers = [version_number(n) for n in backend.names()]
        live = backend.live_name()
        if live:
            numbers.append(version_number(live))
        return version_name(max(numbers, default=0) + 1)

    def _prune_cache(self, backend: Backend) -> None:
        keep = {h for info in complete_versions(backend) for d in info.documents.values() for h in d.chunk_hashes}
        cache = EmbeddingCache(self.settings.store.path / "embeddings.sqlite3", self.settings.embedding.model)
        try:
            cache.prune(keep)
        finally:
            cache.close()


def prune(backend: Backend, settings: Settings) -> list[str]:
    """Keep the live version and the newest others up to store.keep_versions; drop the rest and any debris."""
    live = backend.live_name()
    complete = [i.name for i in complete_versions(backend)]
    keep = {live} | set(sorted(n for n in complete if n != live)[-(settings.store.keep_versions - 1) :])
    dropped = [n for n in backend.names() if n not in keep]
    for name in dropped:
        backend.drop(name)
    if isinstance(backend, EmbeddedBackend):
        backend.clean_readers()
    return dropped


def rollback(settings: Settings, target: str | None = None) -> str:
    """Make an older complete version live again; by default the newest one before the live one."""
    with writer_lock(settings):
        backend = make_backend(settings)
        try:
            live = backend.live_name()
            if live is None:
                raise NoLiveVersionError("nothing is live yet; run an ingest first")
            versions = {i.name: i for i in complete_versions(backend)}
            if target is None:
                older = sorted(n for n in versions if version_number(n) < version_number(live))
                if not older:
                    raise VersionNotFoundError(f"no complete version older than {live} is kept")
                target = older[-1]
            info = versions.get(target)
            if info is None:
                kept = ", ".join(sorted(versions)) or "none"
                raise VersionNotFoundError(f"version {target} is not a complete kept version (kept: {kept})")
            if info.model != settings.embedding.model:
                raise ModelMismatchError(
                    f"version {target} was built with '{info.model}', but embedding.model is "
                    f"'{settings.embedding.model}'"
                )
            backend.set_live(target)
            return target
        finally:
            backend.close()
