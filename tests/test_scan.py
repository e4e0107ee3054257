"""Which files the scan takes: links are judged by where they really lead (ingest.scan resolves each
folder once and only links in full, so these cases pin that shortcut to the plain resolve it replaced)."""

from __future__ import annotations

from pathlib import Path

from ingest.scan import scan
from tests.conftest import MakeSettings

OUTSIDE = "a symbolic link to a file outside the knowledge folder; copy the file in instead"


def test_links_are_judged_by_where_they_lead(make_settings: MakeSettings, kb: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.md").write_text("# Private\n\nNot for the index.\n", encoding="utf-8")
    (kb / "sub").mkdir()
    (kb / "sub" / "inner.md").write_text("# Inner\n\nA CTO article.\n", encoding="utf-8")
    (kb / "linked-outside").symlink_to(outside, target_is_directory=True)
    (kb / "linked-inside").symlink_to(kb / "sub", target_is_directory=True)
    (kb / "alias.md").symlink_to(kb / "sub" / "inner.md")
    (kb / "sub" / "escape.md").symlink_to(outside / "private.md")

    files, _, refused = scan(make_settings())

    taken = {f.doc_id for f in files}
    reasons = {e.path: e.reason for e in refused}
    assert {"sub/inner.md", "alias.md"} <= taken
    assert reasons.get("sub/escape.md") == OUTSIDE
    assert not any(doc.startswith("linked-outside/") for doc in taken)
    for doc, reason in reasons.items():
        if doc.startswith("linked-outside/"):
            assert reason == OUTSIDE
