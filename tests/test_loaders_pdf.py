"""PDF files: text and metadata, and the refusal of truncated, random, encrypted or textless ones."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest

from ingest.loaders.documents import load_document
from tests.loader_fixtures import assert_clean, load_error, pdf_bytes, write


def test_pdf_fixture_is_readable_by_pypdf() -> None:
    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes(["Hello PDF"])), strict=True)
    assert reader.pages[0].extract_text().strip() == "Hello PDF"


def test_pdf_text_and_metadata(tmp_path: Path) -> None:
    data = pdf_bytes(
        ["The CTO role\nRuns infrastructure (and more)", "Page two"],
        info={"Title": "CTO Guide", "Author": "Ann Author", "Subject": ""},
    )
    doc = load_document(write(tmp_path, "guide.pdf", data))
    assert doc.format == "pdf"
    assert doc.meta == {"title": "CTO Guide", "author": "Ann Author"}
    assert doc.text == "The CTO role\nRuns infrastructure (and more)\n\nPage two"


def test_pdf_empty_metadata_is_omitted(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "plain.pdf", pdf_bytes(["Text"], info={"Title": "  ", "Author": ""})))
    assert doc.meta == {}


def test_pdf_without_text(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "blank.pdf", pdf_bytes([""]))) == "no text could be extracted"


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.98])
def test_truncated_pdf(tmp_path: Path, keep: float) -> None:
    data = pdf_bytes(["Some text that will be cut"], info={"Title": "T"})
    reason = load_error(write(tmp_path, "cut.pdf", data[: int(len(data) * keep)]))
    assert reason.startswith("not a readable PDF: ")


def test_random_bytes_named_pdf(tmp_path: Path) -> None:
    noise = bytes((i * 7919 + 13) % 251 for i in range(20_000))
    assert load_error(write(tmp_path, "noise.pdf", noise)) == (
        "not a readable PDF: the file does not start with a PDF header"
    )
    assert load_error(write(tmp_path, "noise2.pdf", b"%PDF-1.7\n" + noise)).startswith("not a readable PDF: ")


def _encrypted_pdf(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf_bytes(["Secret text"]))))
    # RC4: pypdf handles it without the optional 'cryptography' package that AES needs.
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_encrypted_pdf(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "locked.pdf", _encrypted_pdf("secret"))) == "PDF is encrypted"


def test_pdf_with_only_an_owner_password_loads(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "restricted.pdf", _encrypted_pdf(""))).text == "Secret text"


def test_pdf_metadata_with_nul_and_surrogates_is_cleaned(tmp_path: Path) -> None:
    """pypdf decoded this hostile /Title as 'þÿØ\\x00\\x00A\\x00\\x00B'; the NULs reached Chroma's metadata."""
    data = pdf_bytes(["Hello there CTO"], info={"Title": "X", "Author": "Y"})
    data = data.replace(b"/Title (X)", b"/Title <FEFFD8000041000042>").replace(b"/Author (Y)", b"/Author (\x00\x01)")
    doc = load_document(write(tmp_path, "meta.pdf", data))
    assert "\x00" not in repr(doc.meta) and "author" not in doc.meta
    assert_clean(doc)
