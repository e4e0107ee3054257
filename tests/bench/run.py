"""One bench run: every figure for each corpus size in turn, the targets judged, the report written.

Order within a corpus (each step's wall time lands in `phases_s`):
 1. build the corpus; 2. fresh in-process ingest (recording the texts it embeds); 3. raw encode of
 those texts; 4. our advisor, warmed (the in-process RSS is read here, before the peer loads);
 5. the peer's ingest; 6. ours / floor / peer latency, interleaved; 7. in-process no-change
 re-ingest; 8. the Telegram load; 9. fresh CLI ingest into a second store, then a no-change CLI
 run; 10. cold starts and the bot process on that store; 11. one article changed, re-ingested
 in-process and through the CLI.
"""

from __future__ import annotations

import functools
import gc
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.embedding.factory import Embedder
from ingest.settings import EmbeddingSettings
from tests.bench import curve
from tests.bench import report as rpt
from tests.bench.coldstart import cold_start, cold_start_llm
from tests.bench.corpora import Corpus, build_corpus, change_one_article, chunk_counts, product_config
from tests.bench.floor import Floor
from tests.bench.ingest_speed import ingest_cli, ingest_inprocess, raw_encode, reingest_inprocess
from tests.bench.latency import interleaved
from tests.bench.machine import git_commit, machine_facts
from tests.bench.measure import load_average, progress, ratio, rss_mb, stopwatch
from tests.bench.memory import bot_process_rss
from tests.bench.ours import ask, open_advisor
from tests.bench.peer import K as PEER_K
from tests.bench.peer import build_peer, peer_embeddings
from tests.bench.questions import Question, assert_distinct, questions_for
from tests.bench.raw import raw_model
from tests.bench.telegram_load import chat_load
from tests.bench.vectors import SentenceBank, generate_vectors, generated_embeddings


@dataclass(frozen=True)
class Profile:
    """How much of everything one run does; `make bench` is `quick`, `make bench-full` is `full`."""

    name: str
    sizes: tuple[str, ...]
    questions: int = 200
    raw_sample: int = 512
    """Texts for the raw encode figure: an even stride sample of the texts our ingest embedded."""
    cold_runs: int = 3
    bot_questions: int = 100
    """Questions the `python -m bot ask --jsonl` process answers for its peak RSS (0: skip)."""
    cli: bool = True
    """The CLI ingest runs (fresh, no change, one changed) into a store of their own; each is a new interpreter."""
    telegram: bool = True
    chats: int = 50
    questions_per_chat: int = 2
    raw: bool = True
    """Raw encode throughput beside the ingest's."""
    llm_cold: bool = True
    """Cold start in LLM mode too (against the fake model)."""
    one_changed_inprocess: bool = True
    one_changed_cli: bool | None = None
    """One changed article through the CLI; None: when `cli`. Without `cli` it runs on the in-process store."""
    generated_from: int | None = None
    """Generated corpora of at least this many articles get generated chunk vectors (tests/bench/vectors.py)."""
    curve: bool = False
    """Also write the scale curve: a Markdown table and a PNG plot beside the JSON report (tests/bench/curve.py)."""

    def generates(self, corpus: Corpus) -> bool:
        return corpus.generated and self.generated_from is not None and corpus.articles >= self.generated_from


PROFILES = {
    "quick": Profile("quick", ("kb", "300")),
    "full": Profile("full", ("kb", "300", "3000"), raw_sample=2048, bot_questions=200, questions_per_chat=4),
    # Issue 18 point 4: the curve to 30,000 articles, ours beside the peer and the floor. Only what the curve
    # shows is measured, and each size writes one new version (the one-changed CLI run on the in-process store).
    "scale": Profile(
        "scale",
        ("300", "3000", "30000"),
        bot_questions=100,
        cli=False,
        telegram=False,
        raw=False,
        llm_cold=False,
        one_changed_inprocess=False,
        one_changed_cli=True,
        generated_from=30000,
        curve=True,
    ),
}


