"""Telegram text formatting as the Bot API server does it: parse modes, entities, lengths.

The parsers follow tdlib's ``MessageEntity.cpp`` semantics (what the real server runs), so a bot
whose markup the emulator accepts is accepted by Telegram and vice versa. Offsets and lengths are
in UTF-16 code units; error texts are the ones Telegram puts after "can't parse entities: ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

JSONDict = dict[str, Any]

#: Maximum length of a message text after entity parsing, in UTF-16 code units.
MAX_TEXT_LENGTH = 4096
#: Maximum length of a media caption after entity parsing, in UTF-16 code units.
MAX_CAPTION_LENGTH = 1024

HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

# tdlib's ordering priorities: among entities starting at the same offset with the same length,
# the lower number comes first (outer).
_PRIORITY: dict[str, int] = {
    "blockquote": 0, "expandable_blockquote": 0, "pre": 10, "code": 20,
    "text_link": 49, "text_mention": 49, "mention": 50, "hashtag": 50, "cashtag": 50,
    "bot_command": 50, "url": 50, "email": 50, "phone_number": 50,
    "bold": 90, "italic": 91, "underline": 92, "strikethrough": 93, "spoiler": 94,
    "custom_emoji": 99,
}  # fmt: skip

_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Markup Telegram refuses; ``str(exc)`` is the text after "Bad Request: "."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of every Bot API offset and length limit."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``: tdlib reports markup errors in bytes."""
    return len(text[:index].encode("utf-8"))


def _entity(kind: str, offset: int, length: int, **extra: Any) -> JSONDict:
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


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&name;`` / ``&#NN;`` / ``&#xHH;`` at ``pos``; None when it is not an entity."""
    end = pos + 1
    if end < len(text) and text[end] == "#":
        end += 1
        base = 10
        if end < len(text) and text[end] in "xX":
            base = 16
            end += 1
        start = end
        digits = "0123456789abcdefABCDEF" if base == 16 else "0123456789"
        while end < len(text) and text[end] in digits and end - start < 8:
            end += 1
        if end == start or end >= len(text) or text[end] != ";":
            return None
        code = int(text[start:end], base)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    start = end
    while end < len(text) and text[end].isalpha() and end - start < 10:
        end += 1
    if end >= len(text) or text[end] != ";":
        return None
    char = _NAMED_HTML_ENTITIES.get(text[start:end])
    if char is None:
        return None
    return char, end + 1


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    argument: str
    utf16_start: int
    text_start: int  # index in the output text, for <a> without href
    raw_end: int  # index just past '>' in the input, for <a> without href
    expandable: bool = False


