"""What the emulated server knows (users, chats, messages, files, pending updates) and how it changes.

``EmulatorStore`` is the base of every part of ``BotApiEmulator``: the constructor, the state, and the
internal operations the Bot API methods and the test-side helpers share (new messages, privacy mode, updates).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import secrets
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from aiohttp import web

from .entities import iter_entities
from .faults import FaultPlan
from .params import Params
from .records import ChatRef, ChatState, JSONDict, PendingQuery, Poll, StoredFile, UserRef, WebhookState, now, ref_id

#: Update types Telegram sends when allowed_updates is empty or was never given.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})


class Signal:
    """A broadcast "state changed" notification for coroutines waiting on one event loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every current waiter; later waiters wait for the next fire."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """Wait for the next fire at most ``timeout`` seconds; True if it fired."""
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))
        except TimeoutError:
            return False
        return True


def _update_type(update: JSONDict) -> str:
    """The payload key of an Update (message, callback_query, ...)."""
    return next(k for k in update if k != "update_id")


class EmulatorStore:
    """The emulator's state and the operations on it; ``BotApiEmulator`` adds the methods and the HTTP server."""

    def __init__(
        self,
        token: str = "123456:TEST-secret",
        bot_username: str = "hiring_advisor_bot",
        bot_first_name: str = "Hiring Advisor",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        privacy_mode: bool = True,
        strict_ampersand: bool = False,
        callback_query_ttl: float = 15.0,
        inline_query_ttl: float = 10.0,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 10.0,
        first_update_id: int = 100_000_001,
    ) -> None:
        bot_id, sep, _ = token.partition(":")
        if not sep or not bot_id.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.host = host
        self.privacy_mode = privacy_mode
        self.strict_ampersand = strict_ampersand
        self.callback_query_ttl = callback_query_ttl
        self.inline_query_ttl = inline_query_ttl
        self.webhook_retry_delay = webhook_retry_delay
        self.webhook_timeout = webhook_timeout
        self.bot_user: JSONDict = {
            "id": int(bot_id),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._requested_port = port
        self.port: int = 0
        #: every request with a valid token and a Bot API method name, in arrival order
        self.calls: list[tuple[str, JSONDict]] = []
        #: answerInlineQuery / answerCallbackQuery parameters the server accepted
        self.inline_answers: list[JSONDict] = []
        self.callback_answers: list[JSONDict] = []
        #: sendMessageDraft parameters the server accepted (text after parsing)
        self.drafts: list[JSONDict] = []
        #: every update ever created, and the ones each webhook POST carried (update, HTTP status)
        self.updates_log: list[JSONDict] = []
        self.webhook_deliveries: list[tuple[JSONDict, int | None]] = []
        #: unexpected exceptions inside the emulator (answered as 500); tests should keep it empty
        self.errors: list[BaseException] = []
        #: called with (chat id, message) whenever the bot creates or edits a message; the message is
        #: the live stored object (do not mutate it). Load drivers use this instead of polling sent().
        self.bot_message_listeners: list[Callable[[int, JSONDict], None]] = []
        self.faults: FaultPlan | None = None
        self.description: dict[str, str] = {}
        self.short_description: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self._all_commands: dict[tuple[str, str], list[JSONDict]] = {}
        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int, ChatState] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = itertools.count()
        self._user_ids = itertools.count(10_001)
        self._group_ids = itertools.count(1)
        self._update_ids = itertools.count(first_update_id)
        self._pending: list[JSONDict] = []
        self._allowed_updates: list[str] | None = None
        self._polls: list[Poll] = []
        self._callback_queries: dict[str, PendingQuery] = {}
        self._inline_queries: dict[str, PendingQuery] = {}
        self._webhook: WebhookState | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._flood_until: dict[str, float] = {}
        self._update_signal: Signal | None = None
        self._bot_signal: Signal | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        self._handlers: dict[str, Callable[[Params], Awaitable[Any]]] = self._method_handlers()

    def _method_handlers(self) -> dict[str, Callable[[Params], Awaitable[Any]]]:
        """The Bot API method name -> handler table (``BotApiEmulator`` routes the methods)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers: signals

    def _bot_fire(self) -> None:
        if self._bot_signal is not None:
            self._bot_signal.fire()

    def _updates_fire(self) -> None:
        if self._update_signal is not None:
            self._update_signal.fire()

    # ------------------------------------------------------------------ internals: state

    def _user(self, ref: UserRef) -> JSONDict:
        uid = ref_id(ref)
        if uid == self.bot_user["id"]:
            return self.bot_user
        user = self._users.get(uid)
        if user is None:
            if isinstance(ref, dict):
                return self._users.setdefault(uid, copy.deepcopy(ref))
            raise ValueError(f"unknown user {uid}; create it with emu.user()")
        return user

    def _state(self, ref: ChatRef) -> ChatState:
        state = self._chats.get(ref_id(ref))
        if state is None:
            raise ValueError(f"unknown chat {ref_id(ref)}; create it with private_chat/group_chat")
        return state

    def _set_status(self, state: ChatState, user_id: int, status: str) -> None:
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(_MEMBER_STATUSES)}")
        state.members[user_id] = status

    def _join(self, state: ChatState, user_id: int) -> None:
        if state.members.get(user_id) in (None, "left"):
            state.members[user_id] = "member"

    def _chat_instance(self, chat_id: int) -> str:
        """Stable per-chat value, like Telegram's chat_instance."""
        return str(zlib.crc32(f"{self.bot_user['id']}:{chat_id}".encode()) * 2_654_435_761)

    def _new_message(
        self,
        state: ChatState,
        sender: JSONDict,
        *,
        thread_id: int | None = None,
        reply_to: JSONDict | None = None,
        **content: Any,
    ) -> JSONDict:
        """Create and store a message with the next per-chat id."""
        mid = state.next_message_id
        state.next_message_id += 1
        if thread_id is None and reply_to is not None and state.chat.get("is_forum"):
            thread_id = reply_to.get("message_thread_id")
        msg: JSONDict = {"message_id": mid, "from": copy.deepcopy(sender)}
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
        msg["chat"] = copy.deepcopy(state.chat)
        msg["date"] = now()
        if reply_to is not None:
            msg["reply_to_message"] = {k: v for k, v in copy.deepcopy(reply_to).items()
                                       if k != "reply_to_message"}  # fmt: skip
        if thread_id is not None and state.chat.get("is_forum"):
            msg["is_topic_message"] = True
            state.topics.add(thread_id)
        msg.update({k: v for k, v in content.items() if v is not None})
        state.messages[mid] = msg
        if sender.get("id") == self.bot_user["id"] and sender.get("is_bot"):
            state.bot_message_ids.append(mid)
            self._bot_fire()
            self._bot_message_changed(state, msg)
        return msg

    def _bot_message_changed(self, state: ChatState, msg: JSONDict) -> None:
        for listener in self.bot_message_listeners:
            listener(state.id, msg)

    def _resolve_reply(self, state: ChatState, reply_to: JSONDict | int | None) -> JSONDict | None:
        if reply_to is None:
            return None
        mid = int(reply_to["message_id"]) if isinstance(reply_to, dict) else int(reply_to)
        target = state.messages.get(mid)
        if target is None:
            raise ValueError(f"message {mid} does not exist in chat {state.id}")
        return target

    def _bot_is_admin(self, state: ChatState) -> bool:
        return state.members.get(self.bot_user["id"]) in ("administrator", "creator")

    def _visible_to_bot(self, state: ChatState, msg: JSONDict) -> bool:
        """Privacy mode: what a bot in a group gets (Telegram's rules for a default bot)."""
        if state.type == "private":
            return not state.blocked
        if state.members.get(self.bot_user["id"]) in ("left", "kicked", None):
            return False
        if not self.privacy_mode or self._bot_is_admin(state):
            return True
        reply = msg.get("reply_to_message")
        if reply and reply.get("from", {}).get("id") == self.bot_user["id"]:
            return True
        username = str(self.bot_user["username"]).lower()
        for kind, value in iter_entities(msg):
            if kind == "bot_command":
                _, _, target = value.partition("@")
                if not target or target.lower() == username:
                    return True
            if kind == "mention" and value[1:].lower() == username:
                return True
        return False

    def _deliver_user_message(self, state: ChatState, msg: JSONDict) -> None:
        if self._visible_to_bot(state, msg):
            self._enqueue({"message": copy.deepcopy(msg)})

    def _enqueue(self, payload: JSONDict) -> JSONDict:
        """Create an update; it is kept only if the bot's allowed_updates admits its type."""
        update: JSONDict = {"update_id": next(self._update_ids)}
        update.update(payload)
        self.updates_log.append(copy.deepcopy(update))
        allowed = self._webhook.allowed_updates if self._webhook else self._allowed_updates
        kind = _update_type(update)
        if allowed:
            if kind not in allowed:
                return update
        elif kind in _DEFAULT_EXCLUDED_UPDATES:
            return update
        self._pending.append(update)
        self._updates_fire()
        return update

    def _store_file(self, data: bytes, filename: str | None, mime_type: str | None, folder: str) -> StoredFile:
        number = next(self._file_counter)
        ext = ""
        if filename and "." in filename:
            ext = "." + filename.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:04d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AgAD{secrets.token_urlsafe(9)}",
            data=data,
            file_path=f"{folder}/file_{number}{ext}",
            file_name=filename,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored
