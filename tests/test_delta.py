"""Delta versions (ingest.store.layers) on the real model and real Chroma, embedded and `chroma run`: a
one-article change writes only that article, reads as a full version would, and pruning still erases
deleted text (compaction); rollback, integrity checks and the size threshold."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from pathlib import Path

from ingest.embedding.factory import Embedder
from ingest.lexicon import article_key
from ingest.pipeline import Ingestor
from ingest.settings import Settings
from ingest.store.backend import make_backend
from ingest.store.compact import in_place
from ingest.store.index import KnowledgeIndex
from ingest.store.manifest import DocEntry, VersionInfo
from ingest.store.repair import inventory
from ingest.store.versions import rollback
from tests.conftest import MakeSettings
from tests.corpus import generate_corpus

QUESTIONS = [
    "What should a search committee ask a CTO candidate?",
    "How do we judge a CMIO's clinical credibility?",
    "What does a good first 90 days look like?",
    "How should the board assess culture fit?",
]
SECRET = "Zanzibar-quokka-marmalade"


def _setup(
    make_settings: MakeSettings, kb: Path, mode: str = "embedded", gate: bool = False, **store: object
) -> Settings:
    """The shipped articles and 10 generated ones (5-10 chunks each), deltas up to half the base."""
    generate_corpus(kb / "more", 10, seed=5)
    return make_settings(mode, store={"delta_share": 0.5, **store}, gate={"enabled": gate})


def _view(settings: Settings, embedder: Embedder) -> tuple[list[tuple[str, str]], list[list[str]], list[list[str]]]:
    """Every chunk (id, text), each question's dense hits, and its CTO-filtered hits, as readers see them."""
    index = KnowledgeIndex(settings, embedder)
    try:
        chunks = sorted((h.id, h.text) for h in index.chunks())
        hits = [[h.id for h in index.search(q, k=6)] for q in QUESTIONS]
        roles = [[h.id for h in index.search(q, k=4, roles=["CTO"])] for q in QUESTIONS]
        return chunks, hits, roles
    finally:
        index.close()


