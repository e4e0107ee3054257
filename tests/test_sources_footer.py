"""The Sources footer: one block, written the same under answers, briefs, comparisons and LLM answers."""

from __future__ import annotations

from bot.answer.composing import render
from bot.answer.types import Point, Source, sources_footer

CTO = Source(1, "Hiring a CTO", "Bonnie Siegel", "Witt/Kieffer", "cto.md", "https://kb.example/cto")
CMIO = Source(2, "The CMIO role", "", "", "cmio.md")


def test_the_footer_lists_each_source_by_number_with_its_label() -> None:
    assert sources_footer([CTO, CMIO]) == "Sources:\n[1] Hiring a CTO — Bonnie Siegel, Witt/Kieffer\n[2] The CMIO role"


def test_an_extractive_answer_ends_with_the_footer_after_a_blank_line() -> None:
    text = render("Lead:", [Point("A point.", 1)], [CTO])
    assert text == f"Lead:\n• A point. [1]\n\n{sources_footer([CTO])}"
