"""Telegram's HTML parse mode, as tdlib's ``parse_html`` does it: tags and character references to entities."""

from __future__ import annotations

from dataclasses import dataclass

from .entities import EntityParseError, JSONDict, byte_offset, make_entity, normalize_url, sort_entities, utf16_len

HTML_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_NAMED_HTML_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


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
                    f"Character '&' at byte offset {byte_offset(text, i)} does not start an "
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
                raise fail(f"Unclosed start tag at byte offset {byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in HTML_TAGS:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {byte_offset(text, begin)}')
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
                    raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(text, begin)}')
                while i < n and text[i].isspace():
                    i += 1
                if at(i) != "=":
                    if i >= n:
                        raise fail(f"Unclosed start tag at byte offset {byte_offset(text, begin)}")
                    if tag == "blockquote" and attr_name == "expandable":
                        expandable = True
                    continue
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(text, begin)}")
                value_chars: list[str] = []
                if text[i] not in "\"'":
                    token_begin = i
                    while i < n and (text[i].isascii() and (text[i].isalnum() or text[i] in ".-")):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not (at(i).isspace() or at(i) == ">"):
                        raise fail(f"Unexpected end of name token at byte offset {byte_offset(text, token_begin)}")
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
                    raise fail(f"Unclosed start tag at byte offset {byte_offset(text, begin)}")
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
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(text, begin)}')
            i += 1  # past '>'
            nested.append(_OpenTag(tag, argument, utf16, out_len, i, expandable))
            continue

        # end tag
        if not nested:
            raise fail(f"Unexpected end tag at byte offset {byte_offset(text, begin)}")
        i += 1
        name_begin = i
        while i < n and not text[i].isspace() and text[i] != ">":
            i += 1
        end_name = text[name_begin:i].lower()
        while i < n and text[i].isspace():
            i += 1
        if at(i) != ">":
            raise fail(f"Unclosed end tag at byte offset {byte_offset(text, begin)}")
        open_tag = nested[-1]
        if end_name and end_name != open_tag.name:
            raise fail(
                f"Unmatched end tag at byte offset {byte_offset(text, begin)}, "
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
        entities.append(make_entity(simple[tag.name], offset, length))
    elif tag.name == "tg-emoji":
        if not tag.argument.isdigit():
            raise EntityParseError("can't parse entities: Invalid custom emoji identifier specified")
        entities.append(make_entity("custom_emoji", offset, length, custom_emoji_id=tag.argument))
    elif tag.name == "a":
        url = normalize_url(tag.argument or inner)
        if url is not None and not url.startswith("tg://user"):
            entities.append(make_entity("text_link", offset, length, url=url))
    elif tag.name == "pre":
        last = entities[-1] if entities else None
        if last and last["type"] == "code" and last["offset"] == offset and last["length"] == length:
            last["type"] = "pre"
        else:
            entities.append(make_entity("pre", offset, length))
    elif tag.name == "code":
        entities.append(make_entity("code", offset, length, language=tag.argument or None))
    elif tag.name == "blockquote":
        kind = "expandable_blockquote" if tag.expandable else "blockquote"
        entities.append(make_entity(kind, offset, length))
