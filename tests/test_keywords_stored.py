"""The keyword statistics (BM25's terms, idf and postings, each chunk's place and roles) are computed at
ingest and stored (ingest.keywords): a bot process reads them, and reads only the chunks an answer
needs, instead of reading and tokenising every chunk at start. They must be exactly what the start used
to build, and a version ingested before they were stored must still answer, building them as before."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bot.answer.advisor import Advisor
from bot.settings import Settings
from ingest.embedding.cache import CacheReader
from ingest.embedding.factory import Embedder
from ingest.keywords import KeywordStats, chunk_terms, stored_keywords
from ingest.pipeline import Ingestor
from ingest.store.index import KnowledgeIndex
from ingest.store.layers import Layers
from tests.stored_copies import opened_copy

QUESTIONS = (
    "What should I look for in a CTO?",  # a role: role-filtered dense and keyword search
    "What is SFIA?",  # a rare exact term: keyword search finds it
    "What experiance should a CMIO have?",  # a typo
    "How does a CMIO work with physicians?",
)


def test_the_stored_statistics_are_the_ones_the_start_computed(built: tuple[Settings, Advisor]) -> None:
    settings, advisor = built
    index = advisor.index
    reader = CacheReader(settings.store.path / "embeddings.sqlite3", settings.embedding.model)
    try:
        found = stored_keywords(reader, index.version())
    finally:
        reader.close()
    assert found is not None, "the ingest stored no keyword statistics for the live version"
    stored = index.keywords()
    assert stored.ids == found.ids and list(stored.idf.items()) == list(found.idf.items())
    chunks = index.chunks()  # every chunk, in article order: what the start used to read and tokenise
    computed = KeywordStats.from_chunks([(h.id, h.text, h.metadata) for h in chunks])
    assert stored.ids == computed.ids == [h.id for h in chunks]
    assert stored.places == [(h.doc_id, int(h.metadata["position"])) for h in chunks]
    assert stored.roles == [list(h.metadata.get("roles") or []) for h in chunks]
    assert list(stored.idf.items()) == list(computed.idf.items())  # same terms, same order, same floats
    vocabulary = sorted({t for h in chunks for t in chunk_terms(h.text, h.metadata)})
    assert set(stored.idf) == set(vocabulary)
    for query in (["cto", "sfia"], ["physician", "trust", "nosuchword"], vocabulary[::7]):
        assert np.array_equal(stored.scores(query), computed.scores(query))


def test_an_answer_reads_only_the_chunks_it_needs(
    built: tuple[Settings, Advisor], embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, advisor = built
    fresh = KnowledgeIndex(settings, embedder)  # a new process's index: nothing read yet
    try:

        def every_chunk(self: KnowledgeIndex) -> list[object]:
            raise AssertionError("answering read every chunk of the version")

        monkeypatch.setattr(KnowledgeIndex, "chunks", every_chunk)
        answers = [Advisor(settings, fresh).ask_sync(q).text for q in QUESTIONS]
        monkeypatch.undo()
        assert answers == [advisor.ask_sync(q).text for q in QUESTIONS]
    finally:
        fresh.close()


def test_after_the_whole_version_is_read_answers_read_no_chunk_again(
    built: tuple[Settings, Advisor], embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/sources reads every chunk once; the answers after it find each chunk by id among those."""
    settings, _ = built
    index = KnowledgeIndex(settings, embedder)
    try:
        every = index.chunks()

        def no_request(*_: object, **__: object) -> object:
            raise AssertionError("a chunk was requested again after the whole version was read")

        monkeypatch.setattr(Layers, "get", no_request)
        answers = [Advisor(settings, index).ask_sync(q) for q in QUESTIONS]
        assert all(a.in_scope for a in answers)
        assert {h.id for h in index.search("executive presence", k=3, roles=["CTO"])} <= {h.id for h in every}
    finally:
        monkeypatch.undo()
        index.close()


def test_damaged_stored_statistics_are_computed_instead(
    built: tuple[Settings, Advisor], embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, advisor = built
    with opened_copy(settings, tmp_path, embedder, damage=True) as (damaged, index):
        with caplog.at_level(logging.INFO, logger="ingest"):
            answers = [Advisor(damaged, index).ask_sync(q).text for q in QUESTIONS]
        assert any("cannot be read" in r.message for r in caplog.records)
        assert answers == [advisor.ask_sync(q).text for q in QUESTIONS]


def test_a_version_without_stored_statistics_still_answers(
    built: tuple[Settings, Advisor], embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, advisor = built
    with opened_copy(settings, tmp_path, embedder) as (old, index):
        upgraded = Advisor(old, index)
        with caplog.at_level(logging.INFO, logger="ingest.store.index"):
            answers = [upgraded.ask_sync(q).text for q in QUESTIONS]
        said = [r for r in caplog.records if "no stored keyword statistics" in r.message]
        assert len(said) == 1, "computed at start, and said so once"
        assert answers == [advisor.ask_sync(q).text for q in QUESTIONS]
        # The next ingest, with nothing changed, stores them: upgraded stores start fast from then on.
        Ingestor(old, embedder).run()
        again = KnowledgeIndex(old, embedder)
        try:
            with caplog.at_level(logging.INFO, logger="ingest.store.index"):
                caplog.clear()
                assert list(again.keywords().idf.items()) == list(index.keywords().idf.items())
            assert not [r for r in caplog.records if "no stored keyword statistics" in r.message]
        finally:
            again.close()