class Phases:
    """Wall seconds of each step, and CPU seconds (the bench's threads plus its finished children),
    which tell how much of a slow step was our work and how much a busy machine."""

    def __init__(self, corpus: str) -> None:
        self.corpus = corpus
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}

    @staticmethod
    def _cpu() -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.process_time() + children.ru_utime + children.ru_stime

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        cpu = self._cpu()
        with stopwatch() as watch:
            yield
        self.seconds[name] = round(watch.wall_s, 2)
        self.cpu[name] = round(self._cpu() - cpu, 2)
        progress(f"{self.corpus}: {name} {watch.wall_s:.1f} s (cpu {self.cpu[name]:.1f} s)")


def _per_article(counts: dict[str, int]) -> dict[str, Any]:
    values = list(counts.values())
    return {
        "min": min(values, default=None),
        "max": max(values, default=None),
        "mean": round(statistics.mean(values), 2) if values else None,
        "outside_5_10": sum(1 for v in values if not 5 <= v <= 10),
    }


def run_corpus(size: str, profile: Profile, embedder: Embedder, workdir: Path) -> dict[str, Any]:
    """Every figure for one corpus size, in the order of the module docstring."""
    phase = Phases(size)
    figures: dict[str, Any] = {"load_average": {"start": load_average()}}
    with stopwatch() as total:
        with phase("corpus"):
            corpus = build_corpus(size, workdir)
            questions, spare = questions_for(corpus.name, corpus.knowledge, profile.questions, spare=400)
            assert_distinct(questions + spare)
        progress(f"{size}: {corpus.articles} articles, {len(questions)} distinct questions")
        if corpus.settings.embedding != embedder.settings:
            # The child processes (CLI, cold start, bot) follow the config; the bench's model was loaded once.
            progress(f"{size}: WARNING: config.yaml's embedding settings changed since the bench started")
        bank = None
        if profile.generates(corpus):
            with phase("generate_vectors"):
                bank, figures["vectors"] = generate_vectors(corpus, embedder, profile.cli)
        _ingest(corpus, profile, embedder, phase, figures)
        _warm(corpus, profile, embedder, phase, figures, questions, spare, bank)
        _processes(corpus, profile, phase, figures, questions)
        with phase("one_changed"):
            figures["ingest"]["one_changed"] = _one_changed(corpus, embedder, profile)
    phase.seconds["total"] = round(total.wall_s, 1)
    figures["phases_s"] = phase.seconds
    figures["phases_cpu_s"] = phase.cpu
    figures["load_average"]["end"] = load_average()
    return {
        "name": size,
        "embedding": corpus.settings.embedding.model_dump(mode="json"),
        "articles": corpus.articles,
        "chunks": figures["ingest"]["inprocess"]["chunks_total"],
        "generated": corpus.generated,
        "vectors": "generated" if bank is not None else "encoded",
        "gate": corpus.settings.gate.enabled,
        "figures": figures,
        "targets": rpt.judge(figures),
    }


def _ingest(corpus: Corpus, profile: Profile, embedder: Embedder, phase: Phases, figures: dict[str, Any]) -> None:
    """Fresh in-process ingest, then raw encode on the texts it embedded."""
    with phase("ingest_inprocess"):
        inproc, texts = ingest_inprocess(corpus.settings, embedder)
    counts = _per_article(chunk_counts(corpus.settings))
    figures["chunks_per_article"] = counts if corpus.generated else {**counts, "note": "shipped articles"}
    progress(
        f"{corpus.name}: ingest {inproc['chunks_embedded']} chunks embedded, {inproc['chunks_reused']} from the "
        f"cache, in {inproc['seconds']:.1f} s ({inproc['chunks_per_s']} chunks/s)"
    )
    if not profile.raw:
        figures["ingest"] = {"inprocess": inproc, "raw_encode": None}
        return
    with phase("raw_encode"):
        raw = raw_encode(embedder, texts, profile.raw_sample)
    progress(f"{corpus.name}: raw encode {raw['chunks_per_s']} chunks/s")
    # Compared per text encoded, not per chunk: besides the chunks the ingest encodes each sentence and
    # list item once, for its facet (ingest.facets), and raw encode samples those same texts.
    # The same ratio by CPU seconds per text (the bench's threads plus the writer process), which a
    # busy machine distorts far less than wall time: a check on the wall-time ratio, not the target.
    cpu_per_text = phase.cpu["ingest_inprocess"] / max(1, inproc["texts_encoded"])
    raw_cpu_per_text = phase.cpu["raw_encode"] / max(1, raw["texts"])
    figures["ingest"] = {
        "inprocess": inproc,
        "raw_encode": raw,
        "inprocess_over_raw": ratio(inproc["texts_per_s"], raw["texts_per_s"]),
        "inprocess_over_raw_by_cpu": ratio(raw_cpu_per_text, cpu_per_text),
    }


