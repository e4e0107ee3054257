"""Logging set-up shared by every entry point, with a filter that redacts secrets.

python-telegram-bot logs the bot token at DEBUG and httpx logs request URLs (which contain it) at
INFO, so levels alone cannot keep it out of the logs: every record is scrubbed before output.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_REDACTED = "[REDACTED]"


class RedactingFilter(logging.Filter):
    """Replaces every known secret in the fully formatted message (and args) with [REDACTED]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        """Register more secrets; a bot token's halves are secret on their own too."""
        for secret in secrets:
            if not secret:
                continue
            self._secrets.add(secret)
            if ":" in secret:
                self._secrets.update(part for part in secret.split(":", 1) if len(part) >= 8)
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


def redactor() -> RedactingFilter:
    """The process-wide filter, so a front end can register its token once it knows it."""
    return _FILTER


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Configure the root logger once; the filter sits on the handler so no logger can bypass it."""
    _FILTER.add(*secrets)
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(_FILTER)
        root.addHandler(handler)
    # Third-party chatter is noise for an admin unless they asked for DEBUG.
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore", "chromadb", "sentence_transformers", "transformers"):
        logging.getLogger(name).setLevel(quiet)
