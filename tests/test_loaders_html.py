"""HTML pages: the main content only (no navigation, footers, comments), and hidden text never reaching
the text; metadata is cleaned."""

from __future__ import annotations

from pathlib import Path

from ingest.loaders.documents import load_document
from tests.loader_fixtures import HTML_PAGE, load_error, write


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
