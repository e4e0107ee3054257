"""The fixtures of the malformed-file tests, which import them by their function names (pytest finds a fixture
by the name it is registered under): the generated files (tests/badfiles/), and a world with a running bot."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer.advisor import Advisor
from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from ingest.store.index import KnowledgeIndex
from tests import badfiles
from tests.badfiles import BadFile
from tests.conftest import KNOWLEDGE
from tests.malformed_checks import config_with_parse_limits
from tests.telegram_harness import ADMIN_ID, Running, World, running


@pytest.fixture(scope="module", name="files")
def files_fixture() -> list[BadFile]:
    return badfiles.generate()


def _make_world(root: Path, embedder: Embedder) -> World:
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    settings = config_with_parse_limits(root, root / "knowledge", admin_ids=[ADMIN_ID], stream_edit_interval_s=0.05)
    report = Ingestor(settings, embedder).run()
    assert report.status == "activated", report.summary()
    return World(root, settings, Advisor(settings, KnowledgeIndex(settings, embedder)))


@pytest.fixture(scope="module", name="world")
def world_fixture(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[World]:
    w = _make_world(tmp_path_factory.mktemp("malformed"), embedder)
    yield w
    w.advisor.index.close()


@pytest.fixture(name="bot")
async def bot_fixture(world: World, tmp_path: Path) -> Iterator[Running]:
    async with running(world, tmp_path / "state.sqlite3") as r:
        yield r
