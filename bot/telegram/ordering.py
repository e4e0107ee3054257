"""Concurrent across conversations, strictly in order within one.

With `concurrent_updates` PTB starts a task per update, so a quick "and for CMIOs?" could be
answered before the question it follows. This processor chains the updates of each conversation
(chat + forum topic): an update starts only when the previous one of the same conversation is done.
The chain is joined synchronously, before the first await, so the order is the arrival order.
Waiting for the chain happens before a worker slot is taken, so a busy chat never starves others.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_QUEUED = 4096
"""PTB's own cap (tasks created); the real concurrency limit is `max_active`."""


def conversation_key(update: object) -> Hashable | None:
    """(chat id, forum topic id) for anything that happens in a chat; None runs unordered (inline queries)."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    message = update.effective_message
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    return (update.effective_chat.id, thread)


class ChatOrderedProcessor(BaseUpdateProcessor):
    """At most `max_active` updates run at once; each conversation's updates run one after another."""

    def __init__(self, max_active: int) -> None:
        super().__init__(max_concurrent_updates=MAX_QUEUED)
        if max_active < 1:
            raise ValueError("max_active must be at least 1")
        self._max_active = max_active
        self._active: asyncio.Semaphore | None = None
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    async def initialize(self) -> None:
        self._active = asyncio.Semaphore(self._max_active)
        self._tails.clear()

    async def shutdown(self) -> None:
        self._tails.clear()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._active is None:
            raise RuntimeError("ChatOrderedProcessor used before initialize()")
        key = conversation_key(update)
        previous = self._tails.get(key) if key is not None else None
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if key is not None:
            self._tails[key] = mine
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)  # shielded: our cancellation must not cancel theirs
            async with self._active:
                started = True
                await coroutine
        finally:
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while queued: the handler never runs, and no warning
            mine.set_result(None)
            if key is not None and self._tails.get(key) is mine:
                del self._tails[key]
