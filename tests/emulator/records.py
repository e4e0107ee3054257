"""The records the emulated server keeps (chats, files, webhook, queries, polls) and helpers for Bot API objects."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

JSONDict = dict[str, Any]
ChatRef = JSONDict | int
UserRef = JSONDict | int


@dataclass
class StoredFile:
    """A file Telegram keeps: downloadable via getFile + the file endpoint."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None

    def document(self) -> JSONDict:
        """The Document object for this file."""
        doc: JSONDict = {"file_name": self.file_name, "mime_type": self.mime_type}
        doc = {k: v for k, v in doc.items() if v is not None}
        doc.update(file_id=self.file_id, file_unique_id=self.file_unique_id, file_size=len(self.data))
        return doc


@dataclass
class ChatState:
    """Everything the server knows about one chat."""

    chat: JSONDict
    next_message_id: int = 1
    messages: dict[int, JSONDict] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    deleted_ids: list[int] = field(default_factory=list)
    members: dict[int, str] = field(default_factory=dict)
    topics: set[int] = field(default_factory=set)
    blocked: bool = False

    @property
    def id(self) -> int:
        """The chat id."""
        return int(self.chat["id"])

    @property
    def type(self) -> str:
        """private, group, supergroup or channel."""
        return str(self.chat["type"])


@dataclass
class PendingQuery:
    """A callback or inline query waiting for the bot's answer."""

    created: float
    answered: bool = False


@dataclass
class Poll:
    """One getUpdates request in flight; ``terminated`` carries the 409 that ends it early."""

    terminated: str | None = None


@dataclass
class WebhookState:
    """setWebhook settings plus delivery statistics for getWebhookInfo."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


def now() -> int:
    """Unix time in seconds, the unit of every Bot API date."""
    return int(time.time())


def drop_none(obj: JSONDict) -> JSONDict:
    """Telegram omits absent optional fields instead of sending null."""
    return {k: v for k, v in obj.items() if v is not None}


def ref_id(ref: ChatRef | UserRef) -> int:
    """Accept either an object dict or a bare id in test helpers."""
    return int(ref["id"]) if isinstance(ref, dict) else int(ref)
