"""The lexicon (the articles' names, the typo corrector's words, each role's facets) is computed at ingest
and stored (ingest.lexicon): a bot process reads it instead of building it from every chunk at start.
It must be exactly what the start used to build, and a version ingested before it was stored must
still answer, building it as before."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.answer.advisor import Advisor
from bot.answer.lexicon import build_lexicon
from bot.answer.spelling import Speller
from bot.settings import Settings
from ingest.embedding.factory import Embedder
from ingest.lexicon import kb_names, word_counts
from ingest.pipeline import Ingestor
from ingest.store.index import KnowledgeIndex
from tests.conftest import MakeSettings
from tests.stored_copies import opened_copy


def test_the_stored_lexicon_is_the_one_the_start_computed(built: tuple[Settings, Advisor]) -> None:
    _, advisor = built
    index = advisor.index
    stored = index.stored_lexicon()
    assert stored is not None, "the ingest stored no lexicon for the live version"
    # What every bot process computed at start before: the chunks in article order, then the bylines.
    chunks = index.chunks()
    bylines = {str(h.metadata.get(k) or "") for h in chunks for k in ("author", "publisher")}
    texts = [h.text for h in chunks] + sorted(b for b in bylines if b and b != "Unknown author")
    assert stored.names == kb_names(texts)
    assert {"david raths", "witt/kieffer", "sfia", "bonnie siegel", "96"} <= stored.names
    # The same words in the same order: the corrector breaks ties between equally common words by it.
    assert list(stored.counts.items()) == list(word_counts(texts).items())
    facets: dict[str, set[str]] = {}
    for hit in chunks:
        for role in hit.metadata.get("roles") or []:
            facets.setdefault(str(role), set()).update(str(f) for f in hit.metadata.get("facets") or [])
    assert {r: set(f) for r, f in stored.role_facets.items()} == {r: f for r, f in facets.items() if f}
    # And so the bot's lexicon: the corrector's candidates in the same order.
    lexicon = build_lexicon(index, index.version().name)
    old = Speller.from_texts(texts, index.embedder.vocabulary())
    assert (lexicon.speller.words, lexicon.speller.known, lexicon.speller.english) == (
        old.words,
        old.known,
        old.english,
    )


QUESTIONS = (
    "What experiance should a CMIO have?",  # a typo: the corrector
    "What does Witt/Kieffer say about CTOs?",  # an article's name: never declined
    "Who should a CTO report to?",
)


def test_a_version_without_a_stored_lexicon_still_answers(
    built: tuple[Settings, Advisor], embedder: Embedder, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings, advisor = built
    with opened_copy(settings, tmp_path, embedder) as (old, index):
        assert index.stored_lexicon() is None
        upgraded = Advisor(old, index)
        with caplog.at_level(logging.INFO, logger="bot.answer.lexicon"):
            answers = [upgraded.ask_sync(q).text for q in QUESTIONS]
        said = [r for r in caplog.records if r.name == "bot.answer.lexicon" and "no stored lexicon" in r.message]
        assert len(said) == 1, "computed at start, and said so once"
        assert answers == [advisor.ask_sync(q).text for q in QUESTIONS]
        # The next ingest, with nothing changed, stores it: upgraded stores start fast from then on.
        Ingestor(old, embedder).run()
        assert index.stored_lexicon() is not None


def test_a_deleted_articles_names_leave_the_disk(make_settings: MakeSettings, kb: Path, embedder: Embedder) -> None:
    """The stored lexicon holds the articles' words and names: once the versions that had an article are
    pruned, its names are gone from every file of the store."""
    marker = "Zebulon Quartermaine"
    (kb / "extra.md").write_text(
        f"---\ntitle: Hiring a CTO, again\nauthor: {marker}\n---\n\n# Notes\n\n"
        f"{marker} of Quillfeather Partners says a CTO should own the architecture.\n",
        encoding="utf-8",
    )
    settings = make_settings(store={"keep_versions": 2}, gate={"enabled": False})
    Ingestor(settings, embedder).run()
    index = KnowledgeIndex(settings, embedder)
    stored = index.stored_lexicon()
    index.close()
    assert stored is not None and {marker.lower(), "quillfeather partners"} <= stored.names
    (kb / "extra.md").unlink()
    Ingestor(settings, embedder).run()
    Ingestor(settings, embedder).run(rebuild=True)  # pushes the last version that had it out
    needles = [marker.encode(), marker.lower().encode(), b"quillfeather"]
    leftovers = [p for p in settings.store.path.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]
    assert leftovers == []
