"""What the test_loaders_* modules share: writing a file and expecting a clean one-line refusal, the
hand-built PDF, DOCX and HTML they load, and the spy on the sandbox's child processes."""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest

from ingest.loaders.documents import LoadedDocument, LoadError, LoadLimits, clean_text, load_document
from tests.badfiles.pdfs import pdf_document

MB = 1024 * 1024


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
    """A minimal valid PDF (tests.badfiles.pdfs.pdf_document) with plain-text info values."""
    raw = {key: b"(" + value.encode("latin-1") + b")" for key, value in (info or {}).items()}
    return pdf_document(pages, info=raw or None, pad=pad)


def docx_bytes(build: Callable[[Any], None]) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture(name="spawned")
def spawned_fixture(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
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


def sample_docx(document: Any) -> None:
    """A short CMIO guide: title and author, headings, both kinds of list and a table."""
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


# A blog post with every kind of boilerplate around it and hidden text in it (the *_TEXT words).
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
