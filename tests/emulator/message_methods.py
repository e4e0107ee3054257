"""The Bot API methods on text messages: send, edit, delete, chat actions and drafts."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from .answers import ApiError, bad_request
from .params import Params
from .records import ChatState, JSONDict, drop_none, now
from .request_checks import RequestChecks

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note",
        "upload_video_note",
    }
)  # fmt: skip
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)


class MessageMethods(RequestChecks):
    """sendMessage, editMessageText, editMessageReplyMarkup, deleteMessage(s), sendChatAction, sendMessageDraft."""

    async def _send_message(self, params: Params) -> JSONDict:
        state = self._target_chat(params)
        if params.text("text") in (None, ""):
            raise bad_request("message text is empty")
        formatted = self._format(params, "text", "entities")
        thread_id = self._thread(state, params)
        reply = self._reply_target(state, params)
        markup = self._markup(params)
        preview = params.get("link_preview_options")
        msg = self._new_message(
            state,
            self.bot_user,
            thread_id=thread_id,
            reply_to=reply,
            text=formatted.text,
            entities=formatted.entities or None,
            link_preview_options=preview if isinstance(preview, dict) and preview else None,
            reply_markup=markup,
        )
        return copy.deepcopy(msg)

    async def _edit_message_text(self, params: Params) -> JSONDict:
        state, msg = self._bot_message_for_edit(params)
        if "text" not in msg:
            raise bad_request("there is no text in the message to edit")
        if params.text("text") in (None, ""):
            raise bad_request("message text is empty")
        formatted = self._format(params, "text", "entities")
        markup = self._markup(params)
        if (
            formatted.text == msg.get("text")
            and formatted.entities == msg.get("entities", [])
            and markup == msg.get("reply_markup")
        ):
            raise bad_request(_NOT_MODIFIED)
        msg["text"] = formatted.text
        self._set_optional(msg, "entities", formatted.entities or None)
        self._set_optional(msg, "reply_markup", markup)
        preview = params.get("link_preview_options")
        if isinstance(preview, dict) and preview:
            msg["link_preview_options"] = preview
        msg["edit_date"] = now()
        self._bot_fire()
        self._bot_message_changed(state, msg)
        return copy.deepcopy(msg)

    async def _edit_message_reply_markup(self, params: Params) -> JSONDict:
        state, msg = self._bot_message_for_edit(params)
        markup = self._markup(params)
        if markup == msg.get("reply_markup"):
            raise bad_request(_NOT_MODIFIED)
        self._set_optional(msg, "reply_markup", markup)
        msg["edit_date"] = now()
        self._bot_fire()
        self._bot_message_changed(state, msg)
        return copy.deepcopy(msg)

    @staticmethod
    def _set_optional(msg: JSONDict, key: str, value: Any) -> None:
        if value is None:
            msg.pop(key, None)
        else:
            msg[key] = value

    def _delete_one(self, state: ChatState, mid: int) -> bool:
        msg = state.messages.get(mid)
        if msg is None:
            return False
        own = msg.get("from", {}).get("id") == self.bot_user["id"]
        if not own and state.type != "private" and not self._bot_is_admin(state):
            raise bad_request("message can't be deleted")
        del state.messages[mid]
        state.deleted_ids.append(mid)
        self._bot_fire()
        return True

    async def _delete_message(self, params: Params) -> bool:
        state = self._target_chat(params, sending=False)
        mid = params.integer("message_id", required=True, missing="message identifier is not specified")
        assert mid is not None
        if not self._delete_one(state, mid):
            raise bad_request("message to delete not found")
        return True

    async def _delete_messages(self, params: Params) -> bool:
        state = self._target_chat(params, sending=False)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 message identifiers")
        for mid in ids:
            if isinstance(mid, int):
                with contextlib.suppress(ApiError):
                    self._delete_one(state, mid)
        return True

    async def _send_chat_action(self, params: Params) -> bool:
        state = self._target_chat(params)
        action = params.text("action")
        if action is None:
            raise bad_request("action is empty")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._thread(state, params)
        return True

    async def _send_message_draft(self, params: Params) -> bool:
        state = self._target_chat(params)
        if state.type != "private":
            raise bad_request("drafts can be sent only to private chats")
        draft_id = params.integer("draft_id", required=True)
        if draft_id == 0:
            raise bad_request("draft_id must be non-zero")
        formatted = self._format(params, "text", "entities", allow_empty=True)
        self.drafts.append(
            drop_none(
                {
                    "chat_id": state.id,
                    "draft_id": draft_id,
                    "text": formatted.text,
                    "entities": formatted.entities or None,
                    "message_thread_id": params.integer("message_thread_id"),
                    "date": now(),
                }
            )
        )
        self._bot_fire()
        return True
