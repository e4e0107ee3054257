"""The extractors a parser child runs: pypdf, python-docx and the HTML reader, each to text blocks.

They run only in the limited child (ingest.loaders.worker), never in the ingest or bot process. The
parser libraries are imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import errno
import io
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

from ingest.loaders.protocol import Block, SandboxResult

logger = logging.getLogger(__name__)

DETAIL_MAX_CHARS = 160


class ChildError(Exception):
    """A failure the child reports to the parent with a specific kind."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def describe(exc: BaseException) -> str:
    """One short line for an exception, without object reprs a non-programmer can't read."""
    text = str(exc) or type(exc).__name__
    text = re.sub(r"<[^<>]* at 0x[0-9a-fA-F]+>", "the file", text)
    text = " ".join(text.split())
    if len(text) > DETAIL_MAX_CHARS:
        text = text[: DETAIL_MAX_CHARS - 1] + "…"
    return text


class _TextBudget:
    """Stops extraction early once the text is far over the caller's character limit."""

    def __init__(self, max_chars: int) -> None:
        # Twice the limit: cleaning (dropping spaces, control characters) can shrink the
        # text, so the exact check is the parent's; this only bounds the child's output.
        self.remaining = 2 * max_chars

    def take(self, text: str) -> None:
        self.remaining -= len(text)
        if self.remaining < 0:
            raise ChildError("too_long")


def _extract_pdf(data: bytes, max_chars: int) -> SandboxResult:
    """Extract each page's text with pypdf, plus the info dictionary's title and author."""
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    try:
        reader = PdfReader(io.BytesIO(data))
        # pypdf already tried the empty user password; PDFs that only restrict printing
        # or copying open that way. Anything still locked needs a password we don't have.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ChildError("encrypted")
    except DependencyError as exc:
        # pypdf decrypts AES only with the optional 'cryptography' package.
        logger.debug("pypdf dependency missing: %s", exc)
        raise ChildError("encrypted", "AES encryption needs the 'cryptography' package on the server") from exc
    except FileNotDecryptedError as exc:
        raise ChildError("encrypted") from exc

    budget = _TextBudget(max_chars)
    blocks: list[Block] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text()
        except FileNotDecryptedError as exc:
            raise ChildError("encrypted") from exc
        except Exception as exc:  # pypdf raises many types on broken pages; name the page
            if is_out_of_memory(exc):
                raise
            raise ChildError("unreadable", f"page {number}: {describe(exc)}") from exc
        budget.take(text)
        blocks.append(("p", text))
    return SandboxResult(blocks=blocks, meta=_pdf_meta(reader))


def _pdf_meta(reader: Any) -> dict[str, str]:
    """Title and author from the PDF info dictionary, when they are non-empty strings."""
    try:
        info = reader.metadata
        values = {"title": info.title if info else None, "author": info.author if info else None}
    except MemoryError:
        raise
    except Exception:  # a broken info dictionary should not cost us the text
        logger.debug("ignoring unreadable PDF metadata", exc_info=True)
        return {}
    return {key: str(value).strip() for key, value in values.items() if isinstance(value, str) and value.strip()}


_HEADING_STYLE_RE = re.compile(r"heading\s*([1-9])", re.IGNORECASE)


def _extract_docx(data: bytes, max_chars: int) -> SandboxResult:
    """Extract paragraphs (with heading and list styles) and tables with python-docx."""
    import docx

    document = docx.Document(io.BytesIO(data))
    budget = _TextBudget(max_chars)
    blocks: list[Block] = []
    for element in _docx_body_elements(document.element.body):
        for block in _docx_blocks(element, document):
            budget.take(block[1])
            blocks.append(block)
    return SandboxResult(blocks=blocks, meta=_docx_meta(document))


def _docx_body_elements(body: Any) -> Iterator[Any]:
    """Yield the body's w:p and w:tbl elements in order, including those in content controls.

    Hand-written because python-docx's iter_inner_content() skips paragraphs wrapped in
    w:sdt (content controls), which templates and tables of contents use.
    """
    from docx.oxml.ns import qn

    paragraph, table, sdt, sdt_content = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
    stack = list(reversed(list(body)))
    while stack:
        element = stack.pop()
        if element.tag in (paragraph, table):
            yield element
        elif element.tag == sdt:
            for content in element.iterchildren(sdt_content):
                stack.extend(reversed(list(content)))


