"""Which sentences become an answer's points: the best of a one-part question's sentences, or, for a question
of several parts (bot.answer.multipart), each part searched, decided and picked on its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from bot.answer.extractive import Candidate, with_continuations
from bot.answer.followup import Resolved
from bot.answer.multipart import part_question
from bot.answer.roles import find_roles
from bot.answer.scope import ScopeModel
from bot.answer.search import QuestionSearch
from bot.answer.settings import AdvisorSettings


class Chosen(NamedTuple):
    points: list[Candidate]
    """The points, each with the sentence that only continues it."""
    uncovered: list[str]
    """What parts the articles do not cover ask for, in the user's words."""
    firsts: list[Candidate]
    """Each answered part's first point: fitting an answer to its length keeps these."""


class PointChooser:
    """Picks the points for the search's ranked sentences; the scope model decides each part of a question."""

    def __init__(self, search: QuestionSearch, scope: ScopeModel, cfg: AdvisorSettings) -> None:
        self.search = search
        self.picker = search.picker
        self.scope = scope
        self.cfg = cfg

    def choose(self, parts: Sequence[str], ranked: Sequence[Candidate], covered: list[str]) -> Chosen:
        """For a question of one part: the best of its sentences. For several parts: each part is scored and
        decided on its own, with the question's roles; a part the articles cover gives its best points, one they
        do not is named instead."""
        limit = self.cfg.max_points
        if len(parts) < 2:
            picked = self.picker.pick(ranked, limit, self.cfg.min_points)
            return Chosen(with_continuations(picked, ranked, self.search.after), [], [])
        known = self.search.roles()
        chosen: list[Candidate] = []
        uncovered: list[str] = []
        firsts: list[Candidate] = []
        share = max(1, limit // len(parts))
        for part in parts:
            named = [r for r in find_roles(part, known) if r in known]
            roles = named or list(covered)
            part_resolved = Resolved(part_question(part, roles), tuple(roles))
            found, _, verdict = self.search.decided(part_resolved, self.scope.decide)
            covered = covered or found.roles  # a role the first part implied ("the head technology person") holds
            if verdict != "answer":
                uncovered.append(self.search.missing(part, found.ranked))
                continue
            fresh = [c for c in found.ranked if not any(c.text == o.text for o in chosen)]
            # Weighed against the part's own best sentence, even when an earlier part quoted it already: else
            # what is left of a part answered already is padded with the sentences that happen to come next.
            picked = self.picker.pick(fresh, share, 1, [c.vector for c in chosen], found.ranked[0].score)
            # Continuations from the part's own passages: passage numbers are per retrieval, so the
            # whole question's passage 3 is not this part's.
            firsts += picked[:1]
            chosen += with_continuations(picked, fresh, self.search.after)
        return Chosen(chosen[:limit], uncovered, firsts)
