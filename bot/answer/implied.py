"""The role a question means when it names none: "the MD who championed the EHR" is the CMIO.

Paraphrases ("our top technologist", "physician-tech leaders") name no role, so retrieval would mix
every role's articles. The question's vector is compared with each known role's everyday titles
(bot.answer.roles.TITLES, or the acronym for a role the table does not know); only a clear winner counts,
since a general question ("what do both roles need?") means no one role.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from bot.answer.roles import TITLES

MARGIN = 0.06
"""How much closer the best role must be than the next (fitted on the dev sets: every dev paraphrase
above it implies the right role, and none of the answerable questions below it would)."""


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

    def of(self, vector: Sequence[float], roles: Sequence[str]) -> str | None:
        """The one role the question is clearly about, or None."""
        if len(roles) < 2:
            return None
        query = np.asarray(vector, dtype=np.float32)
        sims = [float(np.max(v @ query)) for v in self._role_vectors(roles)]
        order = np.argsort(sims)[::-1]
        return roles[int(order[0])] if sims[order[0]] - sims[order[1]] >= MARGIN else None
