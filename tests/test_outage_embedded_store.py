"""Embedded mode: the live version's folder vanishing or its manifest unreadable gives users the same clear
"temporarily unavailable" as a server outage (exit code 5 from `python -m bot ask`), and serving resumes with
no restart once it is back.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import cli as bot_cli
from bot.answer.advisor import Advisor
from bot.settings import Settings
from ingest.embedding.factory import Embedder
from ingest.errors import StoreUnavailableError
from ingest.store.index import KnowledgeIndex
from tests.outage_fixtures import CTO_Q
from tests.telegram_harness import World, make_world

pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("outage-embedded"), embedder)
    yield w
    w.advisor.index.close()


def test_embedded_live_version_gone_or_unreadable(
    embedded: World, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    settings: Settings = embedded.settings
    serving = embedded.advisor
    assert serving.ask_sync(CTO_Q).in_scope
    folder = settings.store.path / "versions" / embedded.live()
    aside = folder.with_name(".aside")

    folder.rename(aside)
    try:
        # A reader already serving keeps its private copy: no outage at all for it.
        assert serving.ask_sync(CTO_Q).in_scope
        fresh = Advisor(settings, KnowledgeIndex(settings, embedder))
        with pytest.raises(StoreUnavailableError, match="is missing from the store"):
            fresh.ask_sync(CTO_Q)
        capsys.readouterr()
        assert bot_cli.main(["ask", CTO_Q, "--config", str(embedded.root / "config.yaml")]) == 5
        assert capsys.readouterr().err.splitlines() == [
            f"error: the knowledge base is temporarily unavailable: the live version {folder.name} "
            "is missing from the store; no intact kept version to serve"
        ]
    finally:
        aside.rename(folder)
    assert fresh.ask_sync(CTO_Q).in_scope  # back, with no restart

    # Unreadable: the manifest is not a file we can read (as root, chmod would not stop us).
    manifest = folder / "VERSION.json"
    saved = manifest.read_bytes()
    manifest.unlink()
    manifest.mkdir()
    other = KnowledgeIndex(settings, embedder)
    try:
        with pytest.raises(StoreUnavailableError, match="cannot be read"):
            other.version()
    finally:
        manifest.rmdir()
        manifest.write_bytes(saved)
    assert other.version().name == embedded.live()
    other.close()
    fresh.index.close()
