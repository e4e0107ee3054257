"""The running bot follows a new index version in the background, not on a user's question.

Why: every read checks which version is live and opens a new one on the spot, so the first question
after an ingest paid for opening it (a private copy of the version, its keyword statistics, its
lexicon) on top of its answer. A background task asks the advisor to follow the live version every
FOLLOW_S (Advisor.follow_live: a stat when nothing changed), so the switch is done by the time a
question comes; one that comes while the switch runs waits for it, as before, never for a second one.
"""

from __future__ import annotations

import asyncio
import logging

from bot.answer.advisor import Advisor
from ingest.errors import IngestError

log = logging.getLogger(__name__)

FOLLOW_S = 0.5
"""How often the bot checks for a new live version (embedded: a stat; server mode reads the pointer at
most every store.refresh_seconds however often it is asked)."""


async def follow_live(advisor: Advisor, every_s: float = FOLLOW_S) -> None:
    """Run until cancelled: open each new live version as soon as it is live."""
    while True:
        try:
            await asyncio.to_thread(advisor.follow_live)
        except IngestError as exc:  # the store down or damaged: questions say so meanwhile; the next round retries
            log.debug("following the live version: %s", exc)
        await asyncio.sleep(every_s)
