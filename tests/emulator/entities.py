"""MessageEntity primitives every parse mode shares: UTF-16 lengths, entity objects, their order, links.

Offsets and lengths are in UTF-16 code units; error texts are the ones Telegram puts after "can't parse entities: ".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

JSONDict = dict[str, Any]

# tdlib's ordering priorities: among entities starting at the same offset with the same length,
# the lower number comes first (outer).
_PRIORITY: dict[str, int] = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 10, "code": 20,
    "text_link": 49, "text_mention": 49, "mention": 50, "hashtag": 50, "cashtag": 50,
    "bot_command": 50, "url": 50, "email": 50, "phone_number": 50,
    "bold": 90, "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94,
    "custom_emoji": 99,
}  # fmt: skip


class EntityParseError(ValueError):
    """Markup Telegram refuses; ``str(exc)`` is the text after "Bad Request: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Bot API offset and length limit."""
    return len(text.encode("utf-16-le")) // 2


def byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``: tdlib reports markup errors in bytes."""
    return len(text[:index].encode("utf-8"))


def make_entity(kind: str, offset: int, length: int, **extra: Any) -> JSONDict:
    """One MessageEntity as Telegram serialises it (optional fields only when set)."""
    ent: JSONDict = {"type": kind, "offset": offset, "length": length}
    ent.update({k: v for k, v in extra.items() if v not in (None, "")})
    return ent


def sort_entities(entities: list[JSONDict]) -> list[JSONDict]:
    """Telegram's canonical order: by offset, longer first, then by type priority."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))


def normalize_url(url: str) -> str | None:
    """Validate and normalise a link the way Telegram does for text_link; None = dropped."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    if url.startswith("tg://"):
        return url
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https", "ftp", "ton", "tonsite"} or not parts.netloc:
        return None
    host = parts.hostname or ""
    if not host or (("." not in host) and host != "localhost"):
        return None
    if not parts.path and not parts.query and not parts.fragment:
        url += "/"
    return url


def iter_entities(message: JSONDict) -> Iterable[tuple[str, str]]:
    """(type, covered text) pairs of a message's entities; handy in assertions."""
    text = str(message.get("text", message.get("caption", "")))
    raw = text.encode("utf-16-le")
    entities: list[JSONDict] = message.get("entities") or message.get("caption_entities") or []
    for ent in entities:
        chunk = raw[ent["offset"] * 2 : (ent["offset"] + ent["length"]) * 2]
        yield ent["type"], chunk.decode("utf-16-le")
