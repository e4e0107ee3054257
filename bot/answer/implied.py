"""The role a question means when it names none: "the MD who championed the EHR" is the CMIO.

Paraphrases ("our top technologist", "physician-tech leaders") name no role, so retrieval would mix
every role's articles. The question's vector is compared with each known role's everyday titles
(bot.answer.roles.TITLES, or the acronym for a role the table does not know); only a clear winner counts,
since a general question ("what do both roles need?") means no one role.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence

import numpy as np

from bot.answer.roles import TITLES

MARGIN = 0.06
"""How much closer the best role must be than the next (fitted on the dev sets: every dev paraphrase
above it implies the right role, and none of the answerable questions below it would)."""


_HEAD = r"(?:head|chief|boss|director|leader|lead|top|senior|main)"
_TECH = r"(?:computing|computers?|tech|technology|infrastructure|infra|engineering|technical)"
_DOCTOR = r"(?:doctors?|physicians?|md|mds|clinicians?)"
_CLINICAL_IT = r"(?:computers?|computing|tech|technology|it|informatics|digital|electronic)"
_POST = r"(?:leads?|leaders?|boss(?:es)?|chiefs?|heads?|execs?|officers?)"
EVERYDAY = {
    "CTO": re.compile(
        rf"\b{_HEAD}(?: (?:of|for)(?: (?:our|the|all))?)?(?: [a-z]+)?[- ]{_TECH}\b"
        rf"|\b{_TECH}[- ](?:boss|chief|head|exec\w*|leader|lead|person|guy|director)\b|\btop technologist",
        re.IGNORECASE,
    ),
    "CMIO": re.compile(
        rf"\b{_DOCTOR}[- ](?:{_CLINICAL_IT}[- ])+(?:\w+[- ])?{_POST}\b"
        rf"|\b{_DOCTOR}\b[\w ,-]{{0,30}}\b(?:in charge of|who (?:runs|leads|oversees|heads)|oversee\w*|lead(?:s|ing)?|"
        rf"run(?:s|ning)?)\b[\w -]{{0,30}}\b{_CLINICAL_IT}\b"
        rf"|\b(?:medical|clinical|physician)[- ](?:informatics|computing|it|tech) {_POST}\b",
        re.IGNORECASE,
    ),
}
"""Everyday names for the two roles the shipped articles are about ("the head of computing", "the doctor who runs
our clinical computer systems"), which a long question's vector dilutes below MARGIN. Hand-written: people's names
for a job, not a library's; a role an admin adds is still implied from its titles' vectors."""


def named_everyday(question: str, roles: Sequence[str]) -> str | None:
    """The one known role the question names in everyday words, or None (none, or more than one)."""
    spans = {r: [m.span() for m in EVERYDAY[r].finditer(question)] for r in roles if r in EVERYDAY}
    # "the doctor-computer boss" holds "computer boss": a name inside another role's longer name is not its own.
    found = [
        r
        for r, own in spans.items()
        if any(not any(o != r and a <= x and y <= b for o in spans for a, b in spans[o]) for x, y in own)
    ]
    return found[0] if len(found) == 1 else None


class ImpliedRole:
    """Embeds each role's titles once per role set; `of` is then a few dot products."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray]) -> None:
        self.embed = embed
        self._lock = threading.Lock()
        self._roles: tuple[str, ...] = ()
        self._vectors: list[np.ndarray] = []

    def _role_vectors(self, roles: Sequence[str]) -> list[np.ndarray]:
        with self._lock:
            if tuple(roles) != self._roles:
                titles = [TITLES.get(r, (r,)) for r in roles]
                self._vectors = [
                    np.asarray(self.embed([f"the {t}, a health system executive" for t in ts]), dtype=np.float32)
                    for ts in titles
                ]
                self._roles = tuple(roles)
            return self._vectors

    def of(self, vector: Sequence[float], roles: Sequence[str], question: str = "") -> str | None:
        """The one role the question is clearly about, or None."""
        if len(roles) < 2:
            return None
        everyday = named_everyday(question, roles) if question else None
        if everyday:
            return everyday
        query = np.asarray(vector, dtype=np.float32)
        sims = [float(np.max(v @ query)) for v in self._role_vectors(roles)]
        order = np.argsort(sims)[::-1]
        return roles[int(order[0])] if sims[order[0]] - sims[order[1]] >= MARGIN else None
