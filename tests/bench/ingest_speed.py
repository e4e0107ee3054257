"""Ingest throughput: our pipeline in-process and through its CLI, beside raw encode throughput on
exactly the chunk texts the pipeline embedded, plus no-change and one-article-changed re-ingests.

The in-process run gets a warmed model through a thin Embedder subclass that records the texts it
is asked to embed and how long the model took; those texts (minus the gate's probe questions) are
what the raw `SentenceTransformer.encode` runs on, with the same batch size and normalisation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ingest.chunking import Chunker
from ingest.describe import describe
from ingest.embedding.factory import Embedder
from ingest.gate import gate_questions
from ingest.loaders.documents import LoadLimits, load_document
from ingest.pipeline import Ingestor
from ingest.report import IngestReport
from ingest.scan import scan
from ingest.settings import Settings
from tests.bench.corpora import Corpus
from tests.bench.measure import ratio, stopwatch
from tests.bench.process import ProcessRun, python_m, run_process
from tests.bench.raw import raw_model

T = TypeVar("T")


class RecordingEmbedder(Embedder):
    """The bench's loaded model, recording what the pipeline embeds and how long the model takes."""

    def __init__(self, base: Embedder) -> None:
        # Not super().__init__(): share whatever the base keeps (the loaded model, its lock) instead,
        # so there is no second load and the pipeline uses the very model object the bench warmed.
        self.__dict__.update(base.__dict__)
        self.texts: list[str] = []
        self.encode_s = 0.0
        self._depth = 0

    def _record(self, call: Callable[[list[str]], T], texts: list[str]) -> T:
        if self._depth:  # embed_documents -> encode: count the outer call only
            return call(texts)
        self._depth += 1
        started = time.perf_counter()
        try:
            return call(texts)
        finally:
            self._depth -= 1
            self.encode_s += time.perf_counter() - started
            self.texts.extend(texts)

    def encode(self, texts: Sequence[str]) -> Any:
        return self._record(super().encode, list(texts))

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._record(super().embed_documents, texts)


def _report_figures(report: IngestReport, wall_s: float, cpu_s: float) -> dict[str, Any]:
    return {
        "status": report.status,
        "seconds": round(wall_s, 3),
        "cpu_s": round(cpu_s, 3),
        "chunks_embedded": report.chunks_embedded,
        "chunks_reused": report.chunks_reused,
        "chunks_total": report.chunks_total,
        "changed": len(report.changed) + len(report.added) + len(report.removed),
    }


def ingest_inprocess(settings: Settings, embedder: Embedder) -> tuple[dict[str, Any], list[str]]:
    """A fresh ingest with the warmed model; returns its figures and the texts it embedded: the chunks,
    and the sentences and list items their facets are voted from (ingest.facets)."""
    recorder = RecordingEmbedder(embedder)
    with stopwatch() as watch:
        report = Ingestor(settings, recorder).run()
    if report.status != "activated":
        raise RuntimeError(f"in-process ingest: {report.summary()}")
    probes = {q.question for q in gate_questions(settings.gate)} if settings.gate.enabled else set()
    texts = [t for t in recorder.texts if t not in probes]
    source = "recorded"
    if len(texts) < report.chunks_embedded:
        # The pipeline embedded some other way than embed_documents: rebuild the texts as it makes them.
        texts, source = chunk_texts(settings, embedder), "re-chunked"
    figures = _report_figures(report, watch.wall_s, watch.cpu_s)
    figures.update(
        chunks_per_s=round(report.chunks_embedded / watch.wall_s, 2),
        texts_encoded=len(texts),
        texts_per_s=round(len(texts) / watch.wall_s, 2),
        encode_s=round(recorder.encode_s, 3),
        encode_share=ratio(recorder.encode_s, watch.wall_s),
        texts_source=source,
    )
    return figures, texts


def chunk_texts(settings: Settings, embedder: Embedder) -> list[str]:
    """The texts the pipeline embeds for every article, made the way the pipeline makes them."""
    limits = LoadLimits(max_bytes=1 << 30, parse_timeout_s=60, parse_memory_mb=2048)
    chunker = Chunker(embedder.count_tokens, settings.chunking.max_tokens, embedder.max_tokens)
    files = scan(settings)[0]
    texts: list[str] = []
    for source in files:
        doc = load_document(source.path, limits)
        texts += [c.embed_text for c in chunker.chunk(doc.text, describe(doc, source)["title"])]
    return texts


def raw_encode(embedder: Embedder, texts: list[str], sample: int) -> dict[str, Any]:
    """Raw SentenceTransformer.encode throughput on the same texts (an even stride sample if `sample` is
    smaller), with our configured batch size and normalisation."""
    step = max(1, -(-len(texts) // sample)) if sample > 0 else 1
    chosen = texts[::step]
    model = raw_model()
    with stopwatch() as watch:
        model.encode(chosen, batch_size=embedder.settings.batch_size, normalize_embeddings=True, convert_to_numpy=True)
    return {
        "texts": len(chosen),
        "of_texts": len(texts),
        "seconds": round(watch.wall_s, 3),
        "cpu_s": round(watch.cpu_s, 3),
        "chunks_per_s": round(len(chosen) / watch.wall_s, 2),
        "texts_per_s": round(len(chosen) / watch.wall_s, 2),
        "mean_chars": round(sum(len(t) for t in chosen) / max(1, len(chosen))),
    }


def reingest_inprocess(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    with stopwatch() as watch:
        report = Ingestor(settings, embedder).run()
    if report.status not in ("activated", "unchanged"):
        raise RuntimeError(f"in-process re-ingest: {report.summary()}")
    return _report_figures(report, watch.wall_s, watch.cpu_s)


def ingest_cli(corpus: Corpus, config: Path | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """`python -m ingest --config ... --json` (the CLI's own store unless `config` says otherwise): its wall
    time and memory, and its own JSON report."""
    run: ProcessRun = run_process(
        python_m("ingest", "--config", config or corpus.cli_config, "--json", "--no-progress"), corpus.env()
    ).check()
    report: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    figures = run.figures()
    figures.update(
        status=report["status"],
        chunks_embedded=report["chunks_embedded"],
        chunks_reused=report["chunks_reused"],
        chunks_total=report["chunks_total"],
        pipeline_s=report["seconds"],
    )
    return figures, report
