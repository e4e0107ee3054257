"""Logging set-up shared by every entry point, with a filter that redacts secrets.

python-telegram-bot logs the bot token at DEBUG and httpx logs request URLs (which contain it) at
INFO, so levels alone cannot keep it out of the logs: every record is scrubbed before output.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

_REDACTED = "[REDACTED]"


class RedactingFilter(logging.Filter):
    """Replaces every known secret in the fully formatted message (and args) with [REDACTED]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Register more secrets; a bot token's halves are secret on their own too, and so is each one's
        percent-encoded form (a file download URL carries the token as 123%3AABC...)."""
        for secret in secrets:
            if not secret:
                continue
            found = {secret}
            if ":" in secret:
                found.update(part for part in secret.split(":", 1) if len(part) >= 8)
            found.update(encoded for s in list(found) if (encoded := quote(s, safe="")) != s)
            self._secrets.update(found)
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(s) for s in ordered)) if ordered else None

    def redact(self, text: str) -> str:
        return self._pattern.sub(_REDACTED, text) if self._pattern else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


_FILTER = RedactingFilter()

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
THIRD_PARTY = ("httpx", "httpcore", "chromadb", "sentence_transformers", "transformers")
"""Libraries whose chatter is noise for an admin unless they asked for DEBUG."""


def redactor() -> RedactingFilter:
    """The process-wide filter, so a front end can register its token once it knows it."""
    return _FILTER


def configure_handler(handler: logging.Handler) -> logging.Handler:
    """Give a handler our format and the redacting filter.

    The one way a handler is set up: setup_logging uses it for the console, and the test suite for the
    file it scans for secrets, so what the tests check is exactly what production writes.
    """
    handler.setFormatter(logging.Formatter(FORMAT))
    if _FILTER not in handler.filters:
        handler.addFilter(_FILTER)
    return handler


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once; the filter sits on every handler so no logger can bypass it."""
    _FILTER.add(*secrets)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:  # someone else's handler keeps its format but gets the filter
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    if not root.handlers:
        root.addHandler(configure_handler(logging.StreamHandler()))
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in THIRD_PARTY:
        logging.getLogger(name).setLevel(quiet)
