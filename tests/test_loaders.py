"""Loaders on files generated in tmp_path: encodings, front matter, HTML boilerplate, and the
PDF/DOCX sandbox's limits (timeouts, memory, zip bombs) that protect the bot from hostile uploads."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import psutil
import pypdf
import pytest
import yaml

from ingest.loaders import protocol, sandbox
from ingest.loaders.documents import (
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    LoadError,
    LoadLimits,
    clean_text,
    load_document,
)
from ingest.loaders.pool import ParserPool

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


# ------------------------------------------------------------------------------- helpers


def load_error(path: Path, limits: LoadLimits | None = None) -> str:
    """Load a file that must fail; return the reason after checking it is one clean line."""
    with pytest.raises(LoadError) as info:
        load_document(path, limits or LoadLimits())
    reason = info.value.reason
    assert reason == str(info.value)
    assert reason and "\n" not in reason and "\r" not in reason
    assert len(reason) < 300
    return reason


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def assert_clean(doc: LoadedDocument) -> None:
    """What every loader promises: clean, non-empty, JSON-serialisable output."""
    assert doc.text.strip()
    assert doc.text == clean_text(doc.text)
    doc.text.encode("utf-8")  # no lone surrogates
    assert "\x00" not in doc.text
    json.dumps(doc.meta)


def pdf_bytes(pages: list[str], info: dict[str, str] | None = None, pad: int = 0) -> bytes:
    """A minimal PDF written by hand (correct xref offsets) with one text line per input line.

    ``pad`` appends that many spaces to the first page's content stream, Flate-compressed:
    a few KB on disk that pypdf must expand and scan.
    """
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for number, text in enumerate(pages):
        ops = [b"BT /F1 12 Tf 72 720 Td 14 TL"]
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(b"(" + escaped.encode("latin-1") + b") Tj T*")
        ops.append(b"ET")
        stream = b"\n".join(ops)
        header = b"<< /Length %d >>"
        if pad and number == 0:
            stream = zlib.compress(stream + b" " * pad, 9)
            header = b"<< /Length %d /Filter /FlateDecode >>"
        objects.append(header % len(stream) + b"\nstream\n" + stream + b"\nendstream")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects)
        )
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1 + (1 if info else 0))
    if info:
        entries = b" ".join(b"/%s (%s)" % (key.encode(), value.encode("latin-1")) for key, value in info.items())
        objects.append(b"<< " + entries + b" >>")
        trailer += b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def docx_bytes(build: Callable[[Any], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """Record every sandbox child started during the test."""
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def spy(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc: subprocess.Popen[bytes] = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(subprocess, "Popen", spy)
    return started


def assert_gone(proc: subprocess.Popen[bytes]) -> None:
    """The child was killed and reaped: no orphan, no zombie."""
    assert proc.returncode is not None
    with pytest.raises(ProcessLookupError):
        os.kill(proc.pid, 0)


# ----------------------------------------------------------------------- dispatch, sizes


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


# --------------------------------------------------------------------- encodings, cleaning


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


# ------------------------------------------------------------------------------ markdown


def test_markdown_front_matter_with_roles_string(tmp_path: Path) -> None:
    source = (
        "---\n"
        'title: "Hiring a CMIO"\n'
        "author: Ann Smith\n"
        "roles: cto, cmio\n"
        "published: 2015-01-16\n"
        "tags: [hiring, leadership]\n"
        "---\n"
        "\n"
        "# Hiring a CMIO\n"
        "\n"
        "Body text.   \n"
        "- a point\n"
    )
    doc = load_document(write(tmp_path, "post.md", source))
    assert doc.format == "markdown"
    assert doc.meta == {
        "title": "Hiring a CMIO",
        "author": "Ann Smith",
        "roles": ["CTO", "CMIO"],
        "published": "2015-01-16",
        "tags": ["hiring", "leadership"],
    }
    assert doc.text == "# Hiring a CMIO\n\nBody text.\n- a point"
    assert_clean(doc)


def test_markdown_roles_list_and_nested_dates(tmp_path: Path) -> None:
    source = "---\nroles: [cto, ' Cmio ', CTO]\nhistory:\n  updated: 2020-02-03 10:00:00\n---\nText\n"
    doc = load_document(write(tmp_path, "post.markdown", source))
    assert doc.meta["roles"] == ["CTO", "CMIO"]
    assert doc.meta["history"] == {"updated": "2020-02-03T10:00:00"}
    json.dumps(doc.meta)


def test_markdown_without_or_with_empty_front_matter(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "plain.md", "Just text.\n")).meta == {}
    doc = load_document(write(tmp_path, "empty-fm.md", "---\n---\nBody\n"))
    assert (doc.meta, doc.text) == ({}, "Body")


def test_markdown_invalid_front_matter(tmp_path: Path) -> None:
    bad_yaml = write(tmp_path, "bad.md", "---\ntitle: ok\nroles: [cto\n---\nBody\n")
    assert load_error(bad_yaml).startswith("front matter is not valid YAML: ")
    scalar = write(tmp_path, "list.md", "---\n- a\n- b\n---\nBody\n")
    assert load_error(scalar) == "front matter is not valid YAML: expected 'key: value' lines, got a list"
    unclosed = write(tmp_path, "unclosed.md", "---\ntitle: x\n\nBody without a closing line\n")
    assert load_error(unclosed) == "front matter has no closing '---' line"
    roles = write(tmp_path, "roles.md", "---\nroles: {a: 1}\n---\nBody\n")
    assert load_error(roles) == "front matter 'roles' must be a list or a comma-separated text"
    only_fm = write(tmp_path, "only.md", "---\ntitle: x\n---\n\n")
    assert load_error(only_fm) == "no text could be extracted"


def test_markdown_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["---", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    path = write(tmp_path, "laughs.md", "\n".join([*lines, "---", "Body"]))
    assert load_error(path) == "front matter is too large or too deeply nested"


def test_repository_knowledge_files_load() -> None:
    for path in sorted((ROOT / "knowledge").glob("*.md")):
        doc = load_document(path)
        assert not doc.text.startswith("---")
        roles = doc.meta.get("roles", [])
        assert isinstance(roles, list) and all(role == role.upper() for role in roles)
        assert_clean(doc)


# ---------------------------------------------------------------------------------- HTML

HTML_PAGE = """<!doctype html>
<html><head>
  <title>  Hiring a   CTO | Example Site </title>
  <meta name="Author" content="Bonnie Siegel">
  <style>.x { color: red } STYLE_TEXT</style>
  <script>var SCRIPT_TEXT = 1;</script>
