"""The running bot opens a new live version in the background (bot.telegram.follow), so the first
question after an ingest does not pay for it: no version opened, no keyword statistics or lexicon read
while it is answered. Asserted on what was built when, not on timing (the bench times it)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import bot.answer.lexicon as lexicon_module
import ingest.store.index as index_module
from bot.answer.advisor import Advisor
from bot.telegram.follow import follow_live
from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from ingest.store.index import KnowledgeIndex
from tests.conftest import MakeSettings

QUESTION = "What should a CTO own?"
CTO = "cto-role-bonnie-siegel.md"


def _counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count each opening of a version, reading of its keyword statistics and building of its lexicon."""
    built: Counter[str] = Counter()

    def wrap(owner: Any, name: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            built[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)

    wrap(KnowledgeIndex, "_open")
    wrap(index_module, "stored_keywords")
    wrap(lexicon_module, "build_lexicon")
    return built


def _new_version(kb: Path, settings: Any, embedder: Embedder, n: int) -> str:
    with open(kb / CTO, "a", encoding="utf-8") as fh:
        fh.write(f"\n\nEdit {n}: a CTO should own the platform roadmap.\n")
    report = Ingestor(settings, embedder).run()
    assert report.status == "activated", report.summary()
    return str(report.version)


@pytest.fixture
def warm(
    make_settings: MakeSettings, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, KnowledgeIndex, Advisor, Counter[str]]]:
    """A built store, its index and an advisor that has answered once; then what each version opening builds."""
    settings = make_settings(gate={"enabled": False})
    Ingestor(settings, embedder).run()
    index = KnowledgeIndex(settings, embedder)
    try:
        advisor = Advisor(settings, index)
        advisor.ask_sync(QUESTION)
        yield settings, index, advisor, _counting(monkeypatch)
    finally:
        index.close()


def test_the_first_answer_after_a_switch_builds_nothing_once_followed(
    warm: tuple[Any, KnowledgeIndex, Advisor, Counter[str]], kb: Path, embedder: Embedder
) -> None:
    settings, index, advisor, built = warm
    # Without following, the first question after the switch opens the version and reads its parts.
    name = _new_version(kb, settings, embedder, 1)
    advisor.ask_sync(QUESTION)
    assert index.version().name == name
    assert built == {"_open": 1, "stored_keywords": 1, "build_lexicon": 1}

    # Followed (what the bot's background task does), the first question builds nothing.
    built.clear()
    name = _new_version(kb, settings, embedder, 2)
    advisor.follow_live()
    assert built == {"_open": 1, "stored_keywords": 1, "build_lexicon": 1}
    built.clear()
    answer = advisor.ask_sync(QUESTION)
    assert index.version().name == name and answer.in_scope
    assert built == {}, "the first answer after the switch built what the follow should have"


def test_the_bots_background_task_follows_a_new_version(
    warm: tuple[Any, KnowledgeIndex, Advisor, Counter[str]], kb: Path, embedder: Embedder
) -> None:
    settings, _, advisor, built = warm

    async def run() -> None:
        task = asyncio.create_task(follow_live(advisor, every_s=0.05))
        try:
            await asyncio.to_thread(_new_version, kb, settings, embedder, 1)
            deadline = time.monotonic() + 30
            while built["build_lexicon"] < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(run())
    assert built == {"_open": 1, "stored_keywords": 1, "build_lexicon": 1}, "followed with no question asked"
    built.clear()
    advisor.ask_sync(QUESTION)
    assert built == {}


def test_one_answer_reads_one_version(
    warm: tuple[Any, KnowledgeIndex, Advisor, Counter[str]], kb: Path, embedder: Embedder
) -> None:
    """Inside a pin (each answer holds one) a version that goes live is not read; the next answer reads it.
    The new version's text ("platform roadmap") is the proof of which one an answer quoted."""
    settings, index, _, _ = warm
    before = index.version().name
    with index.pinned():
        name = _new_version(kb, settings, embedder, 1)
        assert index.version().name == before
        assert all("platform roadmap" not in h.text for h in index.search("Who owns the platform roadmap?", 8))
        with index.pinned():  # a pin inside a pin keeps the outer one
            assert index.version().name == before
    assert index.version().name == name != before
    assert any("platform roadmap" in h.text for h in index.search("Who owns the platform roadmap?", 8))
