"""The long-lived objects handlers need, built once in `build_application` and found in bot_data.

Keeping them in one typed object (rather than loose bot_data keys) lets mypy check every handler's
use of them, and lets post_init/post_shutdown own the ones that hold resources (the StateStore).
"""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import CallbackContext

from bot.answer.advisor import Advisor
from bot.settings import Settings
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.state import StateStore
from bot.toolkit.service import Toolkit
from ingest.changes import KnowledgeChanges

SERVICES_KEY = "services"
PURGE_EVERY_S = 6 * 3600.0


def cpu_count() -> int:
    """CPUs this process may run on (its affinity, e.g. a container's cpuset), not the whole machine's."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass
class Services:
    """Everything a handler may use; `state` is opened in post_init unless a test passed one in."""

    settings: Settings
    advisor: Advisor
    limiter: RateLimiter
    changes: KnowledgeChanges
    """Adding, removing and re-ingesting articles: the same service as `python -m ingest add|remove`."""
    toolkit: Toolkit
    """Interview kits, scorecards, drafts and CV checks, built on the same advisor (bot.toolkit.service)."""
    state_store: StateStore | None = None
    owns_state: bool = True
    ingest_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answer_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(cpu_count()))
    """Answers, briefs and comparisons computed at once (see bot.telegram.answering.computing)."""
    last_purge: float = field(default_factory=time.monotonic)
    shares: dict[tuple[str, str], tuple[float, str]] = field(default_factory=dict)
    """Inline mode's toolkit documents: (kind, role) -> (when built, first message) (bot.telegram.inline)."""
    cv_requests: dict[tuple[int, int], tuple[float, str]] = field(default_factory=dict)
    """(chat, user) -> (until when, role): a /screen waiting for its CV file, in memory only (cv_check)."""
    menu_task: asyncio.Task[None] | None = None
    """Completes the command menu once the store is back (started only if it was down at start-up)."""
    follow_task: asyncio.Task[None] | None = None
    """Opens each new live version in the background (bot.telegram.follow)."""

    @property
    def state(self) -> StateStore:
        if self.state_store is None:
            raise RuntimeError("the state store is not open (post_init has not run)")
        return self.state_store

    async def purge_if_due(self) -> None:
        """Retention holds for a bot that runs for months too, not only at start-up."""
        if time.monotonic() - self.last_purge < PURGE_EVERY_S:
            return
        self.last_purge = time.monotonic()
        await asyncio.to_thread(self.state.purge_expired)


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """The typed Services of the running Application."""
    found = context.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("bot_data has no Services: build the Application with build_application")
    return found
