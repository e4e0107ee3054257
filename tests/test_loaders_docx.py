"""DOCX files: headings, lists, tables, tracked changes and metadata; zip bombs and broken or foreign
archives refused."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from ingest.loaders.documents import LoadLimits, load_document
from tests.loader_fixtures import (
    MB,
    assert_clean,
    docx_bytes,
    load_error,
    sample_docx,
    spawned_fixture,  # noqa: F401
    write,
)


def test_docx_headings_lists_tables_and_metadata(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "guide.docx", docx_bytes(sample_docx)))
    assert doc.format == "docx"
    assert doc.meta == {"title": "CMIO Guide", "author": "Dee Author"}
    assert doc.text == (
        "# Hiring a CMIO\n\n"
        "A CMIO bridges clinicians and IT.\n\n"
        "- Clinical credibility\n"
        "- Change leadership\n\n"
        "## Reporting\n\n"
        "Role | Reports to\n"
        "CMIO | CIO"
    )
    assert_clean(doc)


def _word_xml(fragment: str) -> Any:
    """Parse a WordprocessingML fragment, declaring the w: namespace on its root element."""
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    return parse_xml(re.sub(r"^<(w:\w+)", lambda match: f"<{match.group(1)} {nsdecls('w')}", fragment, count=1))


def test_docx_tracked_changes_content_controls_and_direct_numbering(tmp_path: Path) -> None:
    """python-docx's Paragraph.text drops w:ins runs and iter_inner_content() skips w:sdt; we don't."""

    def build(document: Any) -> None:
        paragraph = document.add_paragraph("Kept ")
        paragraph._p.append(_word_xml('<w:ins w:id="1" w:author="a"><w:r><w:t>inserted</w:t></w:r></w:ins>'))
        paragraph._p.append(_word_xml('<w:del w:id="2" w:author="a"><w:r><w:delText>gone</w:delText></w:r></w:del>'))
        assert paragraph.text == "Kept "  # the python-docx behaviour worked around
        numbered = document.add_paragraph("Numbered without a list style")
        numbered._p.get_or_add_pPr().append(_word_xml('<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>'))
        body = document.element.body
        control = "<w:sdt><w:sdtContent><w:p><w:r><w:t>In a content control</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        body.insert(len(body) - 1, _word_xml(control))  # before the final w:sectPr

    doc = load_document(write(tmp_path, "tracked.docx", docx_bytes(build)))
    assert doc.text == "Kept inserted\n\n- Numbered without a list style\n\nIn a content control"


def test_docx_without_text(tmp_path: Path) -> None:
    path = write(tmp_path, "blank.docx", docx_bytes(lambda document: None))
    assert load_error(path) == "no text could be extracted"


def _declared_size_bomb() -> bytes:
    """A real DOCX whose central directory claims document.xml is ~4 GB uncompressed."""
    data = bytearray(docx_bytes(sample_docx))
    entry = data.find(b"PK\x01\x02")
    # Patch the "uncompressed size" field (offset 24) of every central-directory entry
    # that names word/document.xml.
    while entry != -1:
        name_length = int.from_bytes(data[entry + 28 : entry + 30], "little")
        if data[entry + 46 : entry + 46 + name_length] == b"word/document.xml":
            data[entry + 24 : entry + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        entry = data.find(b"PK\x01\x02", entry + 4)
    return bytes(data)


def test_docx_declared_size_bomb(tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    reason = load_error(write(tmp_path, "bomb.docx", _declared_size_bomb()))
    assert reason == "DOCX declares 4.0 GB uncompressed (zip bomb?), over the 200 MB limit"
    assert spawned == []  # refused before any parser ran


def test_docx_deflate_bomb_member_ratio(tmp_path: Path) -> None:
    """30 MB of zeros deflated to ~30 KB: under the total limit, over the 200:1 ratio."""
    path = tmp_path / "ratio.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (30 * MB))
    reason = load_error(path)
    assert reason.startswith("DOCX part 'word/document.xml' expands ")
    assert reason.endswith("(zip bomb?), over the 200:1 limit")


def test_docx_small_uncompressed_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "guide.docx", docx_bytes(sample_docx))
    reason = load_error(path, LoadLimits(max_uncompressed_bytes=10_000))
    assert reason.startswith("DOCX declares ") and reason.endswith(", over the 9.8 KB limit")


def test_not_a_docx(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "text.docx", b"just some text")).startswith(
        "not a readable DOCX: not a valid ZIP package"
    )
    old_word = write(tmp_path, "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert load_error(old_word) == "not a readable DOCX: this is an old Word .doc file; save it as .docx"
    other_zip = tmp_path / "other.docx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert load_error(other_zip) == "not a readable DOCX: the ZIP file is not a Word document"


def test_docx_with_broken_xml(tmp_path: Path) -> None:
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(sample_docx)))
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "word/document.xml":
                content = content[: len(content) // 2]
            archive.writestr(member, content)
    assert load_error(path).startswith("not a readable DOCX: ")


def test_docx_without_core_properties_has_no_invented_title(tmp_path: Path) -> None:
    """python-docx invents the title "Word Document" when docProps/core.xml is missing."""
    from tests.badfiles.docx_files import docx_document

    doc = load_document(write(tmp_path, "bare.docx", docx_document(["Just a paragraph."])))
    assert (doc.meta, doc.text) == ({}, "Just a paragraph.")
