"""Inline keyboards, and what their buttons carry.

Each button carries its whole request as JSON-shaped data: the question a suggestion asks, the
sources a Sources button lists. Telegram takes at most 64 bytes of callback_data, so PTB's arbitrary
callback data (app.py) keeps the data server-side under a random 64-byte id, and `buttons_file`
saves that cache as JSON: a button still works after a restart. A press PTB cannot resolve (its
keyboard was dropped from the cache, or the data was never ours) arrives as InvalidCallbackData
and is treated as expired; the data comes from our own file, yet `parse` checks its shape anyway.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import InvalidCallbackData

from bot.answer.types import Source

MAX_CALLBACK_BYTES = 64
"""What Telegram accepts as callback_data; PTB's ids (two uuid4 hex strings) are exactly that long."""
MAX_QUESTION_CHARS = 1000
"""A suggested question is one short sentence; anything longer was not written by us."""
_ROLE = re.compile(r"^[A-Z0-9]{1,24}$")
_BUTTON_CHARS = 60

Kind = Literal["fb", "src", "ask", "brief", "kit", "card", "jd"]
RoleKind = Literal["brief", "kit", "card", "jd"]
"""The presses that carry a role name: a brief, or one of the hiring toolkit's documents for the role."""
ROLE_KINDS: tuple[RoleKind, ...] = ("brief", "kit", "card", "jd")
BRIEF_TOOLS: tuple[RoleKind, ...] = ("kit", "card", "jd")
"""The toolkit's buttons under a role brief."""
ROLE_LABELS: dict[RoleKind, str] = {
    "brief": "📄 {role} brief",
    "kit": "🧰 {role} interview kit",
    "card": "📋 {role} scorecard",
    "jd": "📝 {role} job description",
}
TOOL_LABELS: dict[RoleKind, str] = {"kit": "🧰 Interview kit", "card": "📋 Scorecard", "jd": "📝 Draft JD"}
"""The toolkit's buttons under a role brief (the role is the brief's own)."""


@dataclass(frozen=True)
class Offer:
    """What the buttons under one message may ask for: its suggested questions and its sources."""

    suggestions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Press:
    """A decoded button press: `arg` is "+"/"-" for feedback, the role for a brief or a toolkit document,
    the question for ask."""

    kind: Kind
    arg: str = ""
    sources: tuple[Source, ...] = ()


# -- what a button carries (JSON-shaped: lists and strings, so the cache can be saved as JSON) -----------


def _source_data(source: Source) -> list[object]:
    return [source.n, source.title, source.author, source.publisher, source.path, source.url]


def _source(value: object) -> Source | None:
    if not isinstance(value, list | tuple) or len(value) != 6:
        return None
    n, title, author, publisher, path, url = value
    if not (isinstance(n, int) and all(isinstance(v, str) for v in (title, author, publisher, path))):
        return None
    if url is not None and not isinstance(url, str):
        return None
    return Source(n, title, author, publisher, path, url)


def _legacy(data: str) -> Press | None:
    """Buttons sent before callback data was cached carried 'fb:+' or 'brief:CTO' themselves: still good."""
    kind, _, rest = data.partition(":")
    if kind == "fb" and rest in ("+", "-"):
        return Press("fb", rest)
    if kind == "brief" and _ROLE.match(rest):
        return Press("brief", rest)
    return None


def parse(data: object) -> Press | None:
    """The press, or None for data we never produced (or that the cache no longer holds)."""
    if isinstance(data, InvalidCallbackData):
        return _legacy(data.callback_data) if isinstance(data.callback_data, str) else None
    if not isinstance(data, list | tuple) or len(data) != 2:
        return None
    kind, arg = data
    if kind == "fb" and arg in ("+", "-"):
        return Press("fb", arg)
    role_kind = next((k for k in ROLE_KINDS if k == kind), None)
    if role_kind is not None and isinstance(arg, str) and _ROLE.match(arg):
        return Press(role_kind, arg)
    if kind == "ask" and isinstance(arg, str) and 0 < len(arg) <= MAX_QUESTION_CHARS:
        return Press("ask", arg)
    if kind == "src" and isinstance(arg, list | tuple) and arg:
        sources = [_source(value) for value in arg]
        if all(s is not None for s in sources):
            return Press("src", sources=tuple(s for s in sources if s is not None))
    return None


# -- keyboards -------------------------------------------------------------------------------------------


def _label(text: str) -> str:
    return text if len(text) <= _BUTTON_CHARS else text[: _BUTTON_CHARS - 1] + "…"


def _role_buttons(roles: Sequence[str], kind: RoleKind = "brief") -> list[InlineKeyboardButton]:
    """Only role names that match _ROLE: parse() accepts no other."""
    label = ROLE_LABELS[kind]
    return [
        InlineKeyboardButton(label.format(role=role), callback_data=[kind, role]) for role in roles if _ROLE.match(role)
    ]


def _question_rows(questions: Sequence[str]) -> list[list[InlineKeyboardButton]]:
    """One row per question; an overlong one (never ours) gets no button, as parse() would refuse it."""
    return [
        [InlineKeyboardButton(_label(q), callback_data=["ask", q])] for q in questions if len(q) <= MAX_QUESTION_CHARS
    ]


def _rows(buttons: list[InlineKeyboardButton], per_row: int = 3) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def answer_keyboard(offer: Offer) -> InlineKeyboardMarkup:
    """👍 / 👎, Sources, and one button per suggested follow-up."""
    top = [
        InlineKeyboardButton("👍", callback_data=["fb", "+"]),
        InlineKeyboardButton("👎", callback_data=["fb", "-"]),
    ]
    if offer.sources:
        sources = [_source_data(s) for s in offer.sources]
        top.append(InlineKeyboardButton("📚 Sources", callback_data=["src", sources]))
    return InlineKeyboardMarkup([top, *_question_rows(offer.suggestions)])


def start_keyboard(roles: Sequence[str], offer: Offer) -> InlineKeyboardMarkup:
    """One button per role brief, then the example questions."""
    return InlineKeyboardMarkup(_rows(_role_buttons(roles)) + _question_rows(offer.suggestions))


def roles_keyboard(roles: Sequence[str], kind: RoleKind = "brief") -> InlineKeyboardMarkup:
    """The role picker for /brief (or a toolkit command: /interview, ...) without an argument."""
    return InlineKeyboardMarkup(_rows(_role_buttons(roles, kind), per_row=2 if kind != "brief" else 3))


def tools_keyboard(role: str, kinds: Sequence[RoleKind] = ("kit", "card", "jd")) -> InlineKeyboardMarkup | None:
    """Under a role brief: the hiring toolkit for that role, one tap each (None for a name parse() refuses)."""
    if not _ROLE.match(role):
        return None
    return InlineKeyboardMarkup(_rows([InlineKeyboardButton(TOOL_LABELS[k], callback_data=[k, role]) for k in kinds]))