</head>
<body class="single has-sidebar">
  <nav><a href="/">NAV_TEXT</a></nav>
  <header class="site-header">SITE_HEADER_TEXT</header>
  <div class="cookie-banner">COOKIE_TEXT</div>
  <main>
    <article>
      <header><h1>The Health System <em>CTO</em></h1></header>
      <p>The CTO manages
         infrastructure and <b>operations</b>.</p>
      <div hidden>HIDDEN_ATTR_TEXT</div>
      <div style="color: red; DISPLAY : none !important">DISPLAY_NONE_TEXT</div>
      <p style="visibility:hidden">VISIBILITY_TEXT</p>
      <span style="font-size: 0px">FONT_ZERO_TEXT</span>
      <span style="opacity:0.0">OPACITY_TEXT</span>
      <p aria-hidden="true">ARIA_HIDDEN_TEXT</p>
      <noscript>NOSCRIPT_TEXT</noscript>
      <h2>Key qualities</h2>
      <ul><li>Executive presence</li><li><p>Clear   communication</p></li></ul>
      <table><tr><th>Role</th><th>Reports to</th></tr><tr><td>CTO</td><td>CIO</td></tr></table>
      <p>Line one<br>Line two</p>
      <!-- HTML_COMMENT_TEXT -->
      <div class="share-buttons">SHARE_TEXT</div>
      <div class="relatedPosts">RELATED_TEXT</div>
      <section id="comments"><h3>Comments</h3><p>COMMENT_TEXT</p></section>
      <form><input value="FORM_TEXT"><button>BUTTON_TEXT</button></form>
    </article>
    <aside><article><p>ASIDE_ARTICLE_TEXT</p></article></aside>
  </main>
  <div class="newsletter-signup">NEWSLETTER_TEXT</div>
  <footer>FOOTER_TEXT</footer>
