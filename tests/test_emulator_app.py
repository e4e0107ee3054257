"""A real python-telegram-bot Application polling the Bot API emulator, as production starts it: commands and
text in private chats, privacy mode in groups, buttons and edits, inline queries, document downloads, forum
topics, and a wrong token."""

from __future__ import annotations

import hashlib

import pytest
from telegram import Message
from telegram.error import InvalidToken
from telegram.ext import Application

from tests.emulator import BotApiEmulator
from tests.emulator_fixtures import emu_fixture, running_fixture  # noqa: F401

# TOKEN is here for tests/logcheck.py, which hands a LIBRARY_ONLY module's TOKEN to the redaction filter.
from tests.emulator_harness import BOT_NAME, TOKEN, Record  # noqa: F401

pytestmark = pytest.mark.timeout(20)


@pytest.mark.asyncio
async def test_app_answers_commands_and_text_in_private_chat(emu: BotApiEmulator, running: Record) -> None:
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    emu.send_text(chat, alice, "/start")
    await emu.wait_for_messages(chat, 1)
    emu.send_text(chat, alice, "hello")
    sent = await emu.wait_for_messages(chat, 2)
    assert emu.delivered_texts(chat) == ["Welcome!", "echo: hello"]
    assert all(m["from"]["id"] == 123456 for m in sent)


@pytest.mark.asyncio
async def test_app_in_group_respects_privacy_mode(emu: BotApiEmulator, running: Record) -> None:
    alice = emu.user(first_name="Alice", username="alice")
    group = emu.group_chat(title="Hiring")
    emu.send_text(group, alice, f"/start@{BOT_NAME}")
    await emu.wait_for_messages(group, 1)
    emu.send_text(group, alice, "chatter the bot must not see")
    emu.send_text(group, alice, "/start@some_other_bot")
    mention = emu.send_text(group, alice, f"@{BOT_NAME} who should we hire?")
    await emu.wait_for_messages(group, 2)
    first = emu.sent(group)[0]
    emu.send_text(group, alice, "a reply to the bot", reply_to=first)
    await emu.wait_for_messages(group, 3)
    assert emu.delivered_texts(group) == [
        "Welcome!",
        f"echo: @{BOT_NAME} who should we hire?",
        "echo: a reply to the bot",
    ]
    assert mention["entities"][0]["type"] == "mention"


@pytest.mark.asyncio
async def test_app_answers_button_presses_and_edits(emu: BotApiEmulator, running: Record) -> None:
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    emu.send_text(chat, alice, "/buttons")
    (menu,) = await emu.wait_for_messages(chat, 1)
    assert menu["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "yes"
    query = emu.press_button(chat, alice, menu, "yes")
    await emu.wait_for(lambda: len(running.edited) == 1)
    assert emu.callback_answers == [{"callback_query_id": query["id"], "text": "got yes"}]
    (after,) = emu.sent(chat)
    assert after["text"] == "chosen yes" and after["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert "reply_markup" not in after  # editing text without a keyboard removes it, as in Telegram
    assert isinstance(running.edited[0], Message) and running.edited[0].text == "chosen yes"
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(chat, alice, after, "yes")


@pytest.mark.asyncio
async def test_app_answers_inline_queries(emu: BotApiEmulator, running: Record) -> None:
    alice = emu.user(first_name="Alice")
    emu.inline_query(alice, "cmio")
    await emu.wait_for(lambda: len(emu.inline_answers) == 1)
    (result,) = emu.inline_answers[0]["results"]
    assert result["type"] == "article" and result["input_message_content"]["message_text"] == "cmio"


@pytest.mark.asyncio
async def test_app_downloads_documents_byte_exact(emu: BotApiEmulator, running: Record) -> None:
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    content = bytes(range(256)) * 40 + hashlib.sha256(b"x").digest()
    emu.send_document(chat, alice, filename="job.pdf", content=content, caption="the JD")
    await emu.wait_for_messages(chat, 1)
    assert running.downloads == [content]
    assert emu.delivered_texts(chat) == [f"got {len(content)} bytes"]


@pytest.mark.asyncio
async def test_app_replies_in_forum_topic(emu: BotApiEmulator, running: Record) -> None:
    alice = emu.user(first_name="Alice")
    forum = emu.group_chat(title="Forum", is_forum=True, bot_status="administrator")
    topic = emu.create_topic(forum, alice, "CTO search")
    asked = emu.send_text(forum, alice, "status?", thread_id=topic)
    assert asked["message_thread_id"] == topic and asked["is_topic_message"] is True
    (answer,) = await emu.wait_for_messages(forum, 1)
    assert answer["message_thread_id"] == topic and answer["is_topic_message"] is True


@pytest.mark.asyncio
async def test_wrong_token_makes_initialize_raise_invalid_token(emu: BotApiEmulator) -> None:
    app = Application.builder().token("654321:WRONG").base_url(emu.base_url).base_file_url(emu.base_file_url).build()
    with pytest.raises(InvalidToken):
        await app.initialize()
    await app.shutdown()
