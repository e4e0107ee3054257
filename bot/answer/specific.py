"""Specific things a question asks for that an answer must actually hold: a salary figure, a reporting
line, a search timeline, an interview process, a vendor, a certification, clinical time, a fee, years of
experience, a degree, a team's or a budget's size, turnover, tenure, a count.

Issue 13's gaps: "what's a typical CTO salary?" is on topic and scores as high on similarity as an
answerable question, yet no article gives a figure. Similarity cannot tell the two apart; whether the
best sentences hold *that kind of thing* can. Each kind is a pair of patterns written by hand (a
question's wording of the ask, and what a sentence answering it must contain), because these are the
few asks recruiters' articles typically leave out and a pattern pair is exact and cheap; the decision
itself stays with the fitted scope model (this is one of its features). An admin's article that does give
a figure ("$450,000 base") makes the same question answerable, with no change here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpecificAsk:
    """One kind of specific ask: how a question words it, and what an answer to it must contain."""

    kind: str
    asked: re.Pattern[str]
    answered: re.Pattern[str]


def _ask(kind: str, asked: str, answered: str) -> SpecificAsk:
    return SpecificAsk(kind, re.compile(asked, re.IGNORECASE), re.compile(answered, re.IGNORECASE))


_TIME = r"\b(?:weeks?|months?)\b"
_HIRING = r"\b(?:search(?:es)?|recruit\w*|hiring|onboard\w*)\b"
ASKS: tuple[SpecificAsk, ...] = (
    _ask(
        # Equity as pay, not a private-equity owner, health equity or diversity, equity and inclusion ("should we
        # sell the hospital to a private equity group?" was taken for a salary ask, a gap, not off topic).
        "salary",
        r"\b(?:base )?salar(?:y|ies)(?: (?:range|band|figure|level)s?)?\b|\b(?:pay|compensation|comp)\s+"
        r"(?:range|band|package|level|figure)s?\b|\bhow much\b.{0,40}\b(?:pay|earn|paid|make)\b|\bmarket rate\b"
        r"|\bbonus(?:es)?\b|(?<!private )(?<!health )(?<!diversity, )(?<!diversity )\bequity\b(?! and inclusion)"
        r"|\bearn(?:s|ings)?\b|\bget(?:s)? paid\b"
        r"|\bwhat (?:should|do|would|will|to|can) (?:we|i|you|they|one) (?:pay|offer)\b",
        r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:k|million|000)\b|\bsalar(?:y|ies) (?:of|between|around)\b",
    ),
    _ask(
        "reporting line",
        r"\breport(?:s|ing)?\s+(?:to|into|line)\b|\breporting\b",
        r"\breport(?:s|ing)?\s+(?:to|into)\b|\breporting\b",
    ),
    _ask(
        "search timeline",
        rf"{_HIRING}.{{0,40}}\b(?:take|last|timeline)\b|\bhow long\b.{{0,40}}(?:{_HIRING}|\bfill\b)"
        r"|\btime[- ]to[- ](?:fill|hire)\b",
        rf"{_HIRING}.*{_TIME}|{_TIME}.*{_HIRING}",
    ),
    _ask(
        "tenure",
        r"\bhow long\b.{0,40}\b(?:stay|remain|last)\b|\btenure\b",
        r"\btenure\b|\bstay(?:s|ed)?\b|\bremain(?:s|ed)?\b.{0,20}\b(?:years?|role|job|post)\b",
    ),
    _ask("duration", r"\bhow long\b|\btimeline\b", r"\b(?:weeks?|months?|days?|years?|decades?)\b"),
    # "How many months does a search ... take?": a span in months wants months, not "5-plus years" of experience.
    _ask("short duration", r"\bhow many (?:days|weeks|months)\b", r"\b(?:days?|weeks?|months?)\b"),
    _ask(
        "interview process",
        r"\binterview(?:s|ing)?\b.{0,30}\b(?:rounds?|stages?|steps?|process|panel|format|structure)\b"
        r"|\b(?:rounds?|stages?) of interview",
        # Only about the process: "an interview with Chris Wood, M.D." is an article's source, not a round.
        r"\binterview(?:s|ing)?\b.{0,30}\b(?:rounds?|stages?|steps?|process|panel|format|structure)\b"
        r"|\b(?:rounds?|stages?) of interview",
    ),
    _ask(
        "vendor",
        r"\bwhich (?:ehr|emr|vendor|platform|product|software|tools?)\b"
        r"|\b(?:recommend|suggest|best|top)\b.{0,20}\b(?:ehr|emr|vendors?|platforms?|software)\b"
        r"|\b(?:epic|cerner|meditech|allscripts|workday)\b",
        r"\b(?:epic|cerner|meditech|allscripts|workday|oracle)\b",
    ),
    _ask("certification", r"\bcertif(?:ied|ication)\w*(?: in [\w ]{3,30})?|\blicens\w+", r"certif|licens"),
    _ask(
        "clinical time",
        r"\b(?:seeing|see|treat|treating) patients\b|\bclinical (?:hours|time|duties|practice|shifts?)\b"
        r"|\bpractic(?:e|ing) medicine\b",
        r"\bpatients\b|\bclinical (?:hours|time|practice)\b",
    ),
    _ask(
        "fee",
        r"\b(?:cost|fees?)\b.{0,40}\b(?:search|recruit\w*|hire|hiring|firm)\b"
        r"|\b(?:search|recruit\w*|hiring|firm)\b.{0,40}\b(?:cost|fees?)\b|\bfees?\b",
        r"\b(?:cost|fees?)\b",
    ),
    _ask(
        "years of experience",
        r"\byears? of (?:\w+ )?experience\b|\bhow much (?:\w+ )?experience\b|\byrs\b.{0,12}\bexp",
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|fifteen|twenty)(?:[-\s]?plus)?\+?[-\s]years?\b",
    ),
    _ask(
        "degree",
        r"\b(?:mba|ph\.?d|doctorate|master'?s(?: degree)?|bachelor'?s|(?:advanced|graduate|college) degree|degree)\b",
        r"\b(?:mba|ph\.?d|doctorate|master'?s|bachelor'?s|degree|m\.d\.|j\.d\.)",
    ),
    _ask(
        "team size",
        r"\bhow (?:big|large)\b.{0,30}\b(?:team|staff|department|org(?:anization)?)\b|\bteam size\b|\bheadcount\b"
        r"|\bhow many (?:people|staff|direct reports|reports|fte)",
        r"\b\d+\s+(?:people|staff|employees|direct reports|fte)",
    ),
    _ask(
        "budget size",
        r"\bhow (?:big|large|much)\b.{0,30}\bbudget\b|\bbudget (?:size|of)\b|\bsize of (?:the|their|his|her) budget\b"
        r"|\bwhat (?:size )?budget(?= (?:does|do|did|will|would|should|is|are|can)\b)",
        r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:million|billion|m|bn)\b",
    ),
    _ask(
        "turnover",
        r"\bturnover\b|\battrition\b|\bretention (?:rate|problem|issue)s?\b|\bhow often\b.{0,30}\b(?:leave|quit)\b",
        r"\bturnover\b|\battrition\b|\bretention\b|\b(?:leave|quit)\b",
    ),
    _ask(
        "count",
        # "how many interview rounds", not "how many interview": a second word unless it starts the rest.
        r"\bhow many\s+\w+(?:\s+(?!(?:for|of|in|at|on|to|do|does|did|should|is|are|was|were|will|would|can|could"
        r"|a|an|the|they|we|i|you|he|she|it|there)\b)\w+)?(?: of \w+)?",
        # "one of the most critical positions" is no count.
        r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|dozen)\b|\bone\b(?! of\b)",
    ),
)
"""Most specific first: a search timeline or a tenure is named as such, not as a bare duration."""

_SHADOWED_BY = {
    "duration": {"search timeline", "tenure"},
    "tenure": {"search timeline"},
    "count": {"years of experience", "team size", "interview process"},
}
"""A kind not counted when a more specific one already matched the same words."""


def asked(question: str) -> list[tuple[SpecificAsk, str]]:
    """The specific things the question asks (most ask none), each with the question's own words for it:
    matched once, before any sentence is read for them."""
    found: list[tuple[SpecificAsk, str]] = []
    kinds: set[str] = set()
    for ask in ASKS:
        match = ask.asked.search(question)
        if match is None or kinds & _SHADOWED_BY.get(ask.kind, set()):
            continue
        kinds.add(ask.kind)
        found.append((ask, match.group().strip()))
    return found


def still_open(asks: Sequence[tuple[SpecificAsk, str]], sentences: Sequence[str]) -> list[str]:
    """The words of each of `asks` (asked()) that none of `sentences` (the ones an answer would quote) holds."""
    return [span for ask, span in asks if not any(ask.answered.search(s) for s in sentences)]


def unanswered(question: str, sentences: Sequence[str]) -> list[str]:
    """The question's own words for each specific thing it asks that none of `sentences` holds:
    ["salary range"], ["report to"]; empty when it asks none or they answer."""
    return still_open(asked(question), sentences)
