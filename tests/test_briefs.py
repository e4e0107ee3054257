"""Role briefs and comparisons (bot.answer.briefs): each section quotes only sentences of its facets, an
empty section says so, and the footer lists only the articles the brief cites."""

from __future__ import annotations

import numpy as np

from bot.answer.briefs import NOTHING, SECTION_FACETS, SECTIONS, build_brief, build_comparison
from bot.answer.extractive import Candidate
from bot.answer.types import Passage, Source

CTO = Source(0, "The CTO role", "Bonnie Siegel", "Witt/Kieffer", "cto.md")
CMIO = Source(0, "The next CMIO", "Hillary Ross", "", "cmio.md")
UNUSED = Source(0, "Off-topic notes", "Nobody", "", "notes.md")
HEADINGS = [heading for heading, _ in SECTIONS]


def _candidate(text: str, facet: str, i: int, source: Source = CTO, similarity: float = 0.8) -> Candidate:
    vector = np.zeros(32, dtype=np.float32)
    vector[i] = 1.0  # every sentence distinct from every other
    passage = Passage(i, text, source.path, "", source, 1.0)
    return Candidate(text, passage, similarity, similarity, vector, facet=facet)


# One sentence per facet (and one of a facet no section holds, one too weak to quote).
POOL = [
    _candidate("Owns the infrastructure.", "responsibility", 0),
    _candidate("Must think critically.", "quality", 1),
    _candidate("Ten years in IT.", "background", 2, CMIO),
    _candidate("Often comes from consulting.", "source", 3),
    _candidate("Security risks abound.", "challenge", 4),
    _candidate("The role is growing.", "trend", 5, CMIO),
    _candidate("The office has plants.", "other", 6, UNUSED),
    _candidate("Barely related.", "quality", 7, UNUSED, similarity=0.1),
]


def _rank_all(role: str, query: str) -> list[Candidate]:
    """Every section's query gets the whole pool: the brief must choose by facet."""
    return list(POOL)


def _facet_of(text: str) -> str:
    return next(c.facet for c in POOL if c.text == text)


def test_each_section_holds_only_its_facets() -> None:
    brief = build_brief(_rank_all, "CTO")
    assert [heading for heading, _ in brief.sections] == HEADINGS
    for heading, points in brief.sections:
        assert points, heading
        assert {_facet_of(p.text) for p in points} <= SECTION_FACETS[heading], heading


def test_a_section_holds_no_more_points_than_asked() -> None:
    brief = build_brief(_rank_all, "CTO", per_section=1)
    assert all(len(points) == 1 for _, points in brief.sections)


def test_an_empty_section_says_the_knowledge_base_is_silent() -> None:
    pool = [c for c in POOL if c.facet != "challenge"]
    brief = build_brief(lambda role, query: list(pool), "CTO")
    assert dict(brief.sections)["Watch-outs"] == []
    lines = brief.text.splitlines()
    assert lines[lines.index("Watch-outs") + 1] == f"• {NOTHING}"


def test_a_sentence_too_far_from_the_section_is_not_quoted() -> None:
    brief = build_brief(_rank_all, "CTO")
    assert "Barely related." not in brief.text


def test_a_sentence_that_opens_by_pointing_back_is_not_a_point() -> None:
    """A brief's point stands alone: "As I discussed ..., they were strong in implementation" leaves the reader
    asking who, so the section takes the next sentence of its facet, or says the knowledge base is silent."""
    pool = [
        _candidate("As I discussed with an editor recently, they were strong in implementation.", "responsibility", 8),
        _candidate("They worked on an operational level.", "responsibility", 9),
        *POOL,
    ]
    brief = build_brief(lambda role, query: list(pool), "CTO", per_section=1)
    assert [p.text for p in dict(brief.sections)["What the role owns"]] == ["Owns the infrastructure."]


def test_the_footer_lists_only_cited_sources() -> None:
    brief = build_brief(_rank_all, "CTO")
    cited = {p.source for _, points in brief.sections for p in points}
    assert {s.n for s in brief.sources} == cited
    assert [s.path for s in brief.sources] == ["cto.md", "cmio.md"]
    footer = brief.text.split("\nSources:\n", 1)[1].splitlines()
    assert footer == ["[1] The CTO role — Bonnie Siegel, Witt/Kieffer", "[2] The next CMIO — Hillary Ross"]


def test_the_brief_is_titled_with_the_roles_full_title() -> None:
    brief = build_brief(_rank_all, "CTO")
    assert brief.text.splitlines()[0] == "Role brief: chief technology officer (CTO)"


def test_a_sentence_is_quoted_in_one_section_only() -> None:
    untagged = [_candidate(c.text, "", i) for i, c in enumerate(POOL[:6])]
    brief = build_brief(lambda role, query: list(untagged), "CTO", per_section=1)
    quoted = [p.text for _, points in brief.sections for p in points]
    assert len(quoted) == len(set(quoted))


def test_the_section_query_names_the_role() -> None:
    asked: list[tuple[str, str]] = []

    def rank(role: str, query: str) -> list[Candidate]:
        asked.append((role, query))
        return []

    build_brief(rank, "CMIO")
    assert len(asked) == len(SECTIONS)
    assert all(role == "CMIO" and "CMIO" in query for role, query in asked)


def test_a_comparison_puts_both_roles_in_every_section() -> None:
    comparison = build_comparison(_rank_all, "CTO", "CMIO")
    assert [heading for heading, _, _ in comparison.sections] == HEADINGS
    lines = comparison.text.splitlines()
    assert lines[0] == "CTO vs CMIO"
    for heading in HEADINGS:
        at = lines.index(heading)
        assert lines[at + 1].startswith("• CTO: ") and lines[at + 2].startswith("• CMIO: ")


def test_a_comparison_cites_only_its_sources() -> None:
    comparison = build_comparison(_rank_all, "CTO", "CMIO")
    cited = {p.source for _, a, b in comparison.sections for p in [*a, *b]}
    assert {s.n for s in comparison.sources} == cited
