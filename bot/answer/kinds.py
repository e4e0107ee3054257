"""Kinds of one thing set against each other: "first-generation" and "second-generation" CMIOs.

A question about the second generation must not be answered with what the first generation did, yet the two
sentences share nearly every word, and the embedding model puts them close. The modifiers that set kinds
against each other here are ordinals, a closed class of English, so a hand-written pattern finds them; the
thing they modify is the article's own word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_MODIFIER = r"(?:first|second|third|fourth|1st|2nd|3rd|4th)"
"""Ordinals only: "next", "new" or "current" are relative ("the next generation of CMIOs" may be the second)."""
_KIND = re.compile(
    # "first and second generation", "1st/2nd gen": each modifier of a coordination is a kind asked about.
    rf"\b({_MODIFIER}(?:\s*(?:,|and|or|vs\.?|versus|/|&)\s*{_MODIFIER})*)[- ]([a-z]{{3,}})",
    re.IGNORECASE,
)
_EACH = re.compile(_MODIFIER, re.IGNORECASE)
_ORDINAL = {"1st": "first", "2nd": "second", "3rd": "third", "4th": "fourth"}
_CONTRAST = re.compile(
    r"\b(?:differ\w*|diff|vs\.?|versus|compar\w*|contrast\w*|than|separat\w*|distinguish\w*"
    r"|sets? [\w-]+(?: [\w-]+)? apart)\b",
    re.IGNORECASE,
)
"""A question that sets kinds against each other wants both sides."""


def kinds(text: str) -> set[tuple[str, str]]:
    """The (modifier, thing) pairs in `text`; the thing by its first three letters, so "second-gen" is
    "second generation"."""
    return {
        (_ORDINAL.get(mod.lower(), mod.lower()), m.group(2).lower()[:3])
        for m in _KIND.finditer(text)
        for mod in _EACH.findall(m.group(1))
    }


_THEN = re.compile(
    r"\b(?:predecessors?|pioneers?|forerunners?|successors?|originally|earliest|(?:has|have) (?:it |they |\w+ )?"
    r"(?:changed|evolved)|over (?:time|the years))\b",
    re.IGNORECASE,
)
"""Words that set a then against a now by themselves."""
_TIME = re.compile(r"\b(?:newer|older|today'?s?|now|nowadays|current|modern|these days)\b", re.IGNORECASE)


def compares(question: str) -> bool:
    """Whether a question sets a then against a now: "... differ from the pioneers?", "how does the newer crop
    differ?", "diff between first and second gen". A difference between places ("does it differ from one
    organization to the next?") or a newer thing ("newer domains") is not one."""
    if _THEN.search(question):
        return True
    return bool(_CONTRAST.search(question)) and bool(_TIME.search(question) or kinds(question))


def about_a_kind(sentence: str) -> bool:
    """Whether a sentence's subject is a kind ("Second-generation CMIOs tend to ..."), not one it mentions late."""
    return bool(kinds(" ".join(sentence.split()[:2])))


def asked_kinds(question: str) -> set[tuple[str, str]]:
    """The kinds a question asks about alone: none when it compares ("how do the newer ones differ?")."""
    return set() if _CONTRAST.search(question) else kinds(question)


def other_kind(asked: set[tuple[str, str]], texts: Iterable[str]) -> bool:
    """Whether `texts` (a sentence and the ones its pronoun needs) speak of another kind of a thing the question
    asks about by kind, and never of the kind asked."""
    if not asked:
        return False
    found = set().union(*(kinds(t) for t in texts))
    things = {thing for _, thing in asked}
    return not (found & asked) and any(thing in things for _, thing in found)


_SIDE = re.compile(
    rf"\b(?:(?P<now>newer|newest|today'?s?|now|nowadays|current|modern|these days|latest|recent|successors?)"
    rf"|(?P<then>predecessors?|pioneers?|forerunners?|earliest|older|oldest|original|early)"
    rf"|(?P<kind>{_MODIFIER})[- ](?:gen|wave|crop|batch|cohort))\b",
    re.IGNORECASE,
)


def compared_side(question: str) -> str | None:
    """Which side of a then-and-now comparison a question is about, "now" or "then", read in the last of its
    sentences that compares (a part may carry the one before it: "First, what did the earliest ones do? Second,
    how do their successors differ?"): a side named before the contrast is the subject ("how is the newer cohort
    different from their predecessors?"), one named only after it the other side ("what's different about them
    vs the pioneers?"). None when it names neither."""
    sentences = re.split(r"(?<=[.?!])\s+", question)
    sentence = ([s for s in sentences if _CONTRAST.search(s) or _THEN.search(s)] or sentences)[-1]
    contrast = _CONTRAST.search(sentence)
    sides = [(m.start(), _side(m)) for m in _SIDE.finditer(sentence)]
    if not sides:
        return None
    before = [side for at, side in sides if contrast is None or at < contrast.start()]
    if before:
        return before[0]
    return "then" if sides[0][1] == "now" else "now"


def _side(found: re.Match[str]) -> str:
    if found.group("kind"):
        return "then" if _ORDINAL.get(found.group("kind").lower(), found.group("kind").lower()) == "first" else "now"
    return "now" if found.group("now") else "then"


_RANK = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def subject_rank(sentence: str) -> int | None:
    """The ordinal of the kind a sentence's subject is ("Second-generation CMIOs tend to ..." is 2), if it is one."""
    ranks = [_RANK[mod] for mod, _ in kinds(" ".join(sentence.split()[:2]))]
    return max(ranks) if ranks else None


_NOW = re.compile(r"\b(?:these days|nowadays|today|now|currently|at present)\b", re.IGNORECASE)


def asks_now(question: str) -> bool:
    """Whether a question that compares nothing asks about today's kind ("what does the CMIO focus on these days?"):
    it says now, and names no then side ("newer domains" is no time)."""
    return bool(_NOW.search(question)) and all(_side(m) == "now" for m in _SIDE.finditer(question))
