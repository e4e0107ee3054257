"""The fixtures of the server-mode outage tests (tests/test_outage_*.py), which import them by their function
names: a `chroma run` of their own that the tests kill (the session's shared one stays up for other tests),
that server kept running between tests, and the shipped knowledge base ingested into it with an advisor."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
import yaml

from bot.answer.advisor import Advisor
from bot.settings import load_settings
from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from ingest.store.index import KnowledgeIndex
from tests.conftest import KNOWLEDGE, ROOT, ChromaServer, write_config
from tests.telegram_harness import ADMIN_ID, World

CTO_Q = "What should I look for in a CTO?"
"""A question the knowledge base answers, asked before and after an outage."""


@pytest.fixture(scope="module", name="server")
def server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    """Our own `chroma run`, which these tests kill; the session's shared one is never touched."""
    srv = ChromaServer(tmp_path_factory.mktemp("outage-chroma"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(name="up")
def up_fixture(server: ChromaServer) -> ChromaServer:
    """The server, running (a failed test may have left it down)."""
    if server.proc is None or server.proc.poll() is not None:
        server.start()
    return server


@pytest.fixture(scope="module", name="world")
def world_fixture(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, server: ChromaServer
) -> Iterator[World]:
    """The shipped knowledge base ingested into our server, and an advisor reading it (server mode)."""
    root = tmp_path_factory.mktemp("outage")
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["store"].update(
        path=str(root / "store"),
        mode="server",
        host="127.0.0.1",
        port=server.port,
        collection_prefix=f"outage-{os.getpid()}",
        refresh_seconds=0.5,  # the tests wait this long for the live-version lookup to be due again
    )
    data["knowledge"]["dir"] = str(root / "knowledge")
    data["gate"]["questions_file"] = str(root / "knowledge" / "golden.yaml")
    data["telegram"]["admin_ids"] = [ADMIN_ID]
    settings = load_settings(write_config(root / "config.yaml", data))
    result = Ingestor(settings, embedder).run()
    assert result.status == "activated", result.summary()
    w = World(root, settings, Advisor(settings, KnowledgeIndex(settings, embedder)))
    yield w
    w.advisor.index.close()
