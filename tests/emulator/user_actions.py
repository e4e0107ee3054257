"""The test side acting as users: people and chats, and what they do (write, forward, send files, tap, query)."""

from __future__ import annotations

import copy
import secrets
import time

from .auto_entities import find_auto_entities
from .entities import sort_entities
from .records import ChatRef, ChatState, JSONDict, PendingQuery, UserRef, drop_none, now, ref_id
from .store import EmulatorStore


class UserActions(EmulatorStore):
    """Synchronous injection helpers: each creates what a real client would and queues its update."""

    # ------------------------------------------------------------------ test side: people

    def user(
        self,
        id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = "en",
        is_premium: bool | None = None,
    ) -> JSONDict:
        """Create (or update) a human user; returns the User object as Telegram sends it."""
        user_id = id if id is not None else next(self._user_ids)
        user = drop_none(
            {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
                "is_premium": is_premium,
            }
        )
        self._users[user_id] = user
        return copy.deepcopy(user)

    def private_chat(self, user: UserRef) -> JSONDict:
        """The private chat of ``user`` with the bot, as if the user had pressed Start."""
        info = self._user(user)
        chat = drop_none(
            {
                "id": info["id"],
                "first_name": info["first_name"],
                "last_name": info.get("last_name"),
                "username": info.get("username"),
                "type": "private",
            }
        )
        state = self._chats.get(info["id"])
        if state is None:
            state = ChatState(chat=chat)
            self._chats[info["id"]] = state
        state.chat = chat
        state.members.update({info["id"]: "member", self.bot_user["id"]: "member"})
        return copy.deepcopy(chat)

    def group_chat(
        self,
        id: int | None = None,
        title: str = "Test group",
        is_forum: bool = False,
        *,
        username: str | None = None,
        chat_type: str | None = None,
        bot_status: str = "member",
    ) -> JSONDict:
        """A group with the bot in it: ids from -100... are supergroups, others basic groups."""
        chat_id = id if id is not None else -1_001_000_000_000 - next(self._group_ids)
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = chat_type or ("supergroup" if str(chat_id).startswith("-100") else "group")
        if is_forum and kind != "supergroup":
            raise ValueError("only supergroups can be forums")
        chat = drop_none(
            {
                "id": chat_id,
                "title": title,
                "username": username,
                "type": kind,
                "is_forum": True if is_forum else None,
            }
        )
        state = self._chats.get(chat_id)
        if state is None:
            state = ChatState(chat=chat)
            self._chats[chat_id] = state
        state.chat = chat
        self._set_status(state, self.bot_user["id"], bot_status)
        return copy.deepcopy(chat)

    def set_member_status(self, chat: ChatRef, user: UserRef, status: str) -> None:
        """Make ``user`` (or the bot, via ``emu.bot_user``) creator/administrator/member/left/kicked."""
        state = self._state(chat)
        uid = ref_id(user)
        if uid != self.bot_user["id"]:
            self._user(uid)
        self._set_status(state, uid, status)

    def block_bot(self, user: UserRef, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sending to them gets 403 like in Telegram."""
        self._state(ref_id(user)).blocked = blocked

    def create_topic(self, chat: ChatRef, user: UserRef, name: str) -> int:
        """A user opens a forum topic; returns its message_thread_id."""
        state = self._state(chat)
        if not state.chat.get("is_forum"):
            raise ValueError("chat is not a forum")
        creator = self._user(user)
        self._join(state, creator["id"])
        msg = self._new_message(
            state,
            creator,
            forum_topic_created={"name": name, "icon_color": 7322096},
        )
        thread_id = int(msg["message_id"])
        msg["message_thread_id"] = thread_id
        msg["is_topic_message"] = True
        state.topics.add(thread_id)
        return thread_id

    # ------------------------------------------------------------------ test side: activity

    def send_text(
        self,
        chat: ChatRef,
        user: UserRef,
        text: str,
        reply_to: JSONDict | int | None = None,
        thread_id: int | None = None,
    ) -> JSONDict:
        """A user writes ``text``; entities (commands, mentions, links) are detected like Telegram.

        Returns the Message; it becomes an update unless privacy mode hides it from the bot.
        """
        state = self._state(chat)
        sender = self._user(user)
        self._join(state, sender["id"])
        text = text.strip()
        if not text:
            raise ValueError("Telegram clients cannot send an empty message")
        entities = sort_entities(find_auto_entities(text))
        msg = self._new_message(
            state,
            sender,
            thread_id=thread_id,
            reply_to=self._resolve_reply(state, reply_to),
            text=text,
            entities=entities or None,
        )
        self._deliver_user_message(state, msg)
        return copy.deepcopy(msg)

    def forward(self, chat: ChatRef, user: UserRef, original: JSONDict, *, thread_id: int | None = None) -> JSONDict:
        """``user`` forwards into ``chat`` a message another user wrote (``original``: its text or
        document and entities, and its ``from``). As in Telegram, ``from`` is the forwarder and the
        author appears only in ``forward_origin``, so a forward never acts with its author's rights.
        """
        state = self._state(chat)
        sender = self._user(user)
        self._join(state, sender["id"])
        author = original.get("from")
        if not isinstance(author, dict):
            raise ValueError("the original message needs a 'from' user")
        content = {k: copy.deepcopy(original[k]) for k in ("text", "entities", "document", "caption") if k in original}
        if not content:
            raise ValueError("only text and document messages can be forwarded here")
        origin = {"type": "user", "date": int(original.get("date") or now()), "sender_user": copy.deepcopy(author)}
        msg = self._new_message(state, sender, thread_id=thread_id, forward_origin=origin, **content)
        self._deliver_user_message(state, msg)
        return copy.deepcopy(msg)

    def send_document(
        self,
        chat: ChatRef,
        user: UserRef,
        filename: str = "document.pdf",
        content: bytes = b"",
        mime_type: str | None = "application/pdf",
        caption: str | None = None,
        *,
        reply_to: JSONDict | int | None = None,
        thread_id: int | None = None,
    ) -> JSONDict:
        """A user sends a file; the bot can getFile and download exactly ``content``."""
        state = self._state(chat)
        sender = self._user(user)
        self._join(state, sender["id"])
        if not content:
            raise ValueError("Telegram does not accept empty files")
        stored = self._store_file(content, filename, mime_type, folder="documents")
        fields: JSONDict = {"document": stored.document()}
        if caption:
            fields["caption"] = caption
            fields["caption_entities"] = sort_entities(find_auto_entities(caption)) or None
        msg = self._new_message(
            state,
            sender,
            thread_id=thread_id,
            reply_to=self._resolve_reply(state, reply_to),
            **fields,
        )
        self._deliver_user_message(state, msg)
        return copy.deepcopy(msg)

    def edit_text(self, chat: ChatRef, user: UserRef, message: JSONDict | int, text: str) -> JSONDict:
        """A user edits their own text message: an ``edited_message`` update."""
        state = self._state(chat)
        mid = int(message["message_id"]) if isinstance(message, dict) else int(message)
        msg = state.messages.get(mid)
        if msg is None or msg.get("from", {}).get("id") != ref_id(user):
            raise ValueError("users can only edit their own existing messages")
        msg["text"] = text
        entities = sort_entities(find_auto_entities(text))
        if entities:
            msg["entities"] = entities
        else:
            msg.pop("entities", None)
        msg["edit_date"] = now()
        if self._visible_to_bot(state, msg):
            self._enqueue({"edited_message": copy.deepcopy(msg)})
        return copy.deepcopy(msg)

    def press_button(
        self,
        chat: ChatRef,
        user: UserRef,
        message: JSONDict | int,
        callback_data: str,
        *,
        strict: bool = True,
    ) -> JSONDict:
        """A user taps an inline button; returns the CallbackQuery (answer it via its ``id``).

        With ``strict`` the message must currently carry a button with that callback_data, as
        only such a tap is possible in a real client.
        """
        state = self._state(chat)
        sender = self._user(user)
        mid = int(message["message_id"]) if isinstance(message, dict) else int(message)
        current = state.messages.get(mid)
        if current is None:
            raise ValueError(f"message {mid} does not exist in chat {state.id}")
        if strict:
            rows = current.get("reply_markup", {}).get("inline_keyboard", [])
            if not any(b.get("callback_data") == callback_data for row in rows for b in row):
                raise ValueError(f"message {mid} has no button with callback_data {callback_data!r}")
        query_id = str(secrets.randbelow(2**62) + 2**62)
        self._callback_queries[query_id] = PendingQuery(time.monotonic())
        query = {
            "id": query_id,
            "from": copy.deepcopy(sender),
            "message": copy.deepcopy(current),
            "chat_instance": self._chat_instance(state.id),
            "data": callback_data,
        }
        self._enqueue({"callback_query": query})
        return copy.deepcopy(query)

    def inline_query(self, user: UserRef, query: str, offset: str = "", chat_type: str = "sender") -> JSONDict:
        """A user types ``@bot query`` somewhere; returns the InlineQuery."""
        sender = self._user(user)
        query_id = str(secrets.randbelow(2**62) + 2**62)
        self._inline_queries[query_id] = PendingQuery(time.monotonic())
        inline = {
            "id": query_id,
            "from": copy.deepcopy(sender),
            "query": query,
            "offset": offset,
            "chat_type": chat_type,
        }
        self._enqueue({"inline_query": inline})
        return copy.deepcopy(inline)
