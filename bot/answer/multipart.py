"""Questions that ask two or three things at once, split into their parts.

"How many years of experience should a CTO have, and would a military background count?" wants one
sentence for each part; scored as one question, the second part's sentence rarely reaches the points.
Hand-written rules rather than a parser: the parts are joined by a few connectives, and the rules
only ever cut at one of them, so a part is always the user's own words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.answer.roles import find_roles

_LEAD_IN = re.compile(
    r"^\s*(?:(?:two|2|three|3|a couple of|some|few)\s+(?:things|questions|q'?s|parts)\b[^:]*:\s*"
    r"|(?:separately|also|and|plus|additionally|secondly|second|then|finally)\s*[,:]?\s+"
    r"|(?:\(?\d\)|\d[.)])\s+)",
    re.IGNORECASE,
)
_ASKS = (
    r"what|how|who|whom|whose|where|when|which|why|is|are|was|were|do|does|did|can|could|should|"
    r"would|will|has|have|had|must|may|might"
)
_JOIN = re.compile(
    rf"(?:,\s*(?:and|but|also|plus)\s+(?=(?:[\w'’-]+\s+){{0,4}}(?:{_ASKS})\b)"
    rf"|;\s*(?=(?:[\w'’-]+,?\s+){{0,4}}(?:{_ASKS})\b)|\s+(?:and|plus)\s+(?:also\s+)?(?=(?:{_ASKS})\b)"
    # "1) CTO core responsibility 2) is the CMIO role settled?": a numbered list on one line.
    r"|\s+(?=\(?[2-9]\)\s))",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=\?)\s+|(?<=[.!])\s+(?=(?:separately|also|and|plus)\b)", re.IGNORECASE)
_ASKING = re.compile(rf"^(?:[\w'’-]+\s+){{0,4}}(?:{_ASKS})\b|\?$", re.IGNORECASE)
# Case-sensitive on purpose: "IT" (information technology) is not "it".
_PRONOUN = re.compile(r"\b(?:[Hh]e|[Ss]he|[Hh]is|[Hh]er|him|[Ii]t|[Ii]ts|[Tt]hey|[Tt]heir|them|[Tt]hose|[Tt]hese)\b")
_PERSON = re.compile(r"\b(?:[Hh]e|[Ss]he|[Hh]is|[Hh]er|him|(?:that|this|the same) (?:person|individual|man|woman))\b")
MIN_WORDS = 3


def _clean(part: str) -> str:
    while True:
        stripped = _LEAD_IN.sub("", part, count=1)
        if stripped == part:
            return part.strip(" ,;")
        part = stripped


def split_parts(question: str, known_roles: Iterable[str] = ()) -> list[str]:
    """The question's parts in order, or the question alone when it asks one thing.

    A piece that asks nothing ("I need a number for the budget.") stays with the part before it, and
    a part that points back ("what is his take?") carries the first part with it ("Who is Chris Wood"),
    so that each part can be searched on its own. "They" beside a role the part names ("CMIO: who are they
    supposed to work with?"), or standing for a role the first part names, needs no carrying: the role says
    who (the advisor asks a role-less part about the question's roles)."""
    parts: list[str] = []
    for sentence in _SENTENCE.split(question.strip()):
        for piece in _JOIN.split(sentence):
            piece = _clean(piece)
            if not piece:
                continue
            if parts and (len(piece.split()) < MIN_WORDS or not _ASKING.search(piece)):
                parts[-1] = f"{parts[-1]} {piece}"
            else:
                parts.append(piece)
    parts = [p for p in parts if len(p.split()) >= MIN_WORDS]
    if len(parts) < 2:
        return [question]
    roles = list(known_roles)
    return [parts[0], *[f"{parts[0]} {p}" if _carries_first(parts[0], p, roles) else p for p in parts[1:]]]


def _carries_first(first: str, part: str, roles: list[str]) -> bool:
    """Whether `part` points back to `first`: "he", "her" always mean the person it named; "they", "it"
    mean a role when the part or the first names one, and the role alone says who then."""
    if _PERSON.search(part):
        return True
    return bool(_PRONOUN.search(part)) and not find_roles(part, roles) and not find_roles(first, roles)


def part_question(part: str, roles: list[str]) -> str:
    """A part that names no role ("what challenges do outsiders face?") asked about the question's roles, in words,
    as a follow-up is: the roles alone leave its dense similarity near zero."""
    return part if find_roles(part, roles) or not roles else f"{part.rstrip(' ?')} for the {' and '.join(roles)} role?"