def _warm(
    corpus: Corpus,
    profile: Profile,
    embedder: Embedder,
    phase: Phases,
    figures: dict[str, Any],
    questions: list[Question],
    spare: list[Question],
    bank: SentenceBank | None,
) -> None:
    """The in-process figures on a warm advisor: latency beside floor and peer, no-change re-ingest, Telegram.
    With a sentence bank (generated vectors), the peer stores generated vectors too."""
    with phase("advisor_warmup"):
        advisor = open_advisor(corpus.settings, embedder)
    gc.collect()
    figures["memory"] = {
        "bot_inprocess_rss_mb": rss_mb(),
        "note": "in-process figures are the bench process's RSS: the warm advisor plus the bench's own raw "
        "model (and, after the first corpus, the peer's); memory.bot_process is the bot alone",
    }
    with phase("peer_ingest"):
        documents = generated_embeddings(bank, peer_embeddings()) if bank is not None else None
        peer = build_peer(corpus.knowledge, corpus.root / "peer", documents)
        peer.warm_up()
    figures["peer_ingest"] = peer.figures
    try:
        floor = Floor(advisor, advisor.settings.advisor.k)
        floor.warm_up()
        with phase("answers"):
            runners: dict[str, Callable[[Question], float]] = {
                "ours": functools.partial(ask, advisor),
                "floor": floor.ask,
                "peer": peer.ask,
            }
            answers = interleaved(questions, runners)
        answers.update(floor_n_results=floor.n_results, peer_k=PEER_K)
        figures["answer"] = answers
        progress(
            f"{corpus.name}: p50 ours {answers['ours']['p50_ms']} ms, floor {answers['floor']['p50_ms']} ms, "
            f"peer {answers['peer']['p50_ms']} ms"
        )
        with phase("nochange_inprocess"):
            figures["ingest"]["nochange"] = {"inprocess": reingest_inprocess(corpus.settings, embedder)}
        with phase("telegram"):
            if profile.telegram:
                figures["telegram"] = chat_load(
                    corpus.settings, advisor, spare, profile.chats, profile.questions_per_chat
                )
            else:
                figures["telegram"] = {"available": False, "reason": "skipped by the profile"}
        figures["memory"]["bench_process_rss_mb"] = rss_mb()
    finally:
        advisor.index.close()
        peer.close()
    gc.collect()


def _processes(
    corpus: Corpus, profile: Profile, phase: Phases, figures: dict[str, Any], questions: list[Question]
) -> None:
    """Process-level figures: the CLI ingest (fresh, then no change) into its own store, then cold
    starts and the bot process on that store (on the in-process store if the profile skips the CLI)."""
    served = corpus.config
    if profile.cli:
        with phase("ingest_cli"):
            cli, _ = ingest_cli(corpus)
        cli["chunks_per_s"] = round(cli["chunks_embedded"] / cli["wall_s"], 2)
        cli["texts_per_s"] = round(figures["ingest"]["inprocess"]["texts_encoded"] / cli["wall_s"], 2)
        figures["ingest"]["cli"] = cli
        raw = figures["ingest"]["raw_encode"]
        figures["ingest"]["cli_over_raw"] = ratio(cli["texts_per_s"], raw["texts_per_s"]) if raw else None
        figures["memory"]["ingest_cli"] = {k: cli[k] for k in ("maxrss_mb", "peak_tree_mb")}
        with phase("nochange_cli"):
            figures["ingest"]["nochange"]["cli"], _ = ingest_cli(corpus)
        served = corpus.cli_config
    if profile.cold_runs:
        with phase("coldstart"):
            figures["coldstart"] = cold_start(corpus, served, questions, profile.cold_runs)
        if profile.llm_cold:
            with phase("coldstart_llm"):
                figures["coldstart_llm"] = cold_start_llm(
                    corpus, served, questions, profile.cold_runs, figures["coldstart"]
                )
    if profile.bot_questions:
        with phase("bot_process"):
            figures["memory"]["bot_process"] = bot_process_rss(corpus, served, questions[: profile.bot_questions])


