"""Malformed, hostile and weird-but-valid files (issue 6) through one ingest run: 500+ generated files
(tests/badfiles/) and files whose names cannot become article ids, put straight into the knowledge folder.

No crash; a refused file gets one specific line naming the problem in the ingest report and changes nothing
in the live index (its version id and the hash of its sorted (id, document hash) set); an accepted file
reaches the index clean and without hidden HTML text; the parser workers stay within
knowledge.parse_memory_mb.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from tests import badfiles
from tests.badfiles import BadFile
from tests.conftest import KNOWLEDGE
from tests.malformed_checks import assert_clean, assert_one_line, config_with_parse_limits, snapshot_store
from tests.malformed_fixtures import files_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(600)


class PeakRss:
    """Samples this process's RSS every 10 ms in a thread: the ingest process's peak over a block."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / 2**20


# ------------------------------------------------------------------------------------- the generator


def test_generator_is_deterministic_and_covers_every_kind(files: list[BadFile]) -> None:
    again = badfiles.generate()
    assert [(f.name, hashlib.sha256(f.data).hexdigest()) for f in files] == [
        (f.name, hashlib.sha256(f.data).hexdigest()) for f in again
    ]
    counts = badfiles.kinds(files)
    assert len(files) >= 500, counts
    assert set(counts) >= {
        "pdf_truncated", "pdf_random", "pdf_broken_xref", "pdf_huge_stream", "pdf_encrypted", "docx_bomb",
        "docx_overlap", "docx_nodoc", "docx_badxml", "utf8_invalid", "utf16_nobom", "nul_bytes",
        "lone_surrogates", "long_line", "html_hidden", "empty", "whitespace", "front_matter_only",
        "yaml_bad", "binary_md",
    }  # fmt: skip
    assert sum(len(f.data) >= 10 * 2**20 for f in files) >= 5  # the 10 MB single lines


# ---------------------------------------------------------------------------------- one ingest run


def test_every_bad_file_through_one_ingest(
    tmp_path: Path, embedder: Embedder, files: list[BadFile], record_property: Any
) -> None:
    """All 500+ files in the knowledge folder for one in-process ingest (the CLI's Ingestor).

    The weird-but-valid files go in first, with the shipped articles (each file is parsed once: an
    unchanged article is copied, not re-read). Then every refused file and a few bad names join
    them, and the run that sees all of them must leave the live version exactly as it was.
    """
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    settings = config_with_parse_limits(tmp_path, knowledge)
    accepted = {f.name: f for f in files if f.accept}
    refused = {f.name: f for f in files if not f.accept}
    for f in accepted.values():
        f.write(knowledge)
    first = Ingestor(settings, embedder).run()
    assert first.status == "activated" and not first.errors, first.summary()
    assert set(first.added) == set(accepted) | {p.name for p in KNOWLEDGE.glob("*.md") if p.name != "README.md"}
    before = snapshot_store(settings)
    assert_clean(before, files)
    text_of: dict[str, str] = {}
    for text, meta in zip(before.texts, before.metas, strict=True):
        text_of[str(meta["doc_id"])] = text_of.get(str(meta["doc_id"]), "") + "\n" + text
    for name, f in accepted.items():
        missing_words = [word for word in f.visible if word not in text_of[name]]
        assert not missing_words, (name, missing_words)

    for f in refused.values():
        f.write(knowledge)
    hostile = _hostile_names_on_disk(knowledge, tmp_path / "outside")
    started = time.monotonic()
    with PeakRss() as rss:
        report = Ingestor(settings, embedder).run()
    seconds = time.monotonic() - started
    after = snapshot_store(settings)

    assert report.status == "unchanged" and sorted(report.unchanged) == sorted(first.added), report.summary()
    assert (after.version, after.digest) == (before.version, before.digest)
    errors = {e.path: e.reason for e in report.errors}
    unexpected = {name: reason for name, reason in errors.items() if name not in refused and name not in hostile}
    assert not unexpected, f"refused but expected to load: {unexpected}"
    assert not sorted(set(refused) - set(errors)), "expected to be refused, but loaded"
    wrong = {name: errors[name] for name, f in refused.items() if not re.search(f.reason, errors[name])}
    assert not wrong, f"refused for an unexpected reason: {wrong}"
    for name, reason in hostile.items():
        assert errors.get(name) == reason, (name, errors.get(name))
    for reason in errors.values():
        assert_one_line(reason)
    summary_lines = report.summary().splitlines()
    assert sum(line.startswith("ERROR ") for line in summary_lines) == len(errors)

    limit = settings.knowledge.parse_memory_mb
    peaks = {kind: max(first.parser_peak_mb.get(kind, 0), report.parser_peak_mb.get(kind, 0)) for kind in MEMORY_KINDS}
    assert all(0 < peak <= limit for peak in peaks.values()), peaks
    assert rss.growth_mb <= limit, f"the ingest process grew by {rss.growth_mb:.0f} MB"
    counts = badfiles.kinds(files)
    summary = (
        f"{len(files)} files ({len(accepted)} accepted, {len(refused)} refused) + {len(hostile)} bad names; "
        f"ingest of all {seconds:.1f} s; parser peaks {peaks} MB (limit {limit}); "
        f"ingest process +{rss.growth_mb:.0f} MB; kinds {counts}"
    )
    record_property("malformed_ingest", summary)
    print(summary)


MEMORY_KINDS = ("pdf", "docx", "html")


def _hostile_names_on_disk(knowledge: Path, outside: Path) -> dict[str, str]:
    """Files put straight into the folder (not uploaded) whose names cannot become article ids."""
    outside.mkdir()
    secret = outside / "secret-notes.md"
    secret.write_text("# Private\n\nPRIVATE_NOTES_TEXT about the CTO.\n", encoding="utf-8")
    body = b"# Title\n\nA valid CTO article body.\n"
    (knowledge / "linked-secret.md").symlink_to(secret)
    (knowledge / "dangling.md").symlink_to(outside / "missing.md")  # not a file: skipped silently
    raw = os.fsencode(knowledge) + b"/latin1-caf\xe9.md"
    with open(raw, "wb") as handle:
        handle.write(body)
    (knowledge / "new\nline.md").write_bytes(body)
    (knowledge / "report\u202egpj.md").write_bytes(body)
    link = "a symbolic link to a file outside the knowledge folder; copy the file in instead"
    direction = "file name contains control or text-direction characters; rename the file"
    return {
        "linked-secret.md": link,
        "latin1-caf\\xe9.md": "file name is not valid UTF-8; rename the file",
        "new\\u000aline.md": direction,
        "report\\u202egpj.md": direction,
    }
