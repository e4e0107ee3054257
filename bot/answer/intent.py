"""What a question asks for: a role brief, a comparison of two roles, or an answer.

Decided from the words alone (and the known roles it names), before any retrieval, so a request for
a brief never runs the answer path and its scope decision.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

Route = Literal["answer", "brief", "compare"]

_BRIEF_INTENT = re.compile(
    r"\b(brief|briefing|summary|summari[sz]e|overview|one[- ]pager|one[- ]page|profile|cheat ?sheet)\b", re.I
)
_COMPARE_INTENT = re.compile(r"\b(compare|comparison|versus|vs\.?|difference|differences|differ)\b", re.I)
_REQUEST = re.compile(r"\b(give|write|prepare|draft|make|create|send|share|need|want|summari[sz]e)\b", re.I)


def asks_for_brief(question: str) -> bool:
    """A request for a brief ("Give me a CTO one-pager", "CTO summary?"), not a question that only
    names one ("For the CTO profile: how much weight do ethics carry?", which wants an answer)."""
    if not _BRIEF_INTENT.search(question):
        return False
    return not question.rstrip().endswith("?") or bool(_REQUEST.search(question)) or len(question.split()) <= 4


def route(question: str, roles: Sequence[str]) -> Route:
    """What a question asks for: "compare" (two known roles), "brief" (one) or an "answer"."""
    if len(roles) == 2 and _COMPARE_INTENT.search(question):
        return "compare"
    if len(roles) == 1 and asks_for_brief(question):
        return "brief"
    return "answer"
