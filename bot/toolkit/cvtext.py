"""A CV file, from bytes held in memory, to the sentences the evidence check may quote.

Read with the upload loaders (ingest.loaders.documents.load_bytes: PDF and DOCX parsed in the sandboxed child
with its limits, text decoded by the same rules), so a CV gets exactly what an upload gets and nothing is
written to disk. Lines that state a protected attribute are dropped here, before any matching
(bot.toolkit.protected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.toolkit.protected import without_protected
from ingest.loaders.documents import LoadError, LoadLimits, load_bytes

MIN_WORDS = 4
"""Shorter lines (a name, a heading, "Skills") are no evidence sentence, though they may be CV markers."""

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z“\"(])")
_BULLET = re.compile(r"^\s*(?:[-*•·▪◦–]|#{1,6}|\d{1,2}[.)])\s+")
# What a CV has and a recipe or a memo has not: its usual headings, role titles and dated periods.
CV_MARKERS = re.compile(
    r"\b(?:experience|employment|education|work history|career|qualifications|skills|resum[eé]|curriculum vitae"
    r"|professional summary|profile|certifications?|chief|officer|director|manager|vice president|president"
    r"|head of|lead|engineer|physician|nurse|analyst|consultant)\b"
    r"|\b(?:19|20)\d{2}\s*(?:-|–|—|to)\s*(?:(?:19|20)\d{2}|present|now|today)\b",
    re.I,
)
_PERIOD = re.compile(r"\b(?:19|20)\d{2}\s*(?:-|–|—|to)\s*(?:(?:19|20)\d{2}|present|now|today)\b", re.I)
MIN_MARKERS = 2
INTERESTS = "interests"
"""The section of hobbies, left out of the sentences: no criterion is shown by what a person does for fun."""
# The headings of a CV's sections whose sentences say something other than what the candidate did: their
# own summary of themself and their schooling. The check weighs these apart (bot.toolkit.screen): they can
# show a background, hardly a quality or a responsibility. Their interests are no evidence at all.
SECTIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "summary",
        re.compile(
            r"^(?:professional |personal |career |executive )?"
            r"(?:summary|profile|about(?: me)?|statement|objective|overview)\s*:?$",
            re.I,
        ),
    ),
    ("education", re.compile(r"^(?:education|qualifications|training|certifications?)(?: and \w+)?\s*:?$", re.I)),
    (
        INTERESTS,
        re.compile(r"^(?:(?:personal |outside )?interests|hobbies(?: and interests)?|other)\s*:?$", re.I),
    ),
)
_HEADING = re.compile(r"^[A-Za-z][A-Za-z &/'-]{0,40}:?$")
"""A line that may head a section: a few words with no digit, comma or full stop (also a name line)."""
HEADING_WORDS = 3


class CVRefused(Exception):  # noqa: N818 - read as "the CV was refused"
    """A file the check cannot read as a CV; `reason` is one line for the person who sent it."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(reason.split())
        super().__init__(self.reason)


@dataclass(frozen=True)
class CVText:
    """A CV's quotable sentences (protected attributes already dropped) and whether it looks like a CV."""

    sentences: list[str]
    looks_like_cv: bool
    sections: dict[str, str] = field(default_factory=dict)
    """A sentence's section when it is one of SECTIONS' ("summary", "education")."""


def read_cv(data: bytes, filename: str, limits: LoadLimits | None = None) -> CVText:
    """Parse the CV in memory; CVRefused with the loader's one-line reason for a file it cannot read."""
    try:
        document = load_bytes(data, filename, limits or LoadLimits())
    except LoadError as exc:
        raise CVRefused(exc.reason) from None
    return cv_text(document.text)


def cv_text(text: str) -> CVText:
    """Split a CV's text into lines, then sentences; drop protected ones, count the CV markers and note which
    sentences stand under a summary or education heading."""
    lines = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    kept = without_protected([line for line in lines if line])
    markers = sum(len(CV_MARKERS.findall(line)) for line in kept)
    sentences: list[str] = []
    sections: dict[str, str] = {}
    section = ""
    for line in kept:
        if len(line.split()) <= HEADING_WORDS and _HEADING.match(line):
            section = next((name for name, heading in SECTIONS if heading.match(line.strip("# "))), "")
            continue
        if _PERIOD.search(line):  # a title line with its dates ("Director, Wexbridge Health (2012 - 2016)")
            section = "" if section == "summary" else section
            continue
        if section == INTERESTS:  # a hobby ("enjoys planning cycling holidays") shows nothing of the work
            continue
        for sentence in without_protected([s.strip() for s in _SENTENCE_END.split(line)]):
            if len(sentence.split()) >= MIN_WORDS:
                sentences.append(sentence)
                if section:
                    sections.setdefault(sentence, section)
    return CVText(list(dict.fromkeys(sentences)), markers >= MIN_MARKERS, sections)
