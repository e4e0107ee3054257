"""The toolkit service every front end asks (CLI, console, Telegram): one role name in, one document out.

It builds on the advisor's public ranking and role resolution only, so it never touches the index.
"""

from __future__ import annotations

import asyncio
from functools import cached_property

from bot.answer.advisor import Advisor
from bot.toolkit.criteria import RoleCriteria, build_criteria
from bot.toolkit.cvtext import read_cv
from bot.toolkit.jd import JobDescription, build_jd
from bot.toolkit.kit import InterviewKit, build_kit
from bot.toolkit.scorecard import Scorecard, build_scorecard
from bot.toolkit.screen import Background, Screening, screen


class Toolkit:
    """Criteria, interview kits and the documents built from them, for any role some article is about."""

    def __init__(self, advisor: Advisor) -> None:
        self.advisor = advisor

    def criteria(self, role: str) -> RoleCriteria:
        """The role's cited criteria (blocking); UnknownRoleError when no article is about `role`."""
        resolved = self.advisor.role(role)
        return build_criteria(self.advisor.rank_section, resolved)

    async def phrased(self, kit: InterviewKit) -> InterviewKit:
        """In LLM mode, the kit with its questions phrased by the model (bot.toolkit.phrasing); else `kit`."""
        if not self.advisor.uses_llm:
            return kit
        llm = await asyncio.to_thread(self.advisor.llm.built)
        if llm is None:
            return kit
        from bot.toolkit.phrasing import phrase_kit  # LLM mode only: nothing LLM-related loads otherwise

        return await phrase_kit(kit, llm)

    def kit(self, role: str) -> InterviewKit:
        """The interview kit for `role` (blocking)."""
        return build_kit(self.criteria(role))

    def scorecard(self, role: str) -> Scorecard:
        """The scorecard for `role` (blocking): one row per criterion, the anchored scale, a recommendation."""
        return build_scorecard(self.criteria(role))

    def jd(self, role: str) -> JobDescription:
        """The job-description draft for `role` (blocking)."""
        return build_jd(self.criteria(role), self.advisor.rank_section)

    def screen(self, role: str, data: bytes, filename: str) -> Screening:
        """The CV evidence check of one CV, read from memory and kept nowhere (blocking); CVRefused (one line)
        for a file that is unreadable or no CV, UnknownRoleError for a role no article is about."""
        criteria = self.criteria(role)
        return screen(criteria, read_cv(data, filename), self.advisor.encode, self.background)

    @cached_property
    def background(self) -> Background:
        """The CV check's ordinary CV sentences and their words as vectors, encoded once per toolkit (no CV text)."""
        return Background.encoded(self.advisor.encode)
