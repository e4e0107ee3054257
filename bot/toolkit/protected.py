"""Protected attributes in a CV (age, date of birth, gender, photo, marital status, nationality, religion):
the lines that state them are dropped before anything is matched, so the check never weighs or repeats them.

Why drop the whole line or sentence rather than mask the word: "Married, two children" or "Born 1971 in
Lisbon" says the attribute in its other words too; a CV's line that states one is never evidence of a
criterion. Why a pattern list: these are stated in a handful of fixed ways (a "Nationality:" field, "aged
52", "born in"), and a list a reviewer can read is easier to trust than a model. A word the list shares
with ordinary work ("single sign-on", "Catholic Health" as an employer) errs on the side of dropping.
"""

from __future__ import annotations

import re

PROTECTED: tuple[tuple[str, re.Pattern[str]], ...] = (
    # Age and date of birth: a field, "aged 52", "52 years old", "born ...", a birthday.
    ("age", re.compile(r"\bage[d]?\b\s*[:\-–]?\s*\d{2}\b|\b\d{2}\s*-?\s*(?:years?|yrs?)\s*-?\s*old\b", re.I)),
    ("date of birth", re.compile(r"\b(?:date\s+of\s+birth|d\.?\s?o\.?\s?b\b|birth\s*date|birthday|born)\b", re.I)),
    # Gender: a field, pronouns, or a word that states it.
    (
        "gender",
        re.compile(
            r"\b(?:gender|sex|pronouns?)\b\s*[:\-–]|\b(?:male|female|woman|man|non-?binary|transgender)\b"
            r"|\b(?:she|he|they)\s*/\s*(?:her|him|them)\b",
            re.I,
        ),
    ),
    ("photo", re.compile(r"\b(?:photo(?:graph)?s?|headshot|portrait)\b", re.I)),
    (
        "marital status",
        re.compile(
            r"\bmarital\b|\b(?:married|divorced|widow(?:ed|er)?|spouse|husband|wife|fianc[eé]e?)\b"
            r"|\b(?:one|two|three|four|\d)\s+(?:children|kids|sons?|daughters?)\b|\bsingle\s*(?:[,.;]|$)",
            re.I,
        ),
    ),
    (
        "nationality",
        re.compile(r"\b(?:nationality|citizen(?:ship)?|passport|national\s+of|place\s+of\s+origin)\b", re.I),
    ),
    (
        "religion",
        re.compile(
            r"\b(?:religion|religious|faith|church|mosque|synagogue|temple|christian|muslim|jewish|hindu"
            r"|buddhist|catholic|protestant|sikh|atheist)\b",
            re.I,
        ),
    ),
)


def protected_attribute(text: str) -> str | None:
    """Which protected attribute a line or sentence states, or None."""
    return next((name for name, pattern in PROTECTED if pattern.search(text)), None)


def without_protected(units: list[str]) -> list[str]:
    """The units (lines or sentences) that state no protected attribute."""
    return [u for u in units if protected_attribute(u) is None]
