"""Inline keyboards and their callback data.

callback_data is at most 64 bytes and comes back from the client unverified, so it carries only
short ids: suggested questions and source lists stay server-side in chat_data under a random id
(`Offer`), and a press whose id is unknown (e.g. after a restart) is treated as expired.
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answer.types import Source

MAX_CALLBACK_BYTES = 64
MAX_OFFERS_PER_CHAT = 64
_OFFERS_KEY = "offers"
_ROLE = re.compile(r"^[A-Z0-9]{1,24}$")
_BUTTON_CHARS = 60

Kind = Literal["fb", "src", "ask", "brief"]


@dataclass(frozen=True)
class Offer:
    """What the buttons under one message may ask for: its suggested questions and its sources."""

    suggestions: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()


@dataclass(frozen=True)
class Press:
    """A decoded button press."""

    kind: Kind
    arg: str = ""
    index: int = 0


def remember(chat_data: MutableMapping[Any, Any], offer: Offer) -> str:
    """Store the offer under a fresh short id; the oldest offers of the chat are forgotten first."""
    offers = chat_data.setdefault(_OFFERS_KEY, OrderedDict())
    offer_id = secrets.token_urlsafe(6)
    offers[offer_id] = offer
    while len(offers) > MAX_OFFERS_PER_CHAT:
        offers.popitem(last=False)
    return offer_id


def recall(chat_data: MutableMapping[Any, Any], offer_id: str) -> Offer | None:
    """The offer behind a button, or None once it was forgotten (old, or the bot restarted)."""
    offers = chat_data.get(_OFFERS_KEY)
    found = offers.get(offer_id) if isinstance(offers, OrderedDict) else None
    return found if isinstance(found, Offer) else None


def _data(value: str) -> str:
    if len(value.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {value!r}")
    return value


def brief_data(role: str) -> str | None:
    """None for a role name that cannot travel safely in callback data."""
    return _data(f"brief:{role}") if _ROLE.match(role) else None


def parse(data: str | None) -> Press | None:
    """The press, or None for data we never produced."""
    if not data:
        return None
    kind, _, rest = data.partition(":")
    if kind == "fb" and rest in ("+", "-"):
        return Press("fb", rest)
    if kind == "src" and rest:
        return Press("src", rest)
    if kind == "ask":
        offer_id, _, index = rest.partition(":")
        if offer_id and index.isdigit():
            return Press("ask", offer_id, int(index))
    if kind == "brief" and _ROLE.match(rest):
        return Press("brief", rest)
    return None


def _label(text: str) -> str:
    return text if len(text) <= _BUTTON_CHARS else text[: _BUTTON_CHARS - 1] + "…"


def _role_buttons(roles: Sequence[str]) -> list[InlineKeyboardButton]:
    buttons = []
    for role in roles:
        data = brief_data(role)
        if data is not None:
            buttons.append(InlineKeyboardButton(f"📄 {role} brief", callback_data=data))
    return buttons


def _rows(buttons: list[InlineKeyboardButton], per_row: int = 3) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def answer_keyboard(offer_id: str, offer: Offer) -> InlineKeyboardMarkup:
    """👍 / 👎, Sources, and one button per suggested follow-up."""
    top = [
        InlineKeyboardButton("👍", callback_data=_data("fb:+")),
        InlineKeyboardButton("👎", callback_data=_data("fb:-")),
    ]
    if offer.sources:
        top.append(InlineKeyboardButton("📚 Sources", callback_data=_data(f"src:{offer_id}")))
    rows = [top]
    rows += [
        [InlineKeyboardButton(_label(q), callback_data=_data(f"ask:{offer_id}:{i}"))]
        for i, q in enumerate(offer.suggestions)
    ]
    return InlineKeyboardMarkup(rows)


def start_keyboard(roles: Sequence[str], offer_id: str, offer: Offer) -> InlineKeyboardMarkup:
    """One button per role brief, then the example questions."""
    rows = _rows(_role_buttons(roles))
    rows += [
        [InlineKeyboardButton(_label(q), callback_data=_data(f"ask:{offer_id}:{i}"))]
        for i, q in enumerate(offer.suggestions)
    ]
    return InlineKeyboardMarkup(rows)


def roles_keyboard(roles: Sequence[str]) -> InlineKeyboardMarkup:
    """The role picker for /brief without an argument."""
    return InlineKeyboardMarkup(_rows(_role_buttons(roles)))