</body></html>
"""


def test_html_main_content_only(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "page.html", HTML_PAGE))
    assert doc.format == "html"
    assert doc.meta == {"title": "Hiring a CTO | Example Site", "author": "Bonnie Siegel"}
    assert doc.text == (
        "# The Health System CTO\n\n"
        "The CTO manages infrastructure and operations.\n\n"
        "## Key qualities\n\n"
        "- Executive presence\n"
        "- Clear communication\n\n"
        "Role | Reports to\n"
        "CTO | CIO\n\n"
        "Line one\n\n"
        "Line two"
    )
    assert "_TEXT" not in doc.text


def test_html_falls_back_to_body_and_og_title(tmp_path: Path) -> None:
    page = """<html><head><meta property="og:title" content="OG Title"></head><body>
    <div id="sidebar">SIDEBAR_TEXT</div><div class="content"><h3>Heading</h3>Loose text
    <pre>keep
   this  layout</pre></div></body></html>"""
    doc = load_document(write(tmp_path, "page.htm", page))
    assert doc.meta == {"title": "OG Title"}
    assert doc.text == "### Heading\n\nLoose text\n\nkeep\n   this  layout"


def test_html_role_main_preferred_over_body(tmp_path: Path) -> None:
    page = '<body><div>OUTSIDE_TEXT</div><div role="main"><p>Inside</p></div></body>'
    assert load_document(write(tmp_path, "role.html", page)).text == "Inside"


def test_html_layout_table_keeps_paragraphs(tmp_path: Path) -> None:
    page = "<body><table><tr><td><h2>Title</h2><p>First.</p><p>Second.</p></td></tr></table></body>"
    assert load_document(write(tmp_path, "layout.html", page)).text == "## Title\n\nFirst.\n\nSecond."


def test_html_article_class_names_do_not_hide_it(tmp_path: Path) -> None:
    """WordPress tags the article itself ("tag-social-media"); layouts say "has-sidebar"."""
    page = """<body><div class="layout has-sidebar">
      <article class="teaser"><p>Short teaser.</p></article>
      <article class="post tag-social-media category-related-news">
        <h1>Real post</h1><p>The real article is the longest one on the page.</p>
        <div class="post-comments"><article class="comment"><p>COMMENT_TEXT</p></article></div>
      </article>
      <div class="sidebar">SIDEBAR_TEXT</div></div></body>"""
    doc = load_document(write(tmp_path, "wp.html", page))
    assert doc.text == "# Real post\n\nThe real article is the longest one on the page."


def test_html_with_only_scripts_and_hidden_text(tmp_path: Path) -> None:
    page = "<html><head><title>T</title><script>alert(1)</script></head><body><div hidden>x</div></body></html>"
    assert load_error(write(tmp_path, "empty.html", page)) == "no text could be extracted"


def test_html_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    page = "<body>" + "<div>" * 5000 + "Deep text" + "</div>" * 5000 + "</body>"
    assert load_document(write(tmp_path, "deep.html", page)).text == "Deep text"


# ----------------------------------------------------------------------------------- PDF


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


def test_pdf_tiny_timeout(tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    path = write(tmp_path, "ok.pdf", pdf_bytes(["Hello"]))
    assert load_error(path, LoadLimits(parse_timeout_s=0.001)) == "PDF parsing took longer than 0.001 s"
    assert len(spawned) == 1
    assert_gone(spawned[0])


def test_pdf_that_hangs_pypdf_is_killed(tmp_path: Path, spawned: list[subprocess.Popen[bytes]]) -> None:
    """70 MB of compressed whitespace: a 70 KB file that keeps pypdf busy for well over 20 s."""
    path = write(tmp_path, "slow.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    assert load_error(path, LoadLimits(parse_timeout_s=1.5)) == "PDF parsing took longer than 1.5 s"
    assert_gone(spawned[0])


def test_pdf_memory_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "big.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    reason = load_error(path, LoadLimits(parse_memory_mb=100))
    assert reason == "PDF parsing exceeded the 100 MB memory limit"


def test_sandbox_kills_a_child_that_ignores_the_deadline(
    monkeypatch: pytest.MonkeyPatch, spawned: list[subprocess.Popen[bytes]]
) -> None:
    monkeypatch.setattr(sandbox, "child_command", lambda *args: [sys.executable, "-c", "import time; time.sleep(60)"])
    with pytest.raises(protocol.SandboxError) as info:
        sandbox.run_parser("pdf", b"%PDF-", timeout_s=0.5, memory_mb=256, max_chars=1000)
    assert info.value.kind == "timeout"
    assert_gone(spawned[0])


def test_sandbox_child_gets_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    assert "TELEGRAM_BOT_TOKEN" not in protocol.child_env()


# ---------------------------------------------------------------------------------- DOCX


def _sample_docx(document: Any) -> None:
    document.core_properties.title = "CMIO Guide"
    document.core_properties.author = "Dee Author"
    document.add_heading("Hiring a CMIO", level=1)
    document.add_paragraph("A CMIO bridges clinicians and IT.")
    document.add_paragraph("Clinical credibility", style="List Bullet")
    document.add_paragraph("Change leadership", style="List Number")
    document.add_heading("Reporting", level=2)
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Role", "Reports to"), ("CMIO", "CIO")], strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("")


def test_docx_headings_lists_tables_and_metadata(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "guide.docx", docx_bytes(_sample_docx)))
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
    data = bytearray(docx_bytes(_sample_docx))
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
    path = write(tmp_path, "guide.docx", docx_bytes(_sample_docx))
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
    source = zipfile.ZipFile(io.BytesIO(docx_bytes(_sample_docx)))
    path = tmp_path / "broken.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "word/document.xml":
                content = content[: len(content) // 2]
            archive.writestr(member, content)
    assert load_error(path).startswith("not a readable DOCX: ")


# ------------------------------------------------------------------- HTML in the sandbox


def test_html_is_parsed_in_a_child_that_is_killed_at_the_deadline(
    tmp_path: Path, spawned: list[subprocess.Popen[bytes]]
) -> None:
    """BeautifulSoup takes seconds per MB: a hostile page meets the same time limit as a PDF."""
    assert load_document(write(tmp_path, "ok.html", "<p>Hello CTO</p>")).text == "Hello CTO"
    assert len(spawned) == 1
    slow = write(tmp_path, "slow.html", "<body>" + "<b>x</b>" * 400_000 + "</body>")
    assert load_error(slow, LoadLimits(parse_timeout_s=0.5)) == "HTML parsing took longer than 0.5 s"
    assert_gone(spawned[1])


def test_html_memory_limit(tmp_path: Path) -> None:
    page = write(tmp_path, "tree.html", "<body>" + "<p>x</p>" * 200_000 + "</body>")
    assert load_error(page, LoadLimits(parse_memory_mb=64)) == "HTML parsing exceeded the 64 MB memory limit"


HIDDEN_PAGE = """<html><head><title>T</title>
<style>/* the page's own rules */ .secret-note { display: none } #stash, p.ghost { visibility: hidden }
@media print { .printonly { display: none } }</style></head>
<body><article><h1>Visible title</h1><p>Visible text.</p>
<div class="secret-note">CSS_CLASS_TEXT</div><div id="stash">CSS_ID_TEXT</div><p class="intro ghost">CSS_TAG_TEXT</p>
<div class="printonly">Kept: print-only rules do not hide on screen.</div>
<div class="hidden">UTILITY_TEXT</div><span class="sr-only">SR_TEXT</span><div class="d-none">DNONE_TEXT</div>
<div style="position:absolute; left:-9999px">OFFSCREEN_TEXT</div><p style="text-indent:-10000px">INDENT_TEXT</p>
<div style="height:0;overflow:hidden">ZEROBOX_TEXT</div>
<div style="clip: rect(0 0 0 0); position:absolute">CLIP_TEXT</div>
<p style="color: transparent">TRANSPARENT_TEXT</p><p style="transform: scale(0)">SCALE_TEXT</p>
<p style="opacity: 0.0">OPACITY_TEXT</p><p hidden>ATTR_TEXT</p><p aria-hidden="true">ARIA_TEXT</p>
<template><p>TEMPLATE_TEXT</p></template><noscript>NOSCRIPT_TEXT</noscript><!-- COMMENT_TEXT -->
<![CDATA[CDATA_TEXT]]><math><mi>MATH_TEXT</mi></math><p style="left:-9999px">Kept: not positioned.</p>
</article></body></html>"""


def test_html_hidden_text_never_reaches_the_text(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, "hidden.html", HIDDEN_PAGE))
    assert doc.text == (
        "# Visible title\n\nVisible text.\n\nKept: print-only rules do not hide on screen.\n\nKept: not positioned."
    )
    assert "_TEXT" not in doc.text


def test_html_meta_is_cleaned(tmp_path: Path) -> None:
    page = "<html><head><title>A\x00 \u202e title\x07</title><meta name=author content='  Ann\x0b Author '></head>"
    doc = load_document(write(tmp_path, "meta.html", page + "<body><p>Body text</p></body></html>"))
    assert doc.meta == {"title": "A \u202e title", "author": "Ann Author"}


# ----------------------------------------------------------------------------- parser pool


def _children() -> list[psutil.Process]:
    return psutil.Process().children(recursive=True)


def test_pool_gives_the_same_results_and_leaves_no_process(tmp_path: Path) -> None:
    """One warm process per format forks a worker per file; closing the pool ends them all."""
    paths = [
        write(tmp_path, "a.pdf", pdf_bytes(["First PDF"], info={"Title": "T1"})),
        write(tmp_path, "b.pdf", pdf_bytes(["Second PDF"])),
        write(tmp_path, "c.docx", docx_bytes(_sample_docx)),
        write(tmp_path, "d.html", HTML_PAGE),
        write(tmp_path, "e.md", "# Markdown\n\nNo child for this one.\n"),
    ]
    before = {p.pid for p in _children()}
    with ParserPool() as pool:
        for path in paths:
            assert load_document(path, pool=pool) == load_document(path)
        servers = [p for p in _children() if p.pid not in before]
        assert len(servers) == 3  # pdf, docx and html: one each, reused
        assert set(pool.peak_rss_kb) == {"pdf", "docx", "html"}
        assert all(0 < kb < 1024 * 1024 for kb in pool.peak_rss_kb.values())
    assert not [p for p in _children() if p.pid not in before and p.is_running() and p.status() != "zombie"]


def test_pool_kills_a_slow_worker_and_keeps_serving(tmp_path: Path) -> None:
    slow = write(tmp_path, "slow.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    ok = write(tmp_path, "ok.pdf", pdf_bytes(["Still fine"]))
    with ParserPool() as pool:
        assert load_error(slow, LoadLimits(parse_timeout_s=1.5)) == "PDF parsing took longer than 1.5 s"
        with pytest.raises(LoadError, match=r"^PDF parsing took longer than 1.5 s$"):
            load_document(slow, LoadLimits(parse_timeout_s=1.5), pool=pool)
        assert load_document(ok, pool=pool).text == "Still fine"
        # A pool process killed from outside is replaced on the next file.
        for child in _children():
            if "serve" in child.cmdline():
                child.kill()
                child.wait(5)
        assert load_document(ok, pool=pool).text == "Still fine"


def test_pool_memory_limit_and_peak(tmp_path: Path) -> None:
    """The worker's peak RSS (from wait4) stays under the address-space limit it was given."""
    slow = write(tmp_path, "big.pdf", pdf_bytes(["Bomb"], pad=70_000_000))
    assert load_error(slow, LoadLimits(parse_memory_mb=100)) == "PDF parsing exceeded the 100 MB memory limit"
    with ParserPool() as pool:
        with pytest.raises(LoadError, match=r"^PDF parsing exceeded the 100 MB memory limit$"):
            load_document(slow, LoadLimits(parse_memory_mb=100), pool=pool)
        assert 0 < pool.peak_rss_kb["pdf"] <= 100 * 1024


