"""The pipeline a text goes through before Telegram stores it: parse mode, explicit entities, trimming, limits.

The parsers (``html_markup``, ``markdown_markup``) follow tdlib's ``MessageEntity.cpp`` semantics (what the
real server runs), so a bot whose markup the emulator accepts is accepted by Telegram and vice versa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .auto_entities import find_auto_entities
from .entities import EntityParseError, JSONDict, sort_entities, utf16_len
from .html_markup import parse_html
from .markdown_markup import parse_markdown, parse_markdown_v2

#: Maximum length of a message text after entity parsing, in UTF-16 code units.
MAX_TEXT_LENGTH = 4096
#: Maximum length of a media caption after entity parsing, in UTF-16 code units.
MAX_CAPTION_LENGTH = 1024


@dataclass
class FormattedText:
    """Text after parsing, as it will appear in the Message, plus its entities."""

    text: str
    entities: list[JSONDict] = field(default_factory=list)


def _strip(text: str, entities: list[JSONDict]) -> tuple[str, list[JSONDict]]:
    """Trim leading/trailing whitespace as Telegram does, shifting and clipping entities."""
    stripped_left = text.lstrip()
    lead = utf16_len(text[: len(text) - len(stripped_left)])
    result = stripped_left.rstrip()
    total = utf16_len(result)
    kept: list[JSONDict] = []
    for ent in entities:
        start = max(ent["offset"] - lead, 0)
        end = min(ent["offset"] + ent["length"] - lead, total)
        if end > start:
            kept.append({**ent, "offset": start, "length": end - start})
    return result, kept


def _clean_explicit_entities(text: str, raw: Any) -> list[JSONDict]:
    """Validate entities passed explicitly (``entities`` / ``caption_entities``)."""
    if not isinstance(raw, list):
        raise EntityParseError("can't parse entities JSON object")
    total = utf16_len(text)
    result: list[JSONDict] = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            raise EntityParseError("can't parse entities: entity type is not specified")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int):
            raise EntityParseError("can't parse entities: entity offset or length is not integer")
        end = min(offset + length, total)
        offset = max(offset, 0)
        if end > offset:
            result.append({**item, "offset": offset, "length": end - offset})
    return result


def format_text(
    text: str,
    parse_mode: str | None,
    explicit_entities: Any = None,
    *,
    strict_ampersand: bool = False,
    max_length: int = MAX_TEXT_LENGTH,
    too_long: str = "message is too long",
    empty: str = "message text is empty",
    allow_empty: bool = False,
) -> FormattedText:
    """Everything Telegram does to a text before storing it; raises EntityParseError."""
    if not text.strip():
        if allow_empty:
            return FormattedText("")
        raise EntityParseError(empty)
    mode = (parse_mode or "").strip().lower()
    if explicit_entities is not None and explicit_entities != []:
        plain, entities = text, _clean_explicit_entities(text, explicit_entities)
    elif mode == "html":
        plain, entities = parse_html(text, strict_ampersand=strict_ampersand)
    elif mode == "markdownv2":
        plain, entities = parse_markdown_v2(text)
    elif mode == "markdown":
        plain, entities = parse_markdown(text)
    elif mode == "":
        plain, entities = text, []
    else:
        raise EntityParseError(f"unsupported parse_mode: {parse_mode}")
    plain, entities = _strip(plain, entities)
    if not plain:
        if allow_empty:
            return FormattedText("")
        raise EntityParseError("text must be non-empty")
    if utf16_len(plain) > max_length:
        raise EntityParseError(too_long)
    entities = entities + find_auto_entities(plain, entities)
    return FormattedText(plain, sort_entities(entities))
