"""One ingest run: scan knowledge/, build a complete new index version, gate it, switch, prune.

Unchanged articles are copied from the live version (no parsing, no embedding); changed chunks come
from the embedding cache when their text was seen before. A run with nothing changed touches no
model and no Chroma at all, so it ends in well under a second on the embedded store.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ingest.chunking import CHUNKER_VERSION, Chunk, Chunker, continued, units
from ingest.delta import Build, Delta, keep_live, settle
from ingest.delta import plan as plan_delta
from ingest.describe import describe
from ingest.embedding.cache import CacheForRun, EmbeddingCache
from ingest.embedding.factory import Embedder
from ingest.errors import DamagedError, NoSpaceError
from ingest.facets import FACETS_VERSION, FacetTagger
from ingest.gate import gate_questions, judge_gate
from ingest.lexicon import Record
from ingest.loaders.documents import LoadError, LoadLimits, load_document
from ingest.loaders.pool import ParserPool
from ingest.report import FileError, IngestReport
from ingest.scan import SourceFile, scan
from ingest.sentences import SENTENCES_VERSION, UnitVectors, scored_text, units_key
from ingest.settings import Settings
from ingest.store.backend import Backend, Survey, batched, complete_versions, make_backend, survey
from ingest.store.compact import compact, next_base_number
from ingest.store.embedded import EmbeddedBackend
from ingest.store.layers import Layers, open_layers, verify_version
from ingest.store.manifest import DocEntry, VersionInfo, chunk_id, now_iso, version_name, version_number
from ingest.store.repair import RepairReport, clear_damage
from ingest.store.space import estimate_bytes, need_free_space, space_errors
from ingest.store.versions import prune, writer_lock
from ingest.store.writer import FreshChildren, WriteFailedError, write_version
from ingest.stored import backfill_for_readers, reader_keys, store_for_readers

log = logging.getLogger(__name__)

LOADER_VERSION = "2"
"""Bump when loaders extract text differently, so the next ingest re-reads every article.

2: HTML drops more hidden text (classes, page CSS, off-screen), DOCX without core properties no
longer gets the title "Word Document", text needs a letter or digit.
"""


RECORD_VERSION = "1"
"""Bump when a chunk's stored metadata gains something answering reads, so the next ingest rewrites every
article's. 1: "continued" (ingest.chunking.continued)."""


def fingerprint(settings: Settings) -> str:
    """Everything that changes chunk text or vectors (the units' too); a change means every article is re-chunked."""
    data = [settings.embedding.model, settings.chunking.max_tokens, CHUNKER_VERSION, LOADER_VERSION, FACETS_VERSION]
    data.append(SENTENCES_VERSION)  # an index from before stored unit vectors is rebuilt once, from cached vectors
    data.append(RECORD_VERSION)
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()[:16]


