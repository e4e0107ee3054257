"""The toolkit's documents as file contents: a scorecard as DOCX, CSV or Markdown, a job-description draft
as DOCX or Markdown; bytes, so the CLI writes them to a file and a chat can send them as they are.

DOCX is built with python-docx, so Word and LibreOffice open real tables; CSV with the csv module.
python-docx is imported only when a DOCX is made: `python -m bot ask` loads this module (the CLI's
toolkit commands) and should not pay ~0.1-0.4 s for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.answer.types import Source
from bot.toolkit.criteria import KIND_NAMES
from bot.toolkit.jd import LABEL as JD_LABEL
from bot.toolkit.jd import NOTHING, JobDescription
from bot.toolkit.scorecard import (
    ANCHORS,
    HEADERS,
    LABEL,
    RATINGS,
    RECOMMENDATION,
    SCALE_NOTE,
    Scorecard,
    source_line,
)

if TYPE_CHECKING:
    from docx.document import Document
    from docx.table import Table

CRITERIA_WIDTHS = (3.4, 1.1, 2.0)
ANCHOR_WIDTHS = (0.7, 1.1, 4.7)
"""Column widths in inches."""
NOTES_HEIGHT = 0.9
"""Room to write by hand in a printed scorecard's evidence-notes cell, in inches."""
CSV_HEADER = ("criterion", "source", "rating (1 Strong no, 2 No, 3 Yes, 4 Strong yes)", "evidence notes")
# A spreadsheet runs a cell that starts with one of these as a formula; an article's sentence is data.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
AUTHOR = "Hiring Advisor"


def scorecard_docx(card: Scorecard) -> bytes:
    """The scorecard as a Word document: the anchored scale and the criteria as real tables."""
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Inches

    doc = _document(card.heading, LABEL)
    doc.add_paragraph("Candidate: ____________   Interviewer: ____________   Date: ____________")
    doc.add_heading("Rating scale", level=1)
    doc.add_paragraph(SCALE_NOTE)
    _table(
        doc,
        ("Rating", "Anchor", "What it takes"),
        ANCHOR_WIDTHS,
        [(str(a.rating), a.label, a.description) for a in ANCHORS],
    )
    doc.add_heading("Criteria", level=1)
    if card.rows:
        table = _table(doc, HEADERS, CRITERIA_WIDTHS, [("", RATINGS, "") for _ in card.rows])
        for row, line in zip(card.rows, table.rows[1:], strict=True):
            criterion = line.cells[0].paragraphs[0]
            criterion.add_run(f"{KIND_NAMES[row.criterion.kind]}: ").bold = True
            criterion.add_run(row.cited)
            line.height = Inches(NOTES_HEIGHT)
            line.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    else:
        doc.add_paragraph("The knowledge base states no criteria for this role yet.")
    doc.add_heading("Overall recommendation", level=1)
    doc.add_paragraph(f"Circle one: {RECOMMENDATION}")
    _sources(doc, card.sources)
    return _bytes(doc)


def scorecard_csv(card: Scorecard) -> bytes:
    """One row per criterion under a header: the cited criterion, its article, and empty rating and notes.
    UTF-8 with a byte-order mark, which spreadsheets need to read it as UTF-8."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(CSV_HEADER)
    for row in card.rows:
        writer.writerow((_inert(row.cited), _inert(source_line(card.source_of(row))), "", ""))
    return buf.getvalue().encode("utf-8-sig")


def jd_docx(draft: JobDescription) -> bytes:
    """The draft as a Word document: a heading per section, a bullet per cited point, then the sources."""
    doc = _document(draft.heading, JD_LABEL)
    for i, section in enumerate(draft.sections):
        doc.add_heading(section.heading, level=1)
        if i == 0:
            doc.add_paragraph(draft.lead)
        elif not section.points:
            doc.add_paragraph().add_run(NOTHING).italic = True
        for point in section.points:
            doc.add_paragraph(f"{point.text} [{point.source}]", style="List Bullet")
    _sources(doc, draft.sources)
    return _bytes(doc)


def markdown_bytes(document: Scorecard | JobDescription) -> bytes:
    return (document.text + "\n").encode("utf-8")


SCORECARD_FORMATS: dict[str, Callable[[Scorecard], bytes]] = {
    ".docx": scorecard_docx,
    ".csv": scorecard_csv,
    ".md": markdown_bytes,
}
JD_FORMATS: dict[str, Callable[[JobDescription], bytes]] = {".docx": jd_docx, ".md": markdown_bytes}


def _inert(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _document(heading: str, label: str) -> Document:
    import docx

    doc = docx.Document()
    props = doc.core_properties
    props.title, props.author, props.comments = heading, AUTHOR, label
    doc.add_heading(heading, level=0)
    doc.add_paragraph().add_run(label).italic = True
    return doc


def _table(doc: Document, headers: Sequence[str], inches: Sequence[float], rows: Sequence[Sequence[str]]) -> Table:
    """A grid table with a bold header row that Word repeats on every page the table spans, then `rows`."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Inches

    widths = [Inches(w) for w in inches]
    table: Table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width  # the grid LibreOffice lays out by; Word reads each cell's own width
    for i, (line, texts) in enumerate(zip(table.rows, [headers, *rows], strict=True)):
        for cell, text, width in zip(line.cells, texts, widths, strict=True):
            cell.width = width
            if text:
                cell.paragraphs[0].add_run(text).bold = i == 0
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(repeat)
    return table


def _sources(doc: Document, sources: Sequence[Source]) -> None:
    doc.add_heading("Sources", level=1)
    for source in sources:
        doc.add_paragraph(source_line(source))


def _bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
