"""Crash safety and the writer lock, with real processes: SIGKILL an ingest at random moments and
check that the previous version keeps serving, then that one clean run completes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from ingest.settings import DATA_DIR_ENV, Settings
from ingest.store.backend import make_backend
from ingest.store.index import KnowledgeIndex
from tests.conftest import MakeSettings
from tests.corpus import generate_corpus


def ingest_cmd(settings: Settings) -> list[str]:
    config = settings.config_dir / "config.yaml"
    return [sys.executable, "-m", "ingest", "--config", str(config), "--json", "--no-progress"]


def env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", DATA_DIR_ENV: os.environ[DATA_DIR_ENV]}


def run_and_maybe_kill(settings: Settings, pause: float, served: str) -> str:
    """One ingest, SIGKILLed after `pause` seconds unless it finished first: the version it served if it
    finished and printed, else `served` unchanged."""
    proc = subprocess.Popen(ingest_cmd(settings), env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(pause)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    return str(json.loads(out)["version"]) if finished and out else served


def kill_at_random_moments(settings: Settings, embedder: Embedder, kb: Path, articles: int, kills: int) -> None:
    generate_corpus(kb, articles // 2, seed=7)
    first = Ingestor(settings, embedder).run()
    assert first.status == "activated", first.summary()
    generate_corpus(kb / "more", articles - articles // 2, seed=8)

    # How long a full run takes here, so the kills spread over start-up, embedding and writing.
    started = time.monotonic()
    probe = subprocess.run(ingest_cmd(settings), env=env(), capture_output=True, text=True, timeout=900)
    duration = time.monotonic() - started
    assert probe.returncode == 0, probe.stderr
    served = json.loads(probe.stdout)["version"]
    # Undo it: new articles again, so every killed run has real work to do.
    generate_corpus(kb / "more", articles - articles // 2, seed=9)

    rng = random.Random(20261122)
    for attempt in range(kills):
        served = run_and_maybe_kill(settings, rng.uniform(0.2, duration), served)
        backend = make_backend(settings)
        live = backend.live_name()
        if live != served:
            # Killed after the switch but before it could print: the new version must be complete.
            assert live is not None and live > served, f"kill {attempt}: live moved from {served} to {live}"
            assert backend.info(live) is not None, f"kill {attempt}: {live} went live incomplete"
            served = live
        backend.close()
        index = KnowledgeIndex(settings, embedder)
        hits = index.search("What should a search committee ask a CTO candidate?", k=3)
        assert len(hits) == 3 and index.version().name == served, f"kill {attempt}"
        index.close()

    done = subprocess.run(ingest_cmd(settings), env=env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    index = KnowledgeIndex(settings, embedder)
    chunks = index.chunks()
    ids = [h.id for h in chunks]
    assert len(ids) == len(set(ids)), "duplicate chunk ids"
    assert len(ids) == index.version().chunk_count == report["chunks_total"]
    assert len({h.doc_id for h in chunks}) == articles + 2
    index.close()
    backend = make_backend(settings)
    assert len(backend.names()) <= settings.store.keep_versions, backend.names()
    backend.close()


def test_kill_ingest_at_random_moments(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    settings = make_settings(gate={"enabled": False})
    kill_at_random_moments(settings, embedder, kb, articles=24, kills=3)


@pytest.mark.stress
@pytest.mark.timeout(3600)
def test_kill_ingest_300_articles_20_times(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    """Issue 6's long form: 20 kills (issue 2 asked for 10; the server form below keeps that)."""
    settings = make_settings(gate={"enabled": False})
    kill_at_random_moments(settings, embedder, kb, articles=300, kills=20)


@pytest.mark.stress
@pytest.mark.timeout(3600)
def test_kill_ingest_300_articles_10_times_server(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    settings = make_settings("server", gate={"enabled": False})
    kill_at_random_moments(settings, embedder, kb, articles=300, kills=10)


def test_a_second_ingest_refuses_at_once(make_settings: MakeSettings, embedder: Embedder) -> None:
    settings = make_settings()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from ingest.settings import load_settings\n"
            "from ingest.store.versions import writer_lock\n"
            "with writer_lock(load_settings(sys.argv[1])):\n"
            "    print('locked', flush=True)\n"
            "    time.sleep(60)\n",
            str(settings.config_dir / "config.yaml"),
        ],
        env=env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        out = subprocess.run(ingest_cmd(settings), env=env(), capture_output=True, text=True, timeout=60)
        refused_after = time.monotonic() - started
        # Issue 6 asks for a refusal within 1 s, process start included: the CLI takes the lock
        # before it imports the model or Chroma. Printed, not asserted (timings belong to make bench).
        print(f"second ingest refused after {refused_after:.2f} s")
        assert refused_after < 10, "the second ingest waited for the lock instead of refusing"
        assert out.returncode == 4
        assert "another ingest is already running" in out.stderr
        assert "Traceback" not in out.stderr
    finally:
        holder.kill()
        holder.wait()
    # The lock dies with its holder: the next run proceeds.
    out = subprocess.run(ingest_cmd(settings), env=env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr


def test_kill_during_delta_write_and_compaction(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    """A one-article change writes a delta and, from the third version on (keep 2), compacts the base
    after the switch: SIGKILL anywhere in that leaves a readable store with nothing damaged."""
    from ingest.store.repair import inventory

    settings = make_settings(gate={"enabled": False}, store={"keep_versions": 2, "delta_share": 0.5})
    paths = generate_corpus(kb / "more", 10, seed=11)

    def edit(n: int) -> None:
        path = paths[n % len(paths)]
        path.write_text(path.read_text(encoding="utf-8") + f"\n\nEdit {n}: the board asks again.\n", encoding="utf-8")

    assert Ingestor(settings, embedder).run().written == "full"
    edit(0)
    assert Ingestor(settings, embedder).run().written.startswith("delta")
    edit(1)
    started = time.monotonic()
    probe = subprocess.run(ingest_cmd(settings), env=env(), capture_output=True, text=True, timeout=900)
    duration = time.monotonic() - started
    assert probe.returncode == 0, probe.stderr
    report = json.loads(probe.stdout)
    assert report["written"].startswith("delta") and report["compacted"], report
    served = report["version"]

    rng = random.Random(20261206)
    for attempt in range(4):
        edit(2 + attempt)
        served = run_and_maybe_kill(settings, rng.uniform(0.5, duration), served)
        backend = make_backend(settings)
        live = backend.live_name()
        assert live is not None and live >= served, f"kill {attempt}: live moved from {served} to {live}"
        served = live
        found = inventory(backend, settings)
        assert found.damaged == [], f"kill {attempt}: {found.damaged}"
        backend.close()
        index = KnowledgeIndex(settings, embedder)
        assert len(index.search("What should a search committee ask a CTO candidate?", k=3)) == 3, f"kill {attempt}"
        assert index.version().name == served
        index.close()

    done = subprocess.run(ingest_cmd(settings), env=env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    index = KnowledgeIndex(settings, embedder)
    ids = [h.id for h in index.chunks()]
    assert len(ids) == len(set(ids)) == index.version().chunk_count
    assert sum(f"Edit {n}:" in h.text for h in index.chunks() for n in range(6)) == 6  # every edit is live
    index.close()
    backend = make_backend(settings)
    assert len(backend.names()) <= settings.store.keep_versions + 1, backend.names()  # + a base kept as base
    assert len(backend.base_names()) <= 1, backend.base_names()
    backend.close()