def test_pool_worker_gets_no_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:secret")
    with ParserPool() as pool:
        load_document(write(tmp_path, "a.html", "<p>x1</p>"), pool=pool)
        server = next(p for p in _children() if "serve" in p.cmdline())
        assert "TELEGRAM_BOT_TOKEN" not in server.environ()


# ----------------------------------------------------------------------- issue 6 findings


_VALUE = "front matter is not valid YAML: a value cannot be read "


@pytest.mark.parametrize(
    "front_matter",
    ["published: 2020-13-45", "published: 2021-02-30", "x: !!float abc", "n: " + "9" * 5000],
    ids=["month", "day", "float", "bigint"],
)
def test_front_matter_with_impossible_values_is_refused(tmp_path: Path, front_matter: str) -> None:
    """PyYAML raises ValueError on these, which once crashed the whole ingest: a one-line refusal in our
    words (what follows in brackets is Python's own wording, and not ours to pin)."""
    reason = load_error(write(tmp_path, "fm.md", f"---\n{front_matter}\n---\nBody\n"))
    assert reason.startswith(_VALUE + "(") and "\n" not in reason


DEEP_FRONT_MATTER = {
    "flow-depth": "x: " + "[" * 30_000 + "]" * 30_000,
    "block-depth": "x:\n  " + "- " * 30_000 + "a",
    "just-over": "x: " + "[" * 33 + "]" * 33,
}


