"""The checks every sending or editing method shares: target chat, thread, reply, keyboard, text formatting."""

from __future__ import annotations

import copy
from typing import Any

from .answers import bad_request, forbidden
from .entities import normalize_url
from .formatting import MAX_CAPTION_LENGTH, FormattedText, format_text
from .params import Params
from .records import ChatState, JSONDict
from .store import EmulatorStore

_INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


class RequestChecks(EmulatorStore):
    """Validate a request's common parameters the way Telegram does, with its error texts."""

    def _target_chat(self, params: Params, *, sending: bool = True) -> ChatState:
        """Resolve chat_id like Telegram: 400 chat not found, 403 blocked / not a member."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        state: ChatState | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            state = self._chats.get(raw)
            if state is None and raw in self._users and sending:
                raise forbidden("bot can't initiate conversation with a user")
        elif isinstance(raw, str) and raw.startswith("@"):
            wanted = raw[1:].lower()
            state = next(
                (s for s in self._chats.values()
                 if s.type != "private" and str(s.chat.get("username", "")).lower() == wanted),
                None,
            )  # fmt: skip
        if state is None:
            raise bad_request("chat not found")
        if sending:
            if state.type == "private" and state.blocked:
                raise forbidden("bot was blocked by the user")
            status = state.members.get(self.bot_user["id"])
            kind = "supergroup chat" if state.type == "supergroup" else "group chat"
            if state.type != "private" and status == "kicked":
                raise forbidden(f"bot was kicked from the {kind}")
            if state.type != "private" and status in (None, "left"):
                raise forbidden(f"bot is not a member of the {kind}")
        return state

    def _thread(self, state: ChatState, params: Params) -> int | None:
        thread_id = params.integer("message_thread_id")
        if thread_id is None or thread_id == 0:
            return None
        if state.chat.get("is_forum"):
            if thread_id not in state.topics and thread_id != 1:
                raise bad_request("message thread not found")
            return thread_id
        if thread_id not in state.messages:
            raise bad_request("message thread not found")
        return thread_id

    def _reply_target(self, state: ChatState, params: Params) -> JSONDict | None:
        reply = params.get("reply_parameters")
        allow_missing = params.flag("allow_sending_without_reply")
        mid: int | None = params.integer("reply_to_message_id")
        if isinstance(reply, dict):
            if not isinstance(reply.get("message_id"), int):
                raise bad_request("can't parse reply parameters JSON object")
            mid = reply["message_id"]
            allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
            other = reply.get("chat_id")
            same_chat = other in (None, state.id, str(state.id)) or (
                isinstance(other, str) and other.lstrip("@").lower() == str(state.chat.get("username", "")).lower()
            )
            if not same_chat:
                raise bad_request("replies to other chats are not supported by the emulator")
        if mid is None:
            return None
        target = state.messages.get(mid)
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return target

    def _markup(self, params: Params) -> JSONDict | None:
        """Validate reply_markup; return the inline keyboard to store on the message, if any."""
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return {"inline_keyboard": copy.deepcopy(rows)}
        if "keyboard" in markup or "remove_keyboard" in markup or "force_reply" in markup:
            return None  # reply keyboards act on the client and are not echoed in the Message
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _check_inline_button(button: Any) -> None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
        if not button["text"].strip():
            raise bad_request("text buttons are unallowed in the inline keyboard")
        actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
        if not actions:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if "url" in button and (not isinstance(url, str) or normalize_url(url) is None):
            raise bad_request("BUTTON_URL_INVALID")

    def _format(self, params: Params, text_key: str, entities_key: str, *, caption: bool = False,
                allow_empty: bool = False) -> FormattedText:  # fmt: skip
        text = params.text(text_key) or ""
        if caption:
            return format_text(
                text, params.text("parse_mode"), params.get(entities_key),
                strict_ampersand=self.strict_ampersand, max_length=MAX_CAPTION_LENGTH,
                too_long="message caption is too long", allow_empty=True,
            )  # fmt: skip
        return format_text(
            text, params.text("parse_mode"), params.get(entities_key),
            strict_ampersand=self.strict_ampersand, allow_empty=allow_empty,
        )  # fmt: skip

    def _bot_message_for_edit(self, params: Params) -> tuple[ChatState, JSONDict]:
        if params.get("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the emulator: MESSAGE_ID_INVALID")
        state = self._target_chat(params, sending=False)
        mid = params.integer("message_id", required=True, missing="message identifier is not specified")
        msg = state.messages.get(mid) if mid is not None else None
        if msg is None:
            raise bad_request("message to edit not found")
        if msg.get("from", {}).get("id") != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return state, msg