def parse_html(text: str, *, strict_ampersand: bool = False) -> tuple[str, list[JSONDict]]:
    """Parse Telegram's HTML subset into plain text + entities (tdlib ``parse_html``).

    Telegram keeps an ``&`` that starts no known entity as a literal character; with
    ``strict_ampersand`` the emulator rejects it instead, to catch unescaped user content early.
    """
    n = len(text)
    out: list[str] = []
    out_len = 0  # characters in out (code points)
    utf16 = 0
    nested: list[_OpenTag] = []
    entities: list[JSONDict] = []
    i = 0

    def at(k: int) -> str:
        return text[k] if k < n else ""

    def fail(message: str) -> EntityParseError:
        return EntityParseError(f"can't parse entities: {message}")

    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                out_len += 1
                utf16 += utf16_len(char)
                continue
            if strict_ampersand:
                raise fail(
                    f"Character '&' at byte offset {_byte_offset(text, i)} does not start an "
                    "HTML entity; escape it as &amp; (emulator strict_ampersand mode)"
                )
        if c != "<":
            out.append(c)
            out_len += 1
            utf16 += utf16_len(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            while i < n and not text[i].isspace() and text[i] != ">":
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in HTML_TAGS:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
            argument = ""
            expandable = False
            while at(i) != ">":
                while i < n and text[i].isspace():
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while i < n and not text[i].isspace() and text[i] not in "=>/\"'":
                    i += 1
                attr_name = text[attr_begin:i].lower()
                if not attr_name:
                    raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}')
                while i < n and text[i].isspace():
                    i += 1
                if at(i) != "=":
                    if i >= n:
                        raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                    if tag == "blockquote" and attr_name == "expandable":
                        expandable = True
                    continue
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                value_chars: list[str] = []
                if text[i] not in "\"'":
                    token_begin = i
                    while i < n and (text[i].isascii() and (text[i].isalnum() or text[i] in ".-")):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not (at(i).isspace() or at(i) == ">"):
                        raise fail(f"Unexpected end of name token at byte offset {_byte_offset(text, token_begin)}")
                else:
                    quote = text[i]
                    i += 1
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_chars.append(text[i])
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(value_chars)
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    expandable = True
            if tag == "span" and argument != "spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}')
            i += 1  # past '>'
            nested.append(_OpenTag(tag, argument, utf16, out_len, i, expandable))
            continue

        # end tag
        if not nested:
            raise fail(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        name_begin = i
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        end_name = text[name_begin:i].lower()
        while i < n and text[i].isspace():
            i += 1
        if at(i) != ">":
            raise fail(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        open_tag = nested[-1]
        if end_name and end_name != open_tag.name:
            raise fail(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{open_tag.name}>", found "</{end_name}>"'
            )
        i += 1
        nested.pop()
        if utf16 > open_tag.utf16_start:
            _close_html_entity(open_tag, utf16, "".join(out[open_tag.text_start :]), entities)

    if nested:
        raise fail(f'Can\'t find end tag corresponding to start tag "{nested[-1].name}"')
    for ent in entities:  # only pre carries a language; a lone <code class=...> drops it
        if ent["type"] == "code":
            ent.pop("language", None)
    return "".join(out), sort_entities(entities)


def _close_html_entity(tag: _OpenTag, utf16_end: int, inner: str, entities: list[JSONDict]) -> None:
    """Turn a closed HTML tag into its entity, merging <pre><code class=...> like tdlib."""
    offset = tag.utf16_start
    length = utf16_end - offset
    simple = {
        "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
        "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
        "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
    }  # fmt: skip
    if tag.name in simple:
        entities.append(_entity(simple[tag.name], offset, length))
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit():
            raise EntityParseError("can't parse entities: Invalid custom emoji identifier specified")
        entities.append(_entity("custom_emoji", offset, length, custom_emoji_id=tag.argument))
    elif tag.name == "a":
        url = normalize_url(tag.argument or inner)
        if url is not None and not url.startswith("tg://user"):
            entities.append(_entity("text_link", offset, length, url=url))
    elif tag.name == "pre":
        last = entities[-1] if entities else None
        if last and last["type"] == "code" and last["offset"] == offset and last["length"] == length:
            last["type"] = "pre"
        else:
            entities.append(_entity("pre", offset, length))
    elif tag.name == "code":
        entities.append(_entity("code", offset, length, language=tag.argument or None))
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if tag.expandable else "blockquote"
        entities.append(_entity(kind, offset, length))


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
                entities.append(_entity(kind, quote.utf16_start, length))
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
                        _entity("pre", top.utf16_start, utf16 - top.utf16_start,
                                language=top.language or None)
                    )  # fmt: skip
                i += 3
                continue
            if top.kind == "code" and c == "`":
                nested.pop()
                if utf16 > top.utf16_start:
                    entities.append(_entity("code", top.utf16_start, utf16 - top.utf16_start))
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
                        raise fail(f"Can't find end of a url at byte offset {_byte_offset(text, top.raw_begin)}")
                    i += 1
                    url = "".join(url_chars)
                length = utf16 - top.utf16_start
                if length > 0 and top.kind == "text_link":
                    norm = normalize_url(url)
                    if norm is not None and not norm.startswith("tg://user"):
                        entities.append(_entity("text_link", top.utf16_start, length, url=norm))
                elif length > 0:
                    match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                    if match is None:
                        raise fail("Custom emoji entity must contain a tg://emoji URL")
                    entities.append(
                        _entity("custom_emoji", top.utf16_start, length,
                                custom_emoji_id=match.group(1))
                    )  # fmt: skip
                continue
            width = 2 if top.kind in ("underline", "spoiler") else 1
            if utf16 > top.utf16_start:
                entities.append(_entity(top.kind, top.utf16_start, utf16 - top.utf16_start))
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
        raise fail(f"Can't find end of {name} entity at byte offset {_byte_offset(text, top.raw_begin)}")
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
                    f"{_byte_offset(text, begin)}"
                )
            emit(text[i:end])
            if utf16 > start:
                entities.append(_entity("pre", start, utf16 - start, language=language or None))
            i = end + 3
            continue
        closer = "]" if c == "[" else c
        end = text.find(closer, i + 1)
        if end < 0:
            raise EntityParseError(
                "can't parse entities: Can't find end of the entity starting at byte offset "
                f"{_byte_offset(text, begin)}"
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
                entities.append(_entity("text_link", start, utf16 - start, url=norm))
        else:
            kind = {"_": "italic", "*": "bold", "`": "code"}[c]
            entities.append(_entity(kind, start, utf16 - start))
    return "".join(out), sort_entities(entities)


# --------------------------------------------------------------------------------------------
# automatic entities (what Telegram detects in any text: commands, mentions, links...)
# --------------------------------------------------------------------------------------------

_COMMON_TLDS = (
    "com|org|net|io|dev|app|ai|co|edu|gov|info|biz|me|tv|ly|us|uk|eu|de|fr|ru|ua|by|kz|in|"
    "jp|cn|br|it|es|nl|se|no|fi|pl|ch|at|be|ca|au|nz|health|care|org\\.uk|co\\.uk|tech|xyz|site"
)
_AUTO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("url", re.compile(r"(?<![\w@.])(?:https?|ftp|tg|ton)://[^\s<>\"]+", re.IGNORECASE)),
    ("email", re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")),
    (
        "url",
        re.compile(
            rf"(?<![\w@./-])(?:[A-Za-z0-9-]+\.)+(?:{_COMMON_TLDS})(?::\d+)?(?:[/?#][^\s<>\"]*)?"
            r"(?![\w-])",
            re.IGNORECASE,
        ),
    ),
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/@])")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#])#\w*[^\W\d_]\w*")),
    ("cashtag", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w$])")),
]
_TRAILING_URL_PUNCT = ".,:;!?)]}'\""


def find_auto_entities(text: str, existing: list[JSONDict] | None = None) -> list[JSONDict]:
    """Entities Telegram detects without markup, skipping spans already inside code/pre/links."""
    blocked: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing or []
        if e["type"] in ("code", "pre", "text_link", "url", "email", "text_mention")
    ]
    taken: list[tuple[int, int]] = []
    found: list[JSONDict] = []
    for kind, pattern in _AUTO_PATTERNS:
        for match in pattern.finditer(text):
            start, end = match.span()
            if kind == "url":
                while end > start and text[end - 1] in _TRAILING_URL_PUNCT:
                    end -= 1
            off = utf16_len(text[:start])
            length = utf16_len(text[start:end])
            span = (off, off + length)
            if length <= 1 or any(a < span[1] and span[0] < b for a, b in blocked + taken):
                continue
            taken.append(span)
            found.append(_entity(kind, off, length))
    return found


# --------------------------------------------------------------------------------------------
# the whole pipeline a sendMessage text goes through
# --------------------------------------------------------------------------------------------


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
