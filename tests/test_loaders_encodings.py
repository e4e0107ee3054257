"""Text encodings and cleaning: byte-order marks, UTF-16/32, invalid UTF-8 named by byte and offset, NULs,
lone surrogates, clean_text's rules, and one very long line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders.documents import LoadLimits, clean_text, load_document
from tests.loader_fixtures import MB, assert_clean, load_error, write


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "bom.txt", "\ufeffCaf\u00e9 au lait\r\nsecond line\r\n".encode()))
    assert doc.text == "Caf\u00e9 au lait\nsecond line"
    assert doc.meta == {} and doc.format == "text"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_bom(tmp_path: Path, codec: str) -> None:
    text = "CMIO hiring \u2014 na\u00efve r\u00e9sum\u00e9 \U0001f600"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data  # the -be codec writes no BOM itself
    assert load_document(write(tmp_path, "wide.md", data)).text == text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_refused(tmp_path: Path, codec: str) -> None:
    reason = load_error(write(tmp_path, "nobom.txt", "Hello, CIO. This is UTF-16.".encode(codec)))
    assert reason.startswith("not valid UTF-8 text")
    assert reason.endswith("save the file as UTF-8")


def test_invalid_utf8_names_byte_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.txt", "Caf\u00e9 ok".encode("latin-1"))
    assert load_error(path) == "not valid UTF-8 text (byte 0xe9 at offset 3); save the file as UTF-8"
    html = write(tmp_path, "page.html", b"<p>ok</p><p>\xff</p>")
    assert load_error(html) == "not valid UTF-8 text (byte 0xff at offset 12); save the file as UTF-8"


def test_nul_bytes_and_lone_surrogates_are_removed(tmp_path: Path) -> None:
    nul = load_document(write(tmp_path, "nul.txt", b"Chief\x00 Technology\x01 Officer\x00 role\n"))
    assert nul.text == "Chief Technology Officer role"
    # UTF-16 can carry an unpaired surrogate (a string cut mid-character by some tool).
    wide = ("\ufeffHigh \ud800 and low \udfff; pair \U0001f600 kept\x00").encode("utf-16-le", "surrogatepass")
    doc = load_document(write(tmp_path, "surrogate.md", wide))
    assert doc.text == "High  and low ; pair \U0001f600 kept"
    assert_clean(doc)


def test_clean_text_rules() -> None:
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x9ff\tg") == "abcdef\tg"
    assert clean_text("page one\x0cpage two") == "page one\npage two"
    assert clean_text("trailing   \nspaces\t \nkept") == "trailing\nspaces\nkept"
    assert clean_text("one\n\n\n\n\ntwo\n\n \n\nthree") == "one\n\ntwo\n\nthree"
    assert clean_text("\n\n  indented\n\n") == "  indented"
    assert clean_text("e\u0301") == "\u00e9"  # NFC
    assert clean_text("x\ud83d\ude00y\udc00z") == "x\U0001f600yz"  # halves rejoined, lone one dropped
    long_line = "word " * 30_000
    assert clean_text(long_line) == long_line.rstrip()


def test_ten_megabyte_single_line(tmp_path: Path) -> None:
    """Decision: over max_chars it fails cleanly by default; with a higher limit the line is kept whole."""
    path = write(tmp_path, "oneline.txt", "abcdefghi " * MB)
    reason = load_error(path)
    assert reason == "text is 10,485,759 characters, over the 2,000,000 character limit"
    doc = load_document(path, LoadLimits(max_chars=20_000_000))
    assert "\n" not in doc.text and len(doc.text) == 10 * MB - 1