def _one_changed(corpus: Corpus, embedder: Embedder, profile: Profile) -> dict[str, Any]:
    """One article edited: the in-process store re-ingests it, then the CLI's own store does (both see one
    change). Without a CLI store of its own, the CLI re-ingests the in-process store after a further edit."""
    out: dict[str, Any] = {}
    rounds = 0
    if profile.one_changed_inprocess:
        rounds += 1
        out["article"] = change_one_article(corpus, rounds)
        out["inprocess"] = reingest_inprocess(corpus.settings, embedder)
    if profile.cli if profile.one_changed_cli is None else profile.one_changed_cli:
        if not profile.cli or not rounds:
            rounds += 1
            out["article"] = change_one_article(corpus, rounds)
        out["cli"], _ = ingest_cli(corpus, None if profile.cli else corpus.config)
        out["cli"]["store"] = "cli" if profile.cli else "inprocess"
    return out


def load_embedder() -> Embedder:
    """The bench process's one model, warmed, as the bot and the ingest load it from config.yaml."""
    embedder = Embedder(EmbeddingSettings.model_validate(product_config().get("embedding") or {}))
    embedder.embed_query("warm up")
    return embedder


def run_bench(
    profile: Profile,
    out: Path,
    *,
    sizes: tuple[str, ...] | None = None,
    embedder: Embedder | None = None,
    workdir: Path | None = None,
    keep: bool = False,
) -> dict[str, Any]:
    """Run every size of the profile (or `sizes`), writing the report after each corpus."""
    started = time.perf_counter()
    with stopwatch() as wall:
        report: dict[str, Any] = {
            "machine": {},
            "profile": profile.name,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "sizes": list(sizes or profile.sizes),
            "corpora": [],
        }
        progress(f"profile {profile.name}: sizes {', '.join(report['sizes'])}")
        embedder = embedder or load_embedder()
        if profile.raw:
            raw_model()  # raw encode's model, and the peer's: loaded once, before any timing
        peer_embeddings()
        report["machine"] = machine_facts()
        report["machine"]["embedding_backend"] = getattr(embedder, "backend", "torch")
        report["machine"]["embedding_settings"] = embedder.settings.model_dump(mode="json")
        own_dir = workdir is None
        root = Path(tempfile.mkdtemp(prefix="hiring-advisor-bench-")) if workdir is None else workdir
        try:
            for size in report["sizes"]:
                corpus = run_corpus(size, profile, embedder, root)
                report["corpora"].append(corpus)
                report["wall_s"] = round(time.perf_counter() - started, 1)
                print(rpt.table({**report, "corpora": [corpus]}), file=sys.stderr, flush=True)
                _write(report, out, profile)
                if not keep:
                    shutil.rmtree(root / f"corpus-{size}", ignore_errors=True)
        finally:
            if own_dir and not keep:
                shutil.rmtree(root, ignore_errors=True)
    report["wall_s"] = round(wall.wall_s, 1)
    report["machine"]["load_average_at_end"] = load_average()
    _write(report, out, profile)
    return report


def _write(report: dict[str, Any], out: Path, profile: Profile) -> None:
    """The JSON report, and with a curve profile its rows in it, a Markdown table and a PNG beside it."""
    if profile.curve:
        report["curve"] = curve.rows(report)
    rpt.write_report(report, out)
    if profile.curve:
        md, png = curve.write_curve(report, out)
        progress(f"curve: {md}, {png}")