@pytest.mark.parametrize("front_matter", DEEP_FRONT_MATTER.values(), ids=DEEP_FRONT_MATTER.keys())
def test_deep_front_matter_is_refused_before_yaml_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, front_matter: str
) -> None:
    """libyaml's composer overflowed the C stack on deep nesting, and newer PyYAML refuses it in words of
    its own: our check reads the text first, so PyYAML never sees it and the refusal is always ours."""

    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("PyYAML read front matter that the depth check should have refused")

    monkeypatch.setattr(yaml, "load", never)
    monkeypatch.setattr(yaml, "parse", never)
    reason = load_error(write(tmp_path, "fm.md", f"---\n{front_matter}\n---\nBody\n"))
    assert reason == "front matter is nested too deeply (over 32 levels)"


@pytest.mark.parametrize(
    "front_matter",
    [
        "x: " + "[" * 10 + "]" * 10,
        'title: "A [bracketed] title"\nroles: [CTO, CMIO]\ntags:\n  - a\n  - b: [c, {d: e}]\n',
        "a:\n- b:\n  - c:\n    - d\n",
    ],
    ids=["ten-deep", "usual", "zero-indented"],
)
def test_front_matter_of_ordinary_depth_is_read(tmp_path: Path, front_matter: str) -> None:
    doc = load_document(write(tmp_path, "fm.md", f"---\n{front_matter}\n---\nBody\n"))
    assert doc.meta and doc.text.strip() == "Body"