def _edit(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n## Addendum\n\n{text}\n", encoding="utf-8")


def _on_disk(settings: Settings, text: str) -> list[Path]:
    """Store files (versions, bases; not reader copies of this test's own processes) holding `text`."""
    found = []
    for sub in ("versions", "bases"):
        for path in (settings.store.path / sub).rglob("*"):
            if path.is_file() and text.encode() in path.read_bytes():
                found.append(path)
    return found


def test_one_change_writes_a_delta_that_reads_as_a_full_version(
    make_settings: MakeSettings, kb: Path, store_mode: str, embedder: Embedder
) -> None:
    settings = _setup(make_settings, kb, store_mode, gate=True)
    # The generated articles outrank the shipped ones on some gate questions: forced, the gate's results
    # are still computed, and the delta's (base and delta merged) must equal a full version's.
    first = Ingestor(settings, embedder).run(force=True)
    assert first.status == "activated" and first.written == "full", first.summary()
    _edit(kb / "more" / "article-00003.md", "A CTO should own the platform roadmap and the security posture.")
    (kb / "more" / "article-00007.md").unlink()

    second = Ingestor(settings, embedder).run(force=True)
    assert second.status == "activated", second.summary()
    assert second.written == f"delta over {first.version}", second.summary()
    backend = make_backend(settings)
    info = backend.info(str(second.version))
    backend.close()
    assert info is not None and info.base == first.version
    assert info.delta_docs == ["more/article-00003.md"]
    assert {t.rsplit("#", 1)[0] for t in info.tombstones} == {"more/article-00003.md", "more/article-00007.md"}
    assert "delta over" in second.summary() and "live after" in second.summary()
    as_delta = _view(settings, embedder)
    assert not any(i.startswith("more/article-00007.md") for i, _ in as_delta[0])
    assert any("platform roadmap" in t for _, t in as_delta[0])

    full = Ingestor(settings, embedder).run(rebuild=True, force=True)
    assert full.written == "full", full.summary()
    assert full.gate == second.gate  # the gate saw the delta exactly as readers see it
    assert _view(settings, embedder) == as_delta  # the same chunks, and the same neighbours in the same order


def test_past_the_share_a_full_version_is_written(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    settings = _setup(make_settings, kb, delta_share=0.01)
    Ingestor(settings, embedder).run()
    _edit(kb / "more" / "article-00003.md", "More about hiring.")
    report = Ingestor(settings, embedder).run()
    assert report.written == "full", report.summary()
    off = _setup(make_settings, kb, delta_share=0)
    _edit(kb / "more" / "article-00004.md", "More about hiring.")
    assert Ingestor(off, embedder).run().written == "full"


def test_pruning_compacts_the_base_and_erases_deleted_text(
    make_settings: MakeSettings, kb: Path, store_mode: str, embedder: Embedder
) -> None:
    settings = _setup(make_settings, kb, store_mode, keep_versions=2)
    _edit(kb / "more" / "article-00002.md", f"The old wording said {SECRET}.")
    v1 = Ingestor(settings, embedder).run()
    path = kb / "more" / "article-00002.md"
    path.write_text(path.read_text(encoding="utf-8").replace(SECRET, "something else"), encoding="utf-8")
    v2 = Ingestor(settings, embedder).run()  # delta over v1; v1 is kept (and shows the secret)
    assert v2.written.startswith("delta") and not v2.compacted
    backend = make_backend(settings)
    v2_info = backend.info(str(v2.version))
    backend.close()
    assert v2_info is not None and v2_info.tombstones
    if store_mode == "embedded":
        assert _on_disk(settings, SECRET)
    _edit(kb / "more" / "article-00005.md", "A third wording.")
    v3 = Ingestor(settings, embedder).run()  # v1 pruned, but v2 and v3 read it as their base: compacted
    assert v3.written == f"delta over {v1.version}", v3.summary()
    assert v3.compacted == [v1.version], v3.summary()
    assert "Compacted base" in v3.summary()
    backend = make_backend(settings)
    try:
        assert backend.names() == [v2.version, v3.version]
        (base,) = backend.base_names()
        sealed = backend.info(base)
        assert sealed is not None
        # Embedded: the base was copied and its hidden records deleted in place (ingest.store.erase); their
        # vectors stay in the vector index file, counted. Server mode writes the base again in full.
        assert sealed.dead == (len(set(v2_info.tombstones)) if store_mode == "embedded" else 0)
        for name in (v2.version, v3.version):
            info = backend.info(str(name))
            assert info is not None and info.base == base
            assert not any(t.startswith("more/article-00002.md") for t in info.tombstones)
    finally:
        backend.close()
    if store_mode == "embedded":
        assert _on_disk(settings, SECRET) == []
    now = _view(settings, embedder)
    assert not any(SECRET in t for _, t in now[0])
    assert rollback(settings) == v2.version
    index = KnowledgeIndex(settings, embedder)
    assert index.version().name == v2.version and len(index.search(QUESTIONS[0], k=3)) == 3
    assert not any("A third wording" in h.text for h in index.chunks())
    index.close()


def test_a_damaged_base_is_the_versions_damage(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    settings = _setup(make_settings, kb)
    v1 = Ingestor(settings, embedder).run()
    _edit(kb / "more" / "article-00003.md", "Changed.")
    v2 = Ingestor(settings, embedder).run()
    assert v2.written.startswith("delta")
    sqlite = settings.store.path / "versions" / str(v1.version) / "chroma.sqlite3"
    data = bytearray(sqlite.read_bytes())
    data[len(data) // 2] ^= 0xFF
    sqlite.write_bytes(bytes(data))
    from ingest.store.repair import inventory

    backend = make_backend(settings)
    found = inventory(backend, settings)
    backend.close()
    assert any(str(v2.version) in d and "base" in d for d in found.damaged), found.damaged
    repaired = Ingestor(settings, embedder).repair()
    assert repaired.ingest is not None and repaired.ingest.status == "activated", repaired.summary()
    assert repaired.ingest.written == "full"
    assert len(_view(settings, embedder)[0]) == repaired.ingest.chunks_total


def test_deletes_in_place_stay_within_the_share(make_settings: MakeSettings) -> None:
    """A base's records deleted in place (vectors left in its vector index) stay within store.delta_share
    of it: past that, compaction writes the base again in full, which leaves nothing of them."""
    settings = make_settings(store={"delta_share": 0.1})
    docs = {f"a{n}.md": DocEntry(f"a{n}.md", "h", "t", [], [f"c{n}-{i}" for i in range(10)]) for n in range(10)}
    base = VersionInfo("b000002", "m", 3, "f", "now", docs)  # 100 records
    backend = make_backend(settings)
    try:
        assert in_place(backend, settings, base, {f"a0.md#{i:04d}" for i in range(10)})
        assert not in_place(backend, settings, base, {f"a{n}.md#0000" for n in range(11)})
        tired = replace(base, dead=5)
        assert in_place(backend, settings, tired, {f"a0.md#{i:04d}" for i in range(5)})
        assert not in_place(backend, settings, tired, {f"a0.md#{i:04d}" for i in range(6)})
    finally:
        backend.close()


def test_list_says_which_versions_are_deltas_and_which_base_they_read(
    make_settings: MakeSettings, kb: Path, embedder: Embedder
) -> None:
    """Two added articles make two deltas with nothing hidden: the first full version is past keep_versions
    but kept as their base (nothing to compact), and `list` says so instead of showing one version too many."""
    settings = _setup(make_settings, kb, keep_versions=2)
    v1 = Ingestor(settings, embedder).run()
    (kb / "more" / "added-1.md").write_text("# Added one\n\nA CTO should own the platform roadmap.\n", "utf-8")
    v2 = Ingestor(settings, embedder).run()
    (kb / "more" / "added-2.md").write_text("# Added two\n\nA CMIO should own clinical safety.\n", "utf-8")
    v3 = Ingestor(settings, embedder).run()
    assert v3.written == f"delta over {v1.version}" and not v3.compacted, v3.summary()
    backend = make_backend(settings)
    try:
        rows = {r.name: r for r in inventory(backend, settings).versions}
        text = inventory(backend, settings).summary()
    finally:
        backend.close()
    assert rows[str(v1.version)].base_of == [v2.version, v3.version] and rows[str(v1.version)].base is None
    assert rows[str(v3.version)].base == v1.version and rows[str(v3.version)].hidden == 0
    assert rows[str(v3.version)].own_chunks == rows[str(v3.version)].chunks - rows[str(v1.version)].chunks
    assert f"delta over {v1.version}" in text and f"kept as the base of {v2.version}, {v3.version}" in text


def test_a_delta_stores_its_lexicon_when_a_shared_articles_part_is_gone(
    make_settings: MakeSettings, kb: Path, embedder: Embedder
) -> None:
    """A delta writes only the changed article's records; a shared article whose lexicon part is no longer
    in the cache is read from the store, so the delta still gets a stored lexicon (the bot reads it)."""
    settings = _setup(make_settings, kb)
    v1 = Ingestor(settings, embedder).run()
    backend = make_backend(settings)
    info = backend.info(str(v1.version))
    backend.close()
    assert info is not None
    entry = info.documents["more/article-00004.md"]
    with contextlib.closing(sqlite3.connect(settings.store.path / "embeddings.sqlite3")) as db:
        db.execute("DELETE FROM lexicons WHERE key = ?", (article_key(info.fingerprint, entry.file_hash),))
        db.commit()
    _edit(kb / "more" / "article-00003.md", "A CTO should own the platform roadmap.")
    v2 = Ingestor(settings, embedder).run()
    assert v2.written.startswith("delta"), v2.summary()
    index = KnowledgeIndex(settings, embedder)
    try:
        assert index.version().name == v2.version and index.stored_lexicon() is not None
    finally:
        index.close()