def _docx_blocks(element: Any, document: Any) -> list[Block]:
    """Turn one w:p or w:tbl element into blocks."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    if element.tag == qn("w:tbl"):
        return _docx_table_rows(element)
    text = _docx_paragraph_text(element).strip()
    if not text:
        return []
    style = Paragraph(element, document).style
    kind = _docx_paragraph_kind((style.name if style is not None else None) or "", element)
    if kind != "p":
        text = " ".join(text.split())
    return [(kind, text)]


# Inline wrappers whose runs are part of the paragraph's text. Deleted text (w:del,
# w:moveFrom) and text boxes (inside w:drawing / mc:AlternateContent) are left out.
_DOCX_RUN_WRAPPERS = ("w:hyperlink", "w:ins", "w:moveTo", "w:smartTag", "w:sdt", "w:sdtContent", "w:fldSimple")


def _docx_paragraph_text(paragraph: Any) -> str:
    """A paragraph's visible text, including tracked insertions.

    Hand-written because python-docx's Paragraph.text reads only direct runs and
    hyperlinks, so text typed with track changes on (w:ins) or inside inline content
    controls silently disappears.
    """
    from docx.oxml.ns import qn

    run, wrappers = qn("w:r"), {qn(name) for name in _DOCX_RUN_WRAPPERS}
    pieces: list[str] = []
    stack = list(reversed(list(paragraph)))
    while stack:
        element = stack.pop()
        if element.tag == run:
            pieces.append(element.text or "")
        elif element.tag in wrappers:
            stack.extend(reversed(list(element)))
    return "".join(pieces)


def _docx_paragraph_kind(name: str, element: Any) -> str:
    """Map a paragraph's style name to a block kind: "hN" for headings, "li" for lists."""
    if name.lower() == "title":
        return "h1"
    match = _HEADING_STYLE_RE.fullmatch(name.strip())
    if match:
        return f"h{min(int(match.group(1)), 6)}"
    if name.lower().startswith("list"):
        return "li"
    # Lists made with direct numbering (e.g. by Google Docs) keep the Normal style.
    ppr = element.pPr
    if ppr is not None and ppr.numPr is not None:
        return "li"
    return "p"


def _docx_table_rows(table: Any) -> list[Block]:
    """One "row" block per table row, cells joined by " | ".

    Walks the XML rather than python-docx's Table.rows/cells, which repeat the text of
    merged cells and have raised on irregular grids.
    """
    from docx.oxml.ns import qn

    rows: list[Block] = []
    for row in table.iterchildren(qn("w:tr")):
        cells = []
        for cell in row.iterchildren(qn("w:tc")):
            texts = (_docx_paragraph_text(p) for p in cell.iter(qn("w:p")))
            cells.append(" ".join(" ".join(texts).split()))
        if any(cells):
            rows.append(("row", " | ".join(cells)))
    return rows


def _docx_meta(document: Any) -> dict[str, str]:
    """Title and author from the core properties, when the file has them and they are non-empty."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    try:
        # Without docProps/core.xml python-docx invents defaults (title "Word Document"), which
        # would become the article's title; the first heading or the file name is better.
        document.part.package.part_related_by(RELATIONSHIP_TYPE.CORE_PROPERTIES)
    except KeyError:
        return {}
    try:
        props = document.core_properties
        values = {"title": props.title, "author": props.author}
    except MemoryError:
        raise
    except Exception:  # broken docProps/core.xml should not cost us the text
        logger.debug("ignoring unreadable DOCX core properties", exc_info=True)
        return {}
    return {key: value.strip() for key, value in values.items() if isinstance(value, str) and value.strip()}


def _extract_html(data: bytes, max_chars: int) -> SandboxResult:
    """The visible main content of a page (the parent has already decoded and cleaned it)."""
    from bs4.builder import ParserRejectedMarkup

    from ingest.loaders import htmltext

    try:
        blocks, meta = htmltext.extract(data.decode("utf-8"))
    except ParserRejectedMarkup as exc:
        raise ChildError("unreadable", describe(exc)) from exc
    except RecursionError as exc:
        raise ChildError("unreadable", "elements are nested too deeply") from exc
    budget = _TextBudget(max_chars)
    for _, text in blocks:
        budget.take(text)
    return SandboxResult(blocks=blocks, meta=meta)


def is_out_of_memory(exc: BaseException) -> bool:
    """MemoryError, or the ways a lazy import or mmap reports hitting RLIMIT_AS."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, OSError) and exc.errno == errno.ENOMEM:
        return True
    message = str(exc).lower()
    return isinstance(exc, (ImportError, OSError)) and (
        "failed to map segment" in message or "cannot allocate memory" in message
    )


EXTRACTORS: dict[str, Callable[[bytes, int], SandboxResult]] = {
    "pdf": _extract_pdf,
    "docx": _extract_docx,
    "html": _extract_html,
}
