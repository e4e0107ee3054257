"""A delta version's keyword statistics and lexicon are the live version's stored ones with the changed
articles swapped (ingest.keywords_merge, ingest.lexicon_merge), not merged from every article's part
again: they must be exactly what computing them from the version's chunks gives, after articles change,
are added and removed (the first one in doc_id order too, whose words then first appear elsewhere), and
when the live version's stored ones are gone from the cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ingest.embedding.cache import CacheReader
from ingest.embedding.factory import Embedder
from ingest.keywords import KeywordStats, chunk_terms, stored_keywords
from ingest.keywords import version_key as keywords_key
from ingest.lexicon import from_chunks, stored_lexicon
from ingest.lexicon_merge import tally_key
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store.index import KnowledgeIndex
from tests.conftest import MakeSettings
from tests.corpus import generate_corpus


def _stored_equal_computed(settings: Settings, embedder: Embedder) -> None:
    """The live version's stored statistics and lexicon against those computed from its chunks."""
    index = KnowledgeIndex(settings, embedder)
    reader = CacheReader(settings.store.path / "embeddings.sqlite3", settings.embedding.model)
    try:
        info = index.version()
        stats, words = stored_keywords(reader, info), stored_lexicon(reader, info)
        chunks = index.chunks()  # every chunk, in article order
    finally:
        reader.close()
        index.close()
    assert stats is not None and words is not None, "nothing stored for the live version"
    computed = KeywordStats.from_chunks([(h.id, h.text, h.metadata) for h in chunks])
    assert stats.to_bytes() == computed.to_bytes()  # ids, places, roles, vocabulary in order, idf, postings
    assert list(stats.idf.items()) == list(computed.idf.items())
    vocabulary = sorted(computed.idf)
    for query in (["cto", "cmio"], ["physician", "trust", "nosuchword"], vocabulary[::5], vocabulary[1::3]):
        assert np.array_equal(stats.scores(query), computed.scores(query))
    assert set(stats.idf) == {t for h in chunks for t in chunk_terms(h.text, h.metadata)}
    lexicon = from_chunks([h.text for h in chunks], [h.metadata for h in chunks])
    assert list(words.counts.items()) == list(lexicon.counts.items())  # the corrector's tie order too
    assert words.names == lexicon.names
    assert words.role_facets == lexicon.role_facets


def _no_full_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail if the ingest merges every article's part (the delta must start from the live version's)."""

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("merged every article's part for a delta")

    monkeypatch.setattr("ingest.stored.store_keywords", refuse)
    monkeypatch.setattr("ingest.stored.store_lexicon", refuse)


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n## Addendum\n\n{text}\n", encoding="utf-8")


def test_a_delta_stores_what_its_chunks_give(
    make_settings: MakeSettings, kb: Path, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_corpus(kb / "more", 10, seed=5)
    settings = make_settings(store={"delta_share": 0.9, "keep_versions": 3}, gate={"enabled": False})
    assert Ingestor(settings, embedder).run().written == "full"
    _stored_equal_computed(settings, embedder)

    with monkeypatch.context() as patched:
        _no_full_merge(patched)
        # The first article in doc_id order goes: the words and terms it held first now first appear in
        # an unchanged one (whose part gives their order); one article changes.
        first = sorted(p.relative_to(kb).as_posix() for p in kb.rglob("*.md") if p.name != "README.md")[0]
        (kb / first).unlink()
        _edit(kb / "more" / "article-00003.md", "A CTO should own the platform roadmap and quokka governance.")
        report = Ingestor(settings, embedder).run()
        assert report.written.startswith("delta") and report.removed == [first], report.summary()
        _stored_equal_computed(settings, embedder)

        # An article added before every other, and one cut in half (some of its terms are gone).
        generate_corpus(tmp_path / "extra", 1, seed=11)
        (kb / "added-first.md").write_text(
            next((tmp_path / "extra").glob("*.md")).read_text(encoding="utf-8"), encoding="utf-8"
        )
        cut = kb / "more" / "article-00001.md"
        text = cut.read_text(encoding="utf-8")
        cut.write_text(text[: len(text) // 2], encoding="utf-8")
        report = Ingestor(settings, embedder).run()
        assert report.written.startswith("delta") and report.added == ["added-first.md"], report.summary()
        _stored_equal_computed(settings, embedder)

    # The live version's stored statistics and tally gone from the cache: the next delta merges every part.
    index = KnowledgeIndex(settings, embedder)
    live = index.version()
    index.close()
    with sqlite3.connect(settings.store.path / "embeddings.sqlite3") as db:
        for key in (keywords_key(live.fingerprint, live.documents), tally_key(live.fingerprint, live.documents)):
            assert db.execute("DELETE FROM lexicons WHERE key = ?", (key,)).rowcount == 1
    _edit(kb / "more" / "article-00005.md", "Interim leaders bridge the gap.")
    report = Ingestor(settings, embedder).run()
    assert report.written.startswith("delta"), report.summary()
    _stored_equal_computed(settings, embedder)

    with monkeypatch.context() as patched:  # and stored them, with the tally: the next starts from them
        _no_full_merge(patched)
        _edit(kb / "more" / "article-00005.md", "Interim leaders bridge the gap, again.")
        (kb / "more" / "article-00008.md").unlink()
        assert Ingestor(settings, embedder).run().written.startswith("delta")
        _stored_equal_computed(settings, embedder)
