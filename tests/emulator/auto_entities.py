"""The entities Telegram detects in any text without markup: links, e-mails, commands, mentions, tags."""

from __future__ import annotations

import re

from .entities import JSONDict, make_entity, utf16_len

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
            found.append(make_entity(kind, off, length))
    return found
