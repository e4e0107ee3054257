"""Article sentences and sources the guard's tests share (tests/test_grounding.py, tests/test_lexical_misses.py)."""

from __future__ import annotations

from bot.answer.types import Source

CTO = Source(1, "The Health System CTO", "Bonnie Siegel", "Witt/Kieffer", "cto-role-bonnie-siegel.md")
CMIO = Source(2, "CMIOs in Healthcare: The Next Generation Makes Its Mark", "Hillary Ross", "Witt/Kieffer", "cmio.md")
PRESENCE = (
    "The “super-techy” nerd in the cubicle in the computer room has given way to someone who has executive "
    "presence, can manage people, communicate effectively, and can translate complex technical concepts into "
    "laymen’s terms."
)
EXPERIENCE = (
    "The hiring manager ideally wants someone with 5-plus years of applicable experience from a similar health "
    "organization."
)
CRITICAL = "One of the most critical executive positions in healthcare is the CMIO."
SECOND_GENERATION = (
    "Second-generation CMIOs tend to be more strategic and visionary, engaged with senior executives on the "
    "high-level planning that goes into making the right investments in IT."
)
