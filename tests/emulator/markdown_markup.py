"""Telegram's Markdown parse modes, as tdlib parses them: MarkdownV2 (nesting, strict escaping) and legacy Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .entities import EntityParseError, JSONDict, byte_offset, make_entity, normalize_url, sort_entities, utf16_len

# --------------------------------------------------------------------------------------------
# MarkdownV2
# --------------------------------------------------------------------------------------------

_MDV2_RESERVED = "_*[]()~`>#+-=|{}.!"
_TDLIB_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline",
    "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code", "pre": "Pre",
    "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}  # fmt: skip


@dataclass
class _OpenMd:
    """An opened MarkdownV2 entity."""

    kind: str
    utf16_start: int
    raw_begin: int
    language: str = ""


@dataclass
class _Quote:
    """An open MarkdownV2 block quote (line-level)."""

    utf16_start: int
    expandable: bool = False


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Parse MarkdownV2 (tdlib ``parse_markdown_v2``): strict escaping of reserved characters."""
    n = len(text)
    out: list[str] = []
    utf16 = 0
    nested: list[_OpenMd] = []
    entities: list[JSONDict] = []
    quote: _Quote | None = None
    line_start = True
    i = 0

    def at(k: int) -> str:
        return text[k] if 0 <= k < n else ""

    def fail(message: str) -> EntityParseError:
        return EntityParseError(f"can't parse entities: {message}")

    def reserved_error(ch: str) -> EntityParseError:
        return fail(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")

    def emit(s: str) -> None:
        nonlocal utf16
        out.append(s)
        utf16 += utf16_len(s)

    def close_quote() -> None:
        nonlocal quote
        if quote is not None:
            length = utf16 - quote.utf16_start
            if length > 0:
                kind = "expandable_blockquote" if quote.expandable else "blockquote"
                entities.append(make_entity(kind, quote.utf16_start, length))
            quote = None

    while i < n:
        c = text[i]
        top = nested[-1] if nested else None
        in_code = top is not None and top.kind in ("code", "pre")

        if line_start and not in_code:
            line_start = False
            if c == ">" or (text.startswith("**>", i)):
                if text.startswith("**>", i):
                    i += 3
                    if quote is None:
                        quote = _Quote(utf16, expandable=True)
                    else:
                        quote.expandable = True
                else:
                    i += 1
                    if quote is None:
                        quote = _Quote(utf16)
                continue
            close_quote()

        if c == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        if c == "\n":
            emit(c)
            line_start = True
            i += 1
            continue
        if in_code:
            assert top is not None
            if top.kind == "pre" and text.startswith("```", i):
                nested.pop()
                if utf16 > top.utf16_start:
                    entities.append(
                        make_entity("pre", top.utf16_start, utf16 - top.utf16_start,
                                language=top.language or None)
                    )  # fmt: skip
                i += 3
                continue
            if top.kind == "code" and c == "`":
                nested.pop()
                if utf16 > top.utf16_start:
                    entities.append(make_entity("code", top.utf16_start, utf16 - top.utf16_start))
                i += 1
                continue
            emit(c)
            i += 1
            continue
        if c not in _MDV2_RESERVED:
            emit(c)
            i += 1
            continue

        # a reserved character: closes the innermost entity, opens a new one, or is an error
        if top is not None and _md_closes(top.kind, text, i):
            nested.pop()
            if top.kind == "text_link" or top.kind == "custom_emoji":
                i += 1  # past ']'
                url = ""
                if at(i) == "(":
                    i += 1
                    url_chars: list[str] = []
                    while i < n and text[i] != ")":
                        if text[i] == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
                            i += 1
                        url_chars.append(text[i])
                        i += 1
                    if i >= n:
                        raise fail(f"Can't find end of a url at byte offset {byte_offset(text, top.raw_begin)}")
                    i += 1
                    url = "".join(url_chars)
                length = utf16 - top.utf16_start
                if length > 0 and top.kind == "text_link":
                    norm = normalize_url(url)
                    if norm is not None and not norm.startswith("tg://user"):
                        entities.append(make_entity("text_link", top.utf16_start, length, url=norm))
                elif length > 0:
                    match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                    if match is None:
                        raise fail("Custom emoji entity must contain a tg://emoji URL")
                    entities.append(
                        make_entity("custom_emoji", top.utf16_start, length,
                                custom_emoji_id=match.group(1))
                    )  # fmt: skip
                continue
            width = 2 if top.kind in ("underline", "spoiler") else 1
            if utf16 > top.utf16_start:
                entities.append(make_entity(top.kind, top.utf16_start, utf16 - top.utf16_start))
            i += width
            continue

        begin = i
        if c == "_":
            if at(i + 1) == "_":
                nested.append(_OpenMd("underline", utf16, begin))
                i += 2
            else:
                nested.append(_OpenMd("italic", utf16, begin))
                i += 1
        elif c == "*":
            nested.append(_OpenMd("bold", utf16, begin))
            i += 1
        elif c == "~":
            nested.append(_OpenMd("strikethrough", utf16, begin))
            i += 1
        elif c == "|" and at(i + 1) == "|":
            if (
                quote is not None
                and (i + 2 >= n or text[i + 2] == "\n")
                and not any(e.kind == "spoiler" for e in nested)
            ):
                quote.expandable = True
                i += 2
                continue
            nested.append(_OpenMd("spoiler", utf16, begin))
            i += 2
        elif c == "[":
            nested.append(_OpenMd("text_link", utf16, begin))
            i += 1
        elif c == "!" and at(i + 1) == "[":
            nested.append(_OpenMd("custom_emoji", utf16, begin))
            i += 2
        elif c == "`":
            if text.startswith("```", i):
                i += 3
                language = ""
                lang_match = re.match(r"([^\s`]+)\n", text[i:])
                if lang_match:
                    language = lang_match.group(1)
                    i += len(language)
                if at(i) == "\n":
                    i += 1
                nested.append(_OpenMd("pre", utf16, begin, language))
            else:
                nested.append(_OpenMd("code", utf16, begin))
                i += 1
        else:
            raise reserved_error(c)

    if nested:
        top = nested[-1]
        name = _TDLIB_NAMES.get(top.kind, top.kind)
        raise fail(f"Can't find end of {name} entity at byte offset {byte_offset(text, top.raw_begin)}")
    close_quote()
    return "".join(out), sort_entities(entities)


def _md_closes(kind: str, text: str, i: int) -> bool:
    """Whether the reserved character at ``i`` closes an open MarkdownV2 entity of ``kind``."""
    c = text[i]
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if kind == "bold":
        return c == "*"
    if kind == "italic":
        return c == "_" and nxt != "_"
    if kind == "underline":
        return c == "_" and nxt == "_"
    if kind == "strikethrough":
        return c == "~"
    if kind == "spoiler":
        return c == "|" and nxt == "|"
    return kind in ("text_link", "custom_emoji") and c == "]"


# --------------------------------------------------------------------------------------------
# legacy Markdown
# --------------------------------------------------------------------------------------------


def parse_markdown(text: str) -> tuple[str, list[JSONDict]]:
    """Parse legacy Markdown (tdlib ``parse_markdown``): no nesting, only _ * ` ``` [ ]( )."""
    n = len(text)
    out: list[str] = []
    utf16 = 0
    entities: list[JSONDict] = []
    i = 0

    def emit(s: str) -> None:
        nonlocal utf16
        out.append(s)
        utf16 += utf16_len(s)

    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            emit(text[i + 1])
            i += 2
            continue
        if c not in "_*`[":
            emit(c)
            i += 1
            continue
        begin = i
        start = utf16
        if c == "`" and text.startswith("```", i):
            i += 3
            language = ""
            lang_match = re.match(r"([^\s`]+)\n", text[i:])
            if lang_match:
                language = lang_match.group(1)
                i += len(language) + 1
            end = text.find("```", i)
            if end < 0:
                raise EntityParseError(
                    "can't parse entities: Can't find end of the entity starting at byte offset "
                    f"{byte_offset(text, begin)}"
                )
            emit(text[i:end])
            if utf16 > start:
                entities.append(make_entity("pre", start, utf16 - start, language=language or None))
            i = end + 3
            continue
        closer = "]" if c == "[" else c
        end = text.find(closer, i + 1)
        if end < 0:
            raise EntityParseError(
                f"can't parse entities: Can't find end of the entity starting at byte offset {byte_offset(text, begin)}"
            )
        emit(text[i + 1 : end])
        i = end + 1
        if utf16 == start:
            continue
        if c == "[":
            url = ""
            if i < n and text[i] == "(":
                close = text.find(")", i)
                if close >= 0:
                    url = text[i + 1 : close]
                    i = close + 1
            norm = normalize_url(url) if url else None
            if norm is not None:
                entities.append(make_entity("text_link", start, utf16 - start, url=norm))
        else:
            kind = {"_": "italic", "*": "bold", "`": "code"}[c]
            entities.append(make_entity(kind, start, utf16 - start))
    return "".join(out), sort_entities(entities)
