"""A CV file, from bytes held in memory, to the sentences the evidence check may quote.

Read with the upload loaders (ingest.loaders.documents.load_bytes: PDF and DOCX parsed in the sandboxed child
with its limits, text decoded by the same rules), so a CV gets exactly what an upload gets and nothing is
written to disk. Lines that state a protected attribute are dropped here, before any matching
(bot.toolkit.protected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def read_cv(data: bytes, filename: str, limits: LoadLimits | None = None) -> CVText:
    """Parse the CV in memory; CVRefused with the loader's one-line reason for a file it cannot read."""
    try:
        document = load_bytes(data, filename, limits or LoadLimits())
    except LoadError as exc:
        raise CVRefused(exc.reason) from None
    return cv_text(document.text)


def cv_text(text: str) -> CVText:
    """Split a CV's text into lines, then sentences; drop protected ones and count the CV markers."""
    lines = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    kept = without_protected([line for line in lines if line])
    markers = sum(len(CV_MARKERS.findall(line)) for line in kept)
    # A title line with its dates ("Director, Wexbridge Health (2012 - 2016)") is a marker, not a sentence.
    sentences = [s.strip() for line in kept if not _PERIOD.search(line) for s in _SENTENCE_END.split(line)]
    sentences = without_protected([s for s in sentences if len(s.split()) >= MIN_WORDS])
    return CVText(list(dict.fromkeys(sentences)), markers >= MIN_MARKERS)
