"""The Bot API emulator's objects are Telegram's shapes: every one it sends (users, messages with entities,
callback and inline queries, files, chats, members, webhook info) parses with python-telegram-bot v22 and
round-trips with no field left over."""

from __future__ import annotations

import datetime as dtm
import time
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMember,
    File,
    InlineQuery,
    Message,
    TelegramObject,
    Update,
    User,
    WebhookInfo,
)

from tests.emulator import BotApiEmulator
from tests.emulator_fixtures import bot_fixture, emu_fixture, http_fixture  # noqa: F401

# TOKEN is here for tests/logcheck.py, which hands a LIBRARY_ONLY module's TOKEN to the redaction filter.
from tests.emulator_harness import BOT_NAME, TOKEN, call  # noqa: F401

pytestmark = pytest.mark.timeout(20)


def covers(produced: Any, sent: Any) -> bool:
    """Whether PTB's re-serialisation contains every field the emulator sent, unchanged."""
    if isinstance(sent, dict):
        return isinstance(produced, dict) and all(k in produced and covers(produced[k], v) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(produced, list) and len(produced) == len(sent) and all(map(covers, produced, sent))
    return bool(produced == sent)


def roundtrip(cls: type[TelegramObject], data: dict[str, Any]) -> TelegramObject:
    """de_json must accept the object and understand every field it carries (none left over)."""
    obj = cls.de_json(data, None)
    assert obj is not None
    assert obj.api_kwargs == {}, f"{cls.__name__} fields PTB does not know: {obj.api_kwargs}"
    assert covers(obj.to_dict(), data), f"{cls.__name__} did not round-trip: {obj.to_dict()} vs {data}"
    return obj


def plausible(date: dtm.datetime | None) -> None:
    assert date is not None
    assert abs(date.timestamp() - time.time()) < 120, date


@pytest.mark.asyncio
async def test_every_object_parses_with_ptb(emu: BotApiEmulator, bot: Bot, http: aiohttp.ClientSession) -> None:
    alice = emu.user(first_name="Alice", username="alice")
    chat = emu.private_chat(alice)
    group = emu.group_chat(title="Hiring", is_forum=False)

    status, me = await call(http, emu, "getMe")
    assert status == 200 and me["ok"] is True
    assert me["result"]["is_bot"] is True and me["result"]["supports_inline_queries"] is True
    roundtrip(User, me["result"])

    user_msg = emu.send_text(chat, alice, "/start now, see https://example.com @someone_else")
    kinds = [e["type"] for e in user_msg["entities"]]
    assert kinds == ["bot_command", "url", "mention"]
    parsed = roundtrip(Message, user_msg)
    assert isinstance(parsed, Message)
    plausible(parsed.date)
    assert isinstance(user_msg["date"], int) and user_msg["date"] < 10**10  # seconds, not ms

    status, sent = await call(
        http,
        emu,
        "sendMessage",
        chat_id=chat["id"],
        text="<b>Bold</b> and <a href='https://example.com'>link</a>",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]},
        reply_parameters={"message_id": user_msg["message_id"]},
    )
    assert status == 200
    bot_msg = sent["result"]
    assert bot_msg["from"]["is_bot"] is True and bot_msg["chat"]["type"] == "private"
    assert bot_msg["message_id"] == user_msg["message_id"] + 1
    assert bot_msg["entities"] == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 9, "length": 4, "url": "https://example.com/"},
    ]
    assert "link_preview_options" not in bot_msg and None not in bot_msg.values()
    roundtrip(Message, bot_msg)

    query = emu.press_button(chat, alice, bot_msg, "go")
    roundtrip(CallbackQuery, query)
    assert query["chat_instance"]
    inline = emu.inline_query(alice, "cto")
    roundtrip(InlineQuery, inline)
    group_msg = emu.send_text(group, alice, f"/start@{BOT_NAME}")
    assert group_msg["chat"]["type"] == "supergroup" and group_msg["message_id"] == 1
    for update in emu.pending_updates:
        roundtrip(Update, update)

    doc = emu.send_document(chat, alice, filename="cv.pdf", content=b"%PDF-1.4 fake", caption="my CV")
    roundtrip(Message, doc)
    status, file_info = await call(http, emu, "getFile", file_id=doc["document"]["file_id"])
    assert status == 200
    roundtrip(File, file_info["result"])

    for method, cls in (("getChat", ChatFullInfo), ("getWebhookInfo", WebhookInfo)):
        status, body = await call(http, emu, method, chat_id=group["id"])
        assert status == 200
        roundtrip(cls, body["result"])
    status, member = await call(http, emu, "getChatMember", chat_id=group["id"], user_id=alice["id"])
    assert member["result"]["status"] == "member"
    roundtrip(ChatMember, member["result"])
    roundtrip(Chat, group)

    edited = await bot.edit_message_text("edited", chat_id=chat["id"], message_id=bot_msg["message_id"])
    assert isinstance(edited, Message) and edited.text == "edited" and edited.reply_markup is None
    plausible(edited.edit_date)
    assert edited.api_kwargs == {}
