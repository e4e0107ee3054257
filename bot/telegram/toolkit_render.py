"""Telegram documents for the hiring toolkit: the interview kit (and the other toolkit replies), built from
render.py's styled spans so articles' words are escaped and nothing in them can be tapped.

The toolkit's own `.text` is for terminals; here headings are bold and each criterion is quoted, and
send_doc splits a long kit between lines like a brief.
"""

from __future__ import annotations

from bot.telegram.render import Doc, bold, italic, line, quoted, sources_doc
from bot.toolkit.criteria import KIND_NAMES
from bot.toolkit.kit import DRAFT_NOTE, InterviewKit


def kit_doc(kit: InterviewKit) -> Doc:
    """Title, the draft note, one block per competency (criterion, two questions, probe, good evidence),
    the red flags, then the sources."""
    criteria = kit.criteria
    doc: Doc = [line(bold(f"Interview kit: {criteria.title}")), line(italic(DRAFT_NOTE))]
    if not kit.competencies:
        doc += [(), line("The knowledge base states no criteria for this role yet.")]
    for i, comp in enumerate(kit.competencies, 1):
        c = comp.criterion
        doc += [
            (),
            line(bold(f"{i}. "), *quoted(c.name, "b"), italic(f" ({KIND_NAMES[c.kind]})")),
            line(italic("Criterion: "), *quoted(c.text), f" [{c.source}]"),
            *[line("• ", *quoted(q)) for q in comp.questions],
            line(italic("Probe: "), *quoted(comp.probe)),
            line(italic("Good evidence: "), *quoted(comp.look_for)),
        ]
    if criteria.red_flags:
        doc += [(), line(bold("Red flags (from the articles' watch-outs)"))]
        doc += [line("• ", *quoted(p.text), f" [{p.source}]") for p in criteria.red_flags]
    return [*doc, (), *sources_doc(criteria.sources)]