def content_hash(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()


def _progress(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="chunk", disable=not enabled or total < 50, file=sys.stderr)


def _records_of(view: Layers) -> Callable[[list[str]], list[Record]]:
    """The live version's records of some articles (a delta's shared ones), as the ingest writes records."""

    def read(doc_ids: list[str]) -> list[Record]:
        got = view.get(where={"doc_id": {"$in": doc_ids}}, include=["documents", "metadatas"])
        return list(zip(got["ids"], got["documents"], got["metadatas"], strict=True))

    return read


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
                with space_errors(self.settings.store.path), FreshChildren() as children, self._cache() as cache:
                    report = self._run(backend, children, cache, force=force, rebuild=rebuild)
            finally:
                backend.close()
        report.seconds = round(time.monotonic() - started, 3)
        return report

    def repair(self) -> RepairReport:
        """Drop what is damaged, then build a fresh live version from the articles alone."""
        started = time.monotonic()
        with writer_lock(self.settings):
            backend = make_backend(self.settings)
            try:
                with space_errors(self.settings.store.path), FreshChildren() as children, self._cache() as cache:
                    report = clear_damage(backend, self.settings)
                    report.ingest = self._run(backend, children, cache, force=False, rebuild=True)
                    report.ingest.damaged = []  # what it saw is what clear_damage found (and dropped)
            finally:
                backend.close()
        report.ingest.seconds = round(time.monotonic() - started, 3)
        return report

    def _cache(self) -> CacheForRun:
        return CacheForRun(self.settings.store.path / "embeddings.sqlite3", self.settings.embedding.model)

    def _run(
        self, backend: Backend, children: FreshChildren, cache: CacheForRun, *, force: bool, rebuild: bool
    ) -> IngestReport:
        started = time.monotonic()
        report = IngestReport()
        files, report.skipped, report.errors = scan(self.settings)
        kept = survey(backend)
        report.previous = report.version = kept.live
        live = self._intact_live(backend, kept, report)
        live_name = live.name if live is not None else None
        fp = fingerprint(self.settings)
        same_build = live is not None and live.fingerprint == fp and live.model == self.settings.embedding.model
        old_docs = live.documents if live is not None else {}

        current = {f.doc_id: f for f in files}
        # A rebuild reads nothing of the live version: it must work when that version cannot be read.
        unchanged = [
            f
            for f in files
            if same_build and not rebuild and f.doc_id in old_docs and old_docs[f.doc_id].file_hash == f.file_hash
        ]
        report.removed = sorted(set(old_docs) - set(current))
        if live is not None and not rebuild and len(unchanged) == len(files) and not report.removed:
            report.unchanged = [f.doc_id for f in files]
            report.chunks_total = live.chunk_count
            self._backfill_stored(cache.get(), backend, live)
            return report

        # A version will be written: its writer starts now, importing Chroma while this process reads and embeds.
        children.prepare()
        build = Build()
        view: Layers | None = None
        delta: Delta | None = None
        if unchanged:
            assert live is not None
            view = open_layers(backend, live)
            delta = plan_delta(backend, live, view, self.settings)
            keep_live(view, [f.doc_id for f in unchanged], old_docs, build, delta)
            report.unchanged = [f.doc_id for f in unchanged]
            report.chunks_reused += sum(len(d.chunk_hashes) for d in build.docs.values())
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
                    if source.doc_id in old_docs and live is not None:
                        # Nothing already live is lost: a previously good article keeps its live chunks.
                        view = view or open_layers(backend, live)
                        keep_live(view, [source.doc_id], old_docs, build, delta)
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
        embedded, reused = self._embed(pending, build, cache)
        report.chunks_embedded, report.chunks_reused = embedded, report.chunks_reused + reused
        report.chunks_total = sum(len(d.chunk_hashes) for d in build.docs.values())

        if live is not None and not rebuild and not (report.added or report.changed or report.removed):
            # Only failures (e.g. a new bad file): the live version already has everything that loads.
            report.chunks_total = live.chunk_count
            report.unchanged = sorted(set(report.unchanged) | set(report.kept_after_error))
            report.kept_after_error = []
            return report
        if not build.docs:
            report.status = "failed" if live_name is None else "gate_failed"
            if live_name is not None:
                report.errors.append(FileError("(all)", "the new index would be empty; the live version was kept"))
            return report

        if delta is not None:
            assert view is not None
            delta = settle(delta, view, old_docs, build, self.settings)
        report.written = "full" if delta is None else f"delta over {delta.base.name}"
        name = self._next_name(backend)
        assert live is not None or build.ids
        dimension = int(np.asarray(build.embeddings[0]).shape[0]) if build.ids else live.dimension  # type: ignore[union-attr]
        vectors = np.asarray(build.embeddings, dtype=np.float32).reshape(len(build.ids), dimension)
        questions = gate_questions(self.settings.gate) if self.settings.gate.enabled else []
        probes = np.asarray(
            self.embedder.embed_documents([q.question for q in questions]) if questions else [], dtype=np.float32
        )
        k = self.settings.gate.k
        records = (build.ids, vectors, build.documents, build.metadatas)
        if isinstance(backend, EmbeddedBackend):
            need_free_space(self.settings.store.path, estimate_bytes(records, kept.complete))
        # After the space check: a refused ingest writes nothing, and leaves readers their room to copy.
        # build.docs is the whole manifest; a delta's unchanged articles keep their stored parts (or are read).
        self._store_for_readers(
            cache.get(), build, fp, view if delta is not None else None, live if delta is not None else None
        )
        if delta is not None and delta.live.base is not None:
            # Built on a live delta, the prune may leave the shared base with records no kept version shows:
            # the compaction's writer starts now. Over a full live version that is rarely so, and a child
            # started for nothing would take a core from the version's writer (compact starts its own if due).
            children.prepare()
        try:
            found = write_version(self.settings, name, records, probes, k, children)
            if delta is not None:
                found = delta.gate_found(found, probes, k)
        except (WriteFailedError, NoSpaceError):
            backend.drop(name)  # a half-written version would only take space (and a full disk needs it)
            raise
        found_docs = [[str(m["doc_id"]) for m in metas if m] for metas in found["metadatas"]]
        report.gate = judge_gate(questions, found_docs, k) if self.settings.gate.enabled else None
        if report.gate is not None and not report.gate.passed and not force:
            backend.drop(name)
            report.status = "gate_failed"
            return report

        info = VersionInfo(
            name=name,
            model=self.settings.embedding.model,
            dimension=dimension,
            fingerprint=fp,
            created=now_iso(),
            documents=build.docs,
            base=delta.base.name if delta is not None else None,
            tombstones=delta.tombstones if delta is not None else [],
            delta_docs=sorted(set(build.docs) - delta.shared) if delta is not None else [],
        )
        try:
            backend.write_info(info)  # the version is complete from here on
            backend.set_live(name)  # the atomic switch
        except OSError:
            backend.drop(name)  # never complete: it must not take the space a retry needs
            raise
        report.status, report.version = "activated", name
        report.live_seconds = round(time.monotonic() - started, 3)
        number = next_base_number(backend)  # before the prune drops anything: base names are never reused
        report.pruned = prune(backend, self.settings)
        started = time.monotonic()
        try:
            report.compacted = [c.base for c in compact(backend, self.settings, number, children)]
        except (WriteFailedError, NoSpaceError) as exc:
            # The new version is live already: the run succeeded, and the next ingest compacts again.
            report.compact_error = str(exc)
        report.compact_seconds = round(time.monotonic() - started, 3) if report.compacted else 0.0
        self._prune_cache(cache.get(), backend)
        return report

    def _intact_live(self, backend: Backend, kept: Survey, report: IngestReport) -> VersionInfo | None:
        """The live version, if it can be built on; a damaged one is reported and built anew."""
        report.damaged = [str(d) for d in kept.damaged]
        info = next((i for i in kept.complete if i.name == kept.live), None)
        if info is None:
            return None
        try:
            verify_version(backend, info)
        except DamagedError as exc:
            report.damaged.append(str(exc))
            return None
        return info

    def _chunker(self) -> Chunker:
        return Chunker(self.embedder.count_tokens, self.settings.chunking.max_tokens, self.embedder.max_tokens)

    def _embed(
        self, pending: list[tuple[SourceFile, dict[str, Any], list[Chunk]]], build: Build, opened: CacheForRun
    ) -> tuple[int, int]:
        """Vectors from the cache where the exact text was embedded before; the rest in batches. Each
        chunk's unit vectors (ingest.sentences) are stored beside them, for answers to score."""
        if not pending:
            return 0, 0
        model = self.settings.embedding.model
        cache = opened.get()
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
        unit_vectors = UnitVectors(self.embedder.encode)
        # One call for every unit text the facets and the stored matrices need: a sentence without a
        # role name or heading is the same text to both, embedded once.
        unit_vectors.prepare(
            [t for c, _ in flat for u in units(c.text) for t in (u.text, scored_text(u, " > ".join(c.headings)))]
        )
        primary, second = FacetTagger(unit_vectors).tag_both([c for c, _ in flat])
        tags = iter(zip(primary, second, strict=True))
        cache.put_many((units_key(h), unit_vectors.matrix(c.text, " > ".join(c.headings))) for c, h in flat)
        cache.settle()  # before the free-space check: the log's pages are room the new version may need
        for source, meta, chunks in pending:
            hashes = []
            for at, chunk in enumerate(chunks):
                digest = content_hash(model, chunk.embed_text)
                hashes.append(digest)
                build.ids.append(chunk_id(source.doc_id, chunk.position))
                build.embeddings.append(vectors[digest])
                build.documents.append(chunk.text)
                facets, also = next(tags)
                build.metadatas.append(
                    {
                        **meta,
                        "position": chunk.position,
                        "headings": " > ".join(chunk.headings),
                        "content_hash": digest,
                        "continued": at + 1 < len(chunks) and continued(chunk.text, chunks[at + 1].text),
                        # One per quotable unit, in ingest.chunking.units() order (Chroma refuses empty lists).
                        **({"facets": facets} if facets else {}),
                        # Each unit's second facet, "" for none (ingest.facets); left out when no unit has one.
                        **({"facets_also": also} if any(also) else {}),
                    }
                )
            build.docs[source.doc_id] = DocEntry(
                source.doc_id, source.file_hash, meta["title"], list(meta.get("roles", [])), hashes
            )
        return len(misses), len(flat) - len(misses)

    def _store_for_readers(
        self, cache: EmbeddingCache, build: Build, fp: str, view: Layers | None, live: VersionInfo | None
    ) -> None:
        """The new version's lexicon and keyword statistics, stored for the bot to read instead of building
        them at start (ingest.stored); a delta's from `live`'s, changed."""
        store_for_readers(
            cache,
            fp,
            build.docs,
            list(zip(build.ids, build.documents, build.metadatas, strict=True)),
            _records_of(view) if view is not None else None,
            live,
        )

    def _backfill_stored(self, cache: EmbeddingCache, backend: Backend, live: VersionInfo) -> None:
        """A live version ingested before they were stored gets them, once, from its records: the bot then
        stops building them at every start (the run with nothing to do is `make run`'s)."""
        backfill_for_readers(cache, backend, live)

    def _next_name(self, backend: Backend) -> str:
        """Above every name in use, the live pointer's included (its folder may be gone)."""
        numbers = [version_number(n) for n in backend.names()]
        live = survey(backend).live
        if live:
            numbers.append(version_number(live))
        return version_name(max(numbers, default=0) + 1)

    def _prune_cache(self, cache: EmbeddingCache, backend: Backend) -> None:
        infos = complete_versions(backend)
        chunks = {h for info in infos for d in info.documents.values() for h in d.chunk_hashes}
        keep = chunks | {units_key(h) for h in chunks}  # each chunk's vector and its units' (ingest.sentences)
        keep |= reader_keys(infos)  # each kept version's lexicon and keyword statistics, with their parts
        cache.prune(keep)
