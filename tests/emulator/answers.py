"""What a Bot API method answers besides a plain result: an error, or a result with a description."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSONDict = dict[str, Any]


class ApiError(Exception):
    """A Bot API error answer: HTTP status = error_code, body ``{"ok": false, ...}``."""

    def __init__(self, code: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSONDict:
        """The JSON Telegram sends for this error."""
        body: JSONDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """400 with Telegram's "Bad Request: " prefix, the form PTB turns into BadRequest."""
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    """403 with Telegram's "Forbidden: " prefix, the form PTB turns into Forbidden."""
    return ApiError(403, f"Forbidden: {reason}")


@dataclass
class Described:
    """A result Telegram sends with a human-readable "description" next to it."""

    result: Any
    description: str
