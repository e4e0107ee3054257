"""Telegram documents for the hiring toolkit (kit, scorecard summary, draft, CV check), built from
render.py's styled spans so articles' words are escaped and nothing in them can be tapped.

The toolkit's own `.text` is for terminals; here headings are bold and each criterion is quoted, and
send_doc splits a long kit between lines like a brief.
"""

from __future__ import annotations

from bot.telegram.render import Doc, bold, italic, line, quoted, sources_doc
from bot.toolkit.criteria import KIND_NAMES, Criterion
from bot.toolkit.jd import LABEL as JD_LABEL
from bot.toolkit.jd import NOTHING as JD_NOTHING
from bot.toolkit.jd import JobDescription
from bot.toolkit.kit import DRAFT_NOTE, PHRASED_NOTE, InterviewKit
from bot.toolkit.scorecard import ANCHORS, Scorecard
from bot.toolkit.screen import NOTICE, Screening

NO_CRITERIA = "The knowledge base states no criteria for this role yet."


def criterion_heading(number: int, criterion: Criterion) -> Doc:
    """A blank line, then a kit's or a CV check's heading for one criterion: its number, name and kind,
    then the criterion itself, cited."""
    return [
        (),
        line(bold(f"{number}. "), *quoted(criterion.name, "b"), italic(f" ({KIND_NAMES[criterion.kind]})")),
        line(italic("Criterion: "), *quoted(criterion.text), f" [{criterion.source}]"),
    ]


def kit_doc(kit: InterviewKit) -> Doc:
    """Title, the draft note (in LLM mode also who phrased the questions), one block per competency
    (criterion, two questions, probe, good evidence), the red flags, then the sources."""
    criteria = kit.criteria
    doc: Doc = [line(bold(f"Interview kit: {criteria.title}")), line(italic(DRAFT_NOTE))]
    if kit.mode == "llm":  # as in the terminal: the reader knows which words are a model's
        doc.append(line(italic(PHRASED_NOTE)))
    if not kit.competencies:
        doc += [(), line(NO_CRITERIA)]
    for i, comp in enumerate(kit.competencies, 1):
        doc += [
            *criterion_heading(i, comp.criterion),
            *[line("• ", *quoted(q)) for q in comp.questions],
            line(italic("Probe: "), *quoted(comp.probe)),
            line(italic("Good evidence: "), *quoted(comp.look_for)),
        ]
    if criteria.red_flags:
        doc += [(), line(bold("Red flags (from the articles' watch-outs)"))]
        doc += [line("• ", *quoted(p.text), f" [{p.source}]") for p in criteria.red_flags]
    return [*doc, (), *sources_doc(criteria.sources)]


def scorecard_doc(card: Scorecard) -> Doc:
    """The short message that goes with the scorecard's DOCX: what it holds, the criteria by name, the sources."""
    scale = " · ".join(f"{a.rating} {a.label}" for a in ANCHORS)
    doc: Doc = [
        line(bold(card.heading)),
        line(
            f"{len(card.rows)} criteria from the articles, each cited, rated {scale} (no neutral middle), "
            "with evidence notes and an overall recommendation. The Word document is below."
        ),
        (),
    ]
    doc += [line("• ", *quoted(r.criterion.name), f" [{r.criterion.source}]") for r in card.rows] or [line(NO_CRITERIA)]
    return [*doc, (), *sources_doc(card.sources)]


def jd_doc(draft: JobDescription) -> Doc:
    """The job-description draft as a message: labelled a draft, a heading per section, each bullet cited."""
    doc: Doc = [line(bold(draft.heading)), line(italic(JD_LABEL))]
    for i, section in enumerate(draft.sections):
        doc += [(), line(bold(section.heading))]
        if i == 0:
            doc.append(tuple(quoted(draft.lead)))
        elif not section.points:
            doc.append(line(italic(JD_NOTHING)))
        doc += [line("• ", *quoted(p.text), f" [{p.source}]") for p in section.points]
    return [*doc, (), *sources_doc(draft.sources)]


def screening_doc(screening: Screening) -> Doc:
    """A CV check: what it is not (no verdict, no score) and the privacy line first, then per criterion
    the CV's own sentences (quoted: nothing in them can be tapped) or the question to probe it."""
    criteria = screening.criteria
    doc: Doc = [line(bold(f"CV evidence check: {criteria.title}")), line(italic(NOTICE))]
    if not screening.findings:
        doc += [(), line(NO_CRITERIA)]
    for i, finding in enumerate(screening.findings, 1):
        doc += criterion_heading(i, finding.criterion)
        if finding.evidence:
            doc.append(line(italic("Evidence in the CV:")))
            doc += [line("• “", *quoted(s), "”") for s in finding.evidence]
        else:
            doc.append(line(italic("No evidence found in the CV. Ask in the interview:")))
            doc.append(line("• ", *quoted(finding.probe or "")))
    return [*doc, (), *sources_doc(criteria.sources)]
