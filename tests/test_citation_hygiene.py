"""The pure helpers that clean an LLM's text (bot.answer.hygiene): citations to passages that were not sent are
dropped, and links other than the sources' own are stripped."""

from __future__ import annotations

import pytest

from bot.answer.hygiene import clean_citations, strip_foreign_links
from tests.llm_cases import EVIL_URL, SOURCE_URL

pytestmark = pytest.mark.timeout(10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A [1][9].", "A [1]."),
        ("A [2, 9].", "A [2]."),
        ("A [10].", "A."),
        ("[1][9]", "[1]"),
        ("[2, 9]", "[2]"),
        ("[10]", ""),
        ("Claim [9] and more [1].", "Claim and more [1]."),
        ("[9] Claim", "Claim"),
        ("- B [9]\n- C [2]", "- B\n- C [2]"),
        ("x [1] [9].", "x [1]."),
        ("x [8][9][1] y", "x [1] y"),
        ("a ([9]) b", "a b"),
        ("[1,2] kept as written", "[1,2] kept as written"),
        ("[1-3] range", "[1, 2] range"),
        ("not a citation [CTO] [a1]", "not a citation [CTO] [a1]"),
    ],
)
def test_clean_citations(text: str, expected: str) -> None:
    assert clean_citations(text, {1, 2}) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Email us at {EVIL_URL}.", "Email us at."),
        (f"Email us at {EVIL_URL} or read {SOURCE_URL}.", f"Email us at or read {SOURCE_URL}."),
        (f"Read {SOURCE_URL}/ now", f"Read {SOURCE_URL}/ now"),
        (f"[click here]({EVIL_URL}) now", "click here now"),
        (f"[the role]({SOURCE_URL})", f"[the role]({SOURCE_URL})"),
        (f"go <{EVIL_URL}> now", "go now"),
        (f"visit ({EVIL_URL}) today", "visit today"),
        ("see www.evil.example/p here", "see here"),
        ("[x](javascript:alert(1)) y", "x y"),
        ("cite [1](2019) stays", "cite [1](2019) stays"),
    ],
)
def test_strip_foreign_links(text: str, expected: str) -> None:
    assert strip_foreign_links(text, {SOURCE_URL}) == expected
