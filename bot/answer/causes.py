"""Reversed causes: a sentence that keeps its passage's cause and effect but makes each the other.

Why: "The enterprise has become more complex because the CTO role has grown" against "the CTO role has
grown ... as the enterprise becomes more complex" shares every word with its source, and MiniLM likens
the two as closely as a paraphrase; the swap rule (bot.answer.swaps) looks for two short phrases that trade
places, not two whole clauses. A paraphrase may move the clauses ("X because Y" for "Because Y, X"), but it
keeps which one is the cause: so the rule splits both at a causal word and asks whether the sentence's cause
is made of the passage's effect and its effect of the passage's cause.
"""

from __future__ import annotations

import re

from bot.answer.retrieval import stem, terms
from ingest.chunking import split_sentences

_LEADING = re.compile(r"^(?:but |and |so )?(?:because|since)\b(?P<cause>[^,]+),(?P<effect>.+)$", re.I)
"""'Because Y, X': the cause leads, up to the first comma."""
_TRAILING = re.compile(
    r"^(?P<effect>.+?)(?:\bbecause\b|\bsince\b|\bdue to\b|,\s*as\b|\bas (?=the\b|a\b|an\b|more\b))(?P<cause>.+)$",
    re.I,
)
"""'X because Y', 'X, as Y', 'X as the Y': the cause follows. A bare 'as' is a comparison or a role ('such as',
'as a CTO') too often; after a comma or before an article or 'more' it joins a cause far more often."""
_RESULT = re.compile(
    r"^(?P<cause>.+?)(?:,\s*so\b|\bso that\b|\bleads? to\b|\bled to\b|"
    r"\b(?:is what |are what )?(?:has |have )?(?:made|makes|caused|causes|drove|drives|driven)\b)(?P<effect>.+)$",
    re.I,
)
"""'Y, so X', 'Y leads to X', 'Y is what has made X': the cause leads, the result follows."""
_MIN_SIDE = 2
"""Content words each side must share with the passage's other side: fewer is no evidence of a reversal."""


def _stems(text: str) -> set[str]:
    return {stem(t) for t in terms(text)}


def _cause_effect(text: str) -> tuple[set[str], set[str]] | None:
    """The stems of a sentence's cause and of its effect, split at its causal word; None without one."""
    for pattern in (_LEADING, _TRAILING, _RESULT):
        found = pattern.match(text.strip())
        if found:
            return _stems(found.group("cause")), _stems(found.group("effect"))
    return None


def reversed_causes(sentence: str, cited: str) -> list[str]:
    """'reversed cause and effect' when `sentence`'s cause is the cited sentence's effect and the reverse."""
    mine = _cause_effect(sentence)
    if mine is None:
        return []
    cause, effect = mine
    for source in split_sentences(cited) or [cited]:
        theirs = _cause_effect(source)
        if theirs is None:
            continue
        their_cause, their_effect = theirs
        crossed = (len(cause & their_effect), len(effect & their_cause))
        straight = (len(cause & their_cause), len(effect & their_effect))
        if min(crossed) >= _MIN_SIDE and crossed[0] > straight[0] and crossed[1] > straight[1]:
            return ["reversed cause and effect"]
    return []
