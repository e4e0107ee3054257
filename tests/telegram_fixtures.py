"""The fixtures of the tests/test_telegram*.py modules, which import them by their function names
(pytest finds a fixture by the name it is registered under, so the import is all a module needs)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ingest.embedding.factory import Embedder
from ingest.logs import redactor
from tests.telegram_harness import SAID_IN_TESTS, SECRET_HALF, TOKEN, LogCapture, Running, World, make_world, running

# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module", name="logs")
def logs_fixture() -> Iterator[LogCapture]:
    """DEBUG logs of the whole module, through the production redaction filter (as setup_logging installs it).

    Every logger is at DEBUG already: tests/conftest.py sets that for the whole suite (tests/logcheck.py).
    """
    capture = LogCapture()
    capture.addFilter(redactor())
    root = logging.getLogger()
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)


@pytest.fixture(scope="module", name="world")
def world_fixture(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, logs: LogCapture) -> Iterator[World]:
    """One ingested knowledge base per test module (ingesting takes seconds; tests undo what they add)."""
    w = make_world(tmp_path_factory.mktemp("telegram"), embedder)
    yield w
    w.advisor.index.close()


@pytest.fixture(name="bot")
async def bot_fixture(world: World, tmp_path: Path) -> AsyncIterator[Running]:
    """A polling bot with a fresh state file and a fresh emulator, for one test."""
    async with running(world, tmp_path / "state.sqlite3") as r:
        yield r


@pytest.fixture(autouse=True, name="clean_logs")
def clean_logs_fixture(logs: LogCapture) -> Iterator[None]:
    """After each test: what it logged holds no token (nor half of one), and users' words only at DEBUG."""
    logged = len(logs.lines)
    yield
    for line_ in logs.lines[logged:]:
        assert TOKEN not in line_ and SECRET_HALF not in line_, line_
        if not line_.startswith("DEBUG"):
            assert not any(text in line_ for text in SAID_IN_TESTS), line_
