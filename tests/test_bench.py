"""The bench's pieces on a 5-article corpus with 20 questions, so `make test` keeps `make bench` from rotting.

Everything `make bench` does runs here except the slow process-level repeats: the CLI ingests are
off, one cold start instead of three, and the `bot ask --jsonl` memory run is skipped (both use
the same process runner as the cold start); the stress form (`make stress`) runs those too. The
figures themselves are not judged: a tiny corpus on a busy test machine says nothing about targets.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ingest.embedding.factory import Embedder
from tests.bench.curve import COLUMNS
from tests.bench.questions import generated_questions, kb_questions
from tests.bench.report import CORPUS_KEYS, REPORT_KEYS, TARGETS, table
from tests.bench.run import PROFILES, Profile, run_bench
from tests.bench.telegram_load import available
from tests.conftest import KNOWLEDGE


def test_questions_are_distinct_and_deterministic() -> None:
    kb = kb_questions(KNOWLEDGE / "golden.yaml", 200)
    generated = generated_questions(300)
    for questions in (kb, generated):
        keys = [q.key() for q in questions]
        assert len(set(keys)) == len(keys)
    assert generated == generated_questions(300)
    assert any(q.history for q in kb), "golden follow-ups keep their history"


SMOKE = Profile(
    "smoke",
    ("5",),
    questions=20,
    raw_sample=64,
    cold_runs=1,
    bot_questions=0,
    cli=False,
    telegram=available(),
    chats=4,
    questions_per_chat=1,
)


def test_bench_runs_end_to_end_on_a_tiny_corpus(tmp_path: Path, embedder: Embedder) -> None:
    check_report(tmp_path, embedder, SMOKE)


@pytest.mark.stress
@pytest.mark.timeout(1800)
def test_bench_with_every_process_figure(tmp_path: Path, embedder: Embedder) -> None:
    """The CLI ingests and the bot process too, on the shipped articles (gate on) and 5 generated ones."""
    report = check_report(tmp_path, embedder, replace(SMOKE, sizes=("kb", "5"), cli=True, bot_questions=5))
    for corpus in report["corpora"]:
        figures = corpus["figures"]
        assert figures["ingest"]["cli"]["status"] == "activated"
        assert figures["ingest"]["nochange"]["cli"]["status"] == "unchanged"
        assert figures["ingest"]["one_changed"]["cli"]["chunks_embedded"] >= 1
        assert figures["memory"]["ingest_cli"]["maxrss_mb"] > 50
        assert figures["memory"]["bot_process"]["maxrss_mb"] > 50
        assert all(t["holds"] is not None for t in corpus["targets"][:5])


def check_report(tmp_path: Path, embedder: Embedder, profile: Profile) -> dict[str, Any]:
    out = tmp_path / "report.json"
    run_bench(profile, out, embedder=embedder, workdir=tmp_path / "work")
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(REPORT_KEYS) <= set(report)
    assert {"cpu_count", "cpu_model", "ram_gb", "python", "torch", "chromadb", "sentence_transformers"} <= set(
        report["machine"]
    )
    assert [c["name"] for c in report["corpora"]] == list(profile.sizes)
    corpus = report["corpora"][-1]
    assert set(CORPUS_KEYS) <= set(corpus)
    assert corpus["articles"] == 5 and corpus["chunks"] >= 25
    figures = corpus["figures"]
    assert figures["chunks_per_article"]["outside_5_10"] == 0
    assert figures["answer"]["questions"] == 20
    for name in ("ours", "floor", "peer"):
        assert figures["answer"][name]["n"] == 20 and figures["answer"][name]["p50_ms"] > 0
    assert figures["ingest"]["inprocess"]["texts_source"] == "recorded"
    assert figures["ingest"]["raw_encode"]["chunks_per_s"] > 0
    assert figures["ingest"]["one_changed"]["inprocess"]["chunks_embedded"] >= 1
    assert figures["coldstart"]["median_s"] > 0
    llm = figures["coldstart_llm"]
    assert llm["median_s"] > 0
    if "extractive" in figures["coldstart"]["modes"]:  # a question the articles answer reaches the model
        assert llm["model_calls"] >= 1 and "llm" in llm["modes"], llm["modes"]
    assert figures["peer_ingest"]["chunks"] > 0
    assert [t["name"] for t in corpus["targets"]] == [t.name for t in TARGETS]
    if profile.telegram:
        assert figures["telegram"]["lost"] == 0
    assert not list((tmp_path / "work").glob("corpus-*")), "corpora are removed after the run"
    assert "cold start to first answer" in table(report)
    return report


def test_scale_profile_writes_its_curve(tmp_path: Path, embedder: Embedder) -> None:
    """The scale profile at 5 and 20 articles, the 20 with generated vectors: the report's curve rows, the
    Markdown table and the PNG. Shape only, no timing (a tiny corpus on a busy machine says nothing). One
    cold start and one changed article per size; the bot's RSS run is the cold start's runner with more
    questions (test_bench_with_every_process_figure runs it), so it is left out here."""
    profile = replace(
        PROFILES["scale"], sizes=("5", "20"), questions=5, cold_runs=1, bot_questions=0, generated_from=20
    )
    out = tmp_path / "scale.json"
    run_bench(profile, out, embedder=embedder, workdir=tmp_path / "work")
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [c["vectors"] for c in report["corpora"]] == ["encoded", "generated"]
    generated = report["corpora"][1]
    assert generated["figures"]["vectors"]["chunks"] == generated["chunks"] >= 100
    assert generated["figures"]["ingest"]["inprocess"]["chunks_embedded"] == 0, "every chunk came from the cache"
    assert generated["figures"]["peer_ingest"]["vectors"] == "generated"
    assert [r["articles"] for r in report["curve"]] == [5, 20]
    for row in report["curve"]:
        assert set(row) == {header for header, _, _ in COLUMNS}
        for figure in ("ours p50 ms", "peer p50 ms", "floor p95 ms", "cold start s (median)", "one changed, CLI s"):
            assert row[figure] > 0, figure
        assert row["bot RSS MB"] is None, "not measured: shown as a dash"
    for corpus in report["corpora"]:
        changed = corpus["figures"]["ingest"]["one_changed"]["cli"]
        assert changed["store"] == "inprocess" and changed["chunks_embedded"] >= 1 and changed["status"] == "activated"
    table_md = out.with_suffix(".md").read_text(encoding="utf-8")
    assert table_md.count("\n| 5 |") == 1 and "| 20 |" in table_md and "generated vectors" in table_md
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
