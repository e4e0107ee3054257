"""How a Bot API request's parameters are read: query string, JSON, form or multipart, decoded by declared type."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .answers import bad_request

JSONDict = dict[str, Any]

# Parameters that arrive JSON-encoded in form fields and are objects/arrays in the API.
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "link_preview_options",
        "reply_parameters", "results", "commands", "scope", "allowed_updates", "button",
        "message_ids", "media", "permissions", "rights", "menu_button", "reaction",
    }
)  # fmt: skip
_INT_PARAMS = frozenset(
    {
        "message_id", "message_thread_id", "offset", "limit", "timeout", "user_id",
        "max_connections", "cache_time", "draft_id", "reply_to_message_id", "from_chat_id",
        "direct_messages_topic_id",
    }
)  # fmt: skip
_BOOL_PARAMS = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "is_personal",
        "drop_pending_updates", "allow_sending_without_reply", "disable_web_page_preview",
        "disable_content_type_detection", "allow_paid_broadcast", "has_spoiler",
    }
)  # fmt: skip


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {self.content_type!r}, {len(self.data)} bytes)"


class Params:
    """Request parameters after Telegram-like decoding (JSON fields parsed, numbers coerced)."""

    def __init__(self, data: JSONDict) -> None:
        self.data = data

    def get(self, name: str, default: Any = None) -> Any:
        """The decoded value, or ``default`` when absent."""
        value = self.data.get(name)
        return default if value is None else value

    def text(self, name: str) -> str | None:
        """A string parameter (numbers given as JSON are turned back into text)."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str, *, required: bool = False, missing: str | None = None) -> int | None:
        """An integer parameter; a missing required one fails with Telegram's wording."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(missing or f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str, default: float) -> float:
        """A numeric parameter such as getUpdates' timeout."""
        value = self.data.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A boolean parameter (absent = False)."""
        value = self.data.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)


def _decode_param(name: str, value: Any) -> Any:
    """Decode one raw parameter the way the Bot API does for its declared type."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        if value.strip() == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            if name == "reply_markup":
                raise bad_request("can't parse reply keyboard markup JSON object") from None
            raise bad_request(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if name == "chat_id" and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    if name in _BOOL_PARAMS:
        return value.strip().lower() in ("true", "1")
    return value


async def read_params(request: web.Request) -> Params:
    """Merge query string and body (JSON, urlencoded or multipart) into decoded params."""
    raw: JSONDict = dict(request.query)
    if request.method in ("POST", "PUT") and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            raw.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    raw[key] = UploadedFile(value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
    decoded = {key: _decode_param(key, value) for key, value in raw.items()}
    return Params({k: v for k, v in decoded.items() if v is not None})
