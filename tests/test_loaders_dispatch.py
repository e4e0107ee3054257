"""Which files the loaders take, and what they refuse before parsing: suffixes, empty or blank files,
sizes over the limits, missing files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.loaders.documents import SUPPORTED_SUFFIXES, LoadLimits, load_document
from tests.loader_fixtures import MB, load_error, write


def test_supported_suffixes() -> None:
    assert {".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".docx"} == SUPPORTED_SUFFIXES


def test_unsupported_suffix(tmp_path: Path) -> None:
    reason = load_error(write(tmp_path, "notes.xyz", "text"))
    assert reason.startswith("unsupported format '.xyz'; supported: ")
    assert ".docx" in reason and ".md" in reason
    assert load_error(write(tmp_path, "README", "text")).startswith("file has no extension; supported: ")


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "NOTES.TXT", "Hello")).format == "text"
    assert load_document(write(tmp_path, "Post.MarkDown", "# Hi\n\nThere")).format == "markdown"


def test_empty_and_blank_files(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "empty.md", b"")) == "file is empty"
    assert load_error(write(tmp_path, "blank.txt", " \n\t\n\n  \r\n")) == "no text could be extracted"


def test_over_limit_file_small_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", "x" * 1000)
    assert load_error(path, LoadLimits(max_bytes=100)) == "file is 1000 bytes, over the 100 bytes limit"


def test_over_limit_file_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as handle:  # sparse: 25.3 MB on paper, nothing on disk
        handle.truncate(int(25.3 * MB))

    def no_open(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an oversized file must not be opened")

    monkeypatch.setattr(Path, "open", no_open)
    assert load_error(path) == "file is 25.3 MB, over the 20 MB limit"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert load_error(tmp_path / "gone.md") == "cannot read file: No such file or directory"
    (tmp_path / "folder.md").mkdir()
    assert load_error(tmp_path / "folder.md") == "not a regular file"


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        LoadLimits(max_chars=0)


@pytest.mark.parametrize("text", ["\u200b\u200b", ". . . - * _", "-----", "\u00ad\u200d\u2060", "😀😀"])
def test_text_without_letters_or_digits_is_refused(tmp_path: Path, text: str) -> None:
    assert load_error(write(tmp_path, "blank.md", text)) == "no text could be extracted"
