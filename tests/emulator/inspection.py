"""The test side reading what the bot did: its messages, its calls, its settings, and waiting for them."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable

from .records import ChatRef, JSONDict, WebhookState, ref_id
from .store import EmulatorStore


class Inspection(EmulatorStore):
    """Read-only views of the emulator's state (copies), and waits on the bot's activity."""

    def sent(self, chat_id: ChatRef, *, include_deleted: bool = False) -> list[JSONDict]:
        """Messages the bot sent to the chat, in order, each in its latest (edited) state."""
        state = self._chats.get(ref_id(chat_id))
        if state is None:
            return []
        ids = state.bot_message_ids
        if not include_deleted:
            ids = [i for i in ids if i in state.messages]
        return [copy.deepcopy(state.messages[i]) for i in ids if i in state.messages]

    def delivered_texts(self, chat_id: ChatRef) -> list[str]:
        """Texts (or captions) of the bot's live messages in the chat, for exactly-once checks."""
        texts: list[str] = []
        for msg in self.sent(chat_id):
            value = msg.get("text", msg.get("caption"))
            if isinstance(value, str):
                texts.append(value)
        return texts

    def deleted(self, chat_id: ChatRef) -> list[int]:
        """Ids of messages deleted through the API in this chat."""
        state = self._chats.get(ref_id(chat_id))
        return list(state.deleted_ids) if state else []

    def calls_of(self, method: str) -> list[JSONDict]:
        """Params of every call of ``method`` (case-insensitive), in order."""
        wanted = method.lower()
        return [params for name, params in self.calls if name.lower() == wanted]

    @property
    def commands(self) -> list[JSONDict]:
        """setMyCommands state for the default scope and no language."""
        return copy.deepcopy(self._all_commands.get(("default", ""), []))

    @property
    def all_commands(self) -> dict[tuple[str, str], list[JSONDict]]:
        """setMyCommands state per (scope key, language_code)."""
        return copy.deepcopy(self._all_commands)

    @property
    def pending_updates(self) -> list[JSONDict]:
        """Updates created but not yet confirmed by getUpdates / accepted by the webhook."""
        return copy.deepcopy(self._pending)

    @property
    def webhook(self) -> WebhookState | None:
        """The current webhook, if one is set."""
        return self._webhook

    async def wait_for_messages(self, chat_id: ChatRef, n: int, timeout: float = 10.0) -> list[JSONDict]:
        """Wait until the bot has at least ``n`` live messages in the chat; returns them all."""
        await self._wait_until(lambda: len(self.sent(chat_id)) >= n, timeout,
                               lambda: f"{n} bot messages in chat {ref_id(chat_id)}, got "
                               f"{self.delivered_texts(chat_id)!r}")  # fmt: skip
        return self.sent(chat_id)

    async def wait_for_calls(self, method: str, n: int = 1, timeout: float = 10.0) -> list[JSONDict]:
        """Wait until ``method`` was called at least ``n`` times; returns all its params."""
        await self._wait_until(lambda: len(self.calls_of(method)) >= n, timeout,
                               lambda: f"{n} calls of {method}, got {len(self.calls_of(method))}")  # fmt: skip
        return self.calls_of(method)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds; it is re-checked after every bot request."""
        await self._wait_until(predicate, timeout, lambda: "predicate")

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {describe()}")
            # the signal wakes us on every bot request; the short cap covers predicates that
            # depend on state outside the emulator (e.g. what a handler recorded after a reply)
            if self._bot_signal is None:
                await asyncio.sleep(min(remaining, 0.02))
            else:
                await self._bot_signal.wait(min(remaining, 0.02))