def test_front_matter_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    """PyYAML's pure-Python parser took seconds on 20 KB: front matter over 64 KB is never parsed."""
    reason = load_error(write(tmp_path, "fm.md", "---\n" + "k: v\n" * 20_000 + "---\nBody\n"))
    assert reason == "front matter is 97.7 KB, over the 64 KB limit"


def test_front_matter_of_two_thousand_keys_is_read(tmp_path: Path) -> None:
    keys = "".join(f"key{i}: value {i}\n" for i in range(2000))
    doc = load_document(write(tmp_path, "many.md", f"---\n{keys}---\nBody\n"))
    assert len(doc.meta) == 2000


@pytest.mark.parametrize("text", ["\u200b\u200b", ". . . - * _", "-----", "\u00ad\u200d\u2060", "😀😀"])
def test_text_without_letters_or_digits_is_refused(tmp_path: Path, text: str) -> None:
    assert load_error(write(tmp_path, "blank.md", text)) == "no text could be extracted"


def test_pdf_metadata_with_nul_and_surrogates_is_cleaned(tmp_path: Path) -> None:
    """pypdf decoded this hostile /Title as 'þÿØ\\x00\\x00A\\x00\\x00B'; the NULs reached Chroma's metadata."""
    data = pdf_bytes(["Hello there CTO"], info={"Title": "X", "Author": "Y"})
    data = data.replace(b"/Title (X)", b"/Title <FEFFD8000041000042>").replace(b"/Author (Y)", b"/Author (\x00\x01)")
    doc = load_document(write(tmp_path, "meta.pdf", data))
    assert "\x00" not in repr(doc.meta) and "author" not in doc.meta
    assert_clean(doc)


def test_docx_without_core_properties_has_no_invented_title(tmp_path: Path) -> None:
    """python-docx invents the title "Word Document" when docProps/core.xml is missing."""
    from tests.badfiles.docx_files import docx_document

    doc = load_document(write(tmp_path, "bare.docx", docx_document(["Just a paragraph."])))
    assert (doc.meta, doc.text) == ({}, "Just a paragraph.")
