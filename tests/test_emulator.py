"""The Bot API emulator behaves like Telegram towards the real python-telegram-bot v22 stack.

Everything here talks HTTP to the emulator: through a real ``Application`` (polling and webhook),
through a bare ``telegram.Bot``, or through raw aiohttp requests where the wire format matters.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import hashlib
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    ChatFullInfo,
    ChatMember,
    File,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    TelegramObject,
    Update,
    User,
    WebhookInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from tests.emulator import BotApiEmulator, EntityParseError, FaultPlan, format_text, parse_html, parse_markdown_v2
from tests.localweb import start_local

pytestmark = pytest.mark.timeout(20)

TOKEN = "123456:TEST-secret"
BOT_NAME = "hiring_advisor_bot"


@pytest_asyncio.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()
    assert emulator.errors == [], "the emulator hit an internal error"


@pytest_asyncio.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@dataclass
class Record:
    """What the handlers of the test application saw."""

    downloads: list[bytes] = field(default_factory=list)
    edited: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def build_app(emu: BotApiEmulator, record: Record) -> Application[Any, Any, Any, Any, Any, Any]:
    """The production builder chain, pointed at the emulator."""
    app = Application.builder().token(TOKEN).base_url(emu.base_url).base_file_url(emu.base_file_url).build()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome!")

    async def buttons(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Yes", callback_data="yes"), InlineKeyboardButton("No", callback_data="no")]]
        )
        await update.effective_message.reply_text("Pick one", reply_markup=keyboard)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer(f"got {query.data}")
        record.edited.append(await query.edit_message_text(f"<b>chosen</b> {query.data}", parse_mode=ParseMode.HTML))

    async def inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.inline_query is not None
        text = update.inline_query.query or "empty"
        await update.inline_query.answer(
            [InlineQueryResultArticle(id="1", title="Echo", input_message_content=InputTextMessageContent(text))]
        )

    async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.document is not None
        data = bytes(await (await message.document.get_file()).download_as_bytearray())
        record.downloads.append(data)
        await message.reply_text(f"got {len(data)} bytes")

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        record.errors.append(context.error)

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("buttons", buttons))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(MessageHandler(filters.Document.ALL, document))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(InlineQueryHandler(inline))
    app.add_error_handler(on_error)
    return app


@pytest_asyncio.fixture
async def running(emu: BotApiEmulator) -> AsyncIterator[Record]:
    """A real Application polling the emulator, as the brief starts it."""
    record = Record()
    app = build_app(emu, record)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield record
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert record.errors == []


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


async def call(http: aiohttp.ClientSession, emu: BotApiEmulator, method: str, **params: Any) -> tuple[int, Any]:
    async with http.post(f"{emu.base_url}{emu.token}/{method}", json=params) as resp:
        return resp.status, await resp.json()


# ---------------------------------------------------------------------------------------- shapes


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


# ---------------------------------------------------------------------------------------- the real app


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


# ---------------------------------------------------------------------------------------- Bot API rules


@pytest.mark.asyncio
async def test_bot_methods_validate_like_telegram(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    chat_id = chat["id"]

    await bot.set_my_commands([("start", "Begin"), ("help", "How to use")])
    assert emu.commands == [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "How to use"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert emu.calls_of("setMyCommands")[0]["commands"][0] == {"command": "start", "description": "Begin"}
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "bad")])

    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(chat_id, "<b>unclosed", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(chat_id, "1 < 2", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat_id, "x" * 4097)
    ok = await bot.send_message(chat_id, "<i>" + "y" * 4096 + "</i>", parse_mode=ParseMode.HTML)
    assert ok.text is not None and len(ok.text) == 4096
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(chat_id, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(chat_id, "   ")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-999, "hi")
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(ok.text_html, chat_id=chat_id, message_id=ok.message_id, parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")
    with pytest.raises(BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(chat_id, "dancing")
    assert await bot.send_chat_action(chat_id, "typing") is True
    assert emu.calls_of("sendChatAction")[-1] == {"chat_id": chat_id, "action": "typing"}

    assert await bot.send_message_draft(chat_id, 7, "<b>thinking</b>", parse_mode=ParseMode.HTML) is True
    assert emu.drafts[0]["text"] == "thinking" and emu.drafts[0]["draft_id"] == 7

    assert await bot.delete_message(chat_id, ok.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(chat_id, ok.message_id)
    assert emu.sent(chat) == [] and emu.deleted(chat) == [ok.message_id]

    doc = await bot.send_document(
        chat_id, b"report body", filename="report.txt", caption="*done*", parse_mode="MarkdownV2"
    )
    assert doc.document is not None and doc.document.file_name == "report.txt" and doc.caption == "done"
    downloaded = await (await bot.get_file(doc.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"report body"

    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("no_such_method")
    assert await bot.set_my_description("Advises CIOs") is True
    assert emu.description == {"": "Advises CIOs"}
    assert await bot.log_out() is True


@pytest.mark.asyncio
async def test_http_wire_format(emu: BotApiEmulator, http: aiohttp.ClientSession) -> None:
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    async with http.post(f"{emu.base_url}654321:nope/getMe") as resp:
        assert resp.status == 401
        assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    async with http.post(f"{emu.base_url}{TOKEN}/fooBar") as resp:
        assert resp.status == 404
        assert await resp.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with http.post(f"{emu.base_url}{TOKEN}/sendPoll", json={"chat_id": chat["id"]}) as resp:
        assert resp.status == 400
        assert (await resp.json())["description"] == "Bad Request: method not supported by the emulator: sendPoll"
    async with http.get(f"{emu.base_url}{TOKEN}/getme") as resp:  # names are case-insensitive
        assert resp.status == 200 and (await resp.json())["result"]["username"] == BOT_NAME
    query = {"chat_id": str(chat["id"]), "text": "via query"}
    async with http.get(f"{emu.base_url}{TOKEN}/sendMessage", params=query) as resp:
        assert resp.status == 200
    form = {
        "chat_id": str(chat["id"]),
        "text": "via form",
        "reply_markup": '{"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}',
        "link_preview_options": '{"is_disabled": true}',
    }
    async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", data=form) as resp:
        body = await resp.json()
        assert resp.status == 200, body
        assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
        assert body["result"]["link_preview_options"] == {"is_disabled": True}
    async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", data={**form, "reply_markup": "{nope"}) as resp:
        assert resp.status == 400
        assert (await resp.json())["description"].startswith("Bad Request: can't parse reply keyboard markup")
    bad_button = '{"inline_keyboard": [[{"text": "A", "callback_data": "' + "x" * 65 + '"}]]}'
    async with http.post(f"{emu.base_url}{TOKEN}/sendMessage", data={**form, "reply_markup": bad_button}) as resp:
        assert (await resp.json())["description"] == "Bad Request: BUTTON_DATA_INVALID"
    async with http.get(f"{emu.base_file_url}{TOKEN}/documents/missing.pdf") as resp:
        assert resp.status == 404
    assert emu.delivered_texts(chat) == ["via query", "via form"]
    assert emu.calls_of("sendMessage")[1]["link_preview_options"] == {"is_disabled": True}


# ---------------------------------------------------------------------------------------- updates


@pytest.mark.asyncio
async def test_long_polling_waits_and_wakes(emu: BotApiEmulator, http: aiohttp.ClientSession) -> None:
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    started = time.monotonic()
    status, body = await call(http, emu, "getUpdates", timeout=1)
    elapsed = time.monotonic() - started
    assert status == 200 and body["result"] == []
    assert elapsed >= 0.9, "long polling held the request for its timeout"

    waiting = asyncio.create_task(call(http, emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    emu.send_text(chat, alice, "wake up")
    status, body = await waiting
    assert time.monotonic() - started < 5, "the update woke the poll before its 5 s timeout"
    (update,) = body["result"]
    assert update["message"]["text"] == "wake up"

    for text in ("one", "two", "three"):
        emu.send_text(chat, alice, text)
    status, body = await call(http, emu, "getUpdates", offset=update["update_id"] + 1, limit=2)
    assert [u["message"]["text"] for u in body["result"]] == ["one", "two"]
    status, body = await call(http, emu, "getUpdates", offset=body["result"][-1]["update_id"] + 1)
    assert [u["message"]["text"] for u in body["result"]] == ["three"]
    status, body = await call(http, emu, "getUpdates", offset=-1, allowed_updates=["callback_query"])
    assert [u["message"]["text"] for u in body["result"]] == ["three"]
    emu.send_text(chat, alice, "filtered out by allowed_updates")
    status, body = await call(http, emu, "getUpdates", offset=body["result"][-1]["update_id"] + 1)
    assert body["result"] == []

    first = asyncio.create_task(call(http, emu, "getUpdates", timeout=5))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(call(http, emu, "getUpdates", timeout=0))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert (await second)[0] == 200


@pytest.mark.asyncio
async def test_webhook_delivery_with_secret(emu: BotApiEmulator, bot: Bot) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    fail_first = [True]

    async def receiver(request: web.Request) -> web.Response:
        if fail_first[0]:
            fail_first[0] = False
            return web.Response(status=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receiver)
    runner, port = await start_local(app)
    url = f"http://127.0.0.1:{port}/hook"
    emu.webhook_retry_delay = 0.05
    try:
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        assert await bot.set_webhook(url, secret_token="s3cr3t-Token") is True
        emu.send_text(chat, alice, "via webhook")
        await emu.wait_for(lambda: len(received) == 1, timeout=5)
        secret, payload = received[0]
        assert secret == "s3cr3t-Token"
        update = Update.de_json(payload, bot)
        assert update.message is not None and update.message.text == "via webhook"
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
            await bot.get_updates()
        assert await bot.delete_webhook() is True
        emu.send_text(chat, alice, "queued again")
        (polled,) = await bot.get_updates(timeout=0)
        assert polled.message is not None and polled.message.text == "queued again"
    finally:
        await runner.cleanup()


@pytest.mark.asyncio
async def test_ptb_webhook_server_gets_updates_from_the_emulator(emu: BotApiEmulator) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    record = Record()
    app = build_app(emu, record)
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="tg",
        webhook_url=f"http://127.0.0.1:{port}/tg",
        secret_token="hook-secret",
    )
    try:
        assert emu.webhook is not None and emu.webhook.secret_token == "hook-secret"
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        emu.send_text(chat, alice, "/start")
        await emu.wait_for_messages(chat, 1, timeout=5)
        assert emu.delivered_texts(chat) == ["Welcome!"]
        assert [status for _, status in emu.webhook_deliveries] == [200]
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert record.errors == []


# ---------------------------------------------------------------------------------------- faults


@pytest.mark.asyncio
async def test_fault_plan_429_500_and_drops(emu: BotApiEmulator, bot: Bot) -> None:
    alice = emu.user(first_name="Alice")
    chat_id = emu.private_chat(alice)["id"]
    emu.faults = FaultPlan(rate=1.0, kinds=("429",), methods={"sendMessage"}, retry_after=3, limit=1)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(chat_id, "first")
    retry = caught.value.retry_after
    assert (retry.total_seconds() if isinstance(retry, dtm.timedelta) else retry) == 3
    await bot.send_message(chat_id, "second")
    assert emu.delivered_texts(chat_id) == ["second"]

    for kind in ("500", "drop", "drop_after"):
        emu.faults = FaultPlan(rate=1.0, kinds=(kind,), methods={"sendMessage"}, limit=1)
        with pytest.raises(NetworkError):
            await bot.send_message(chat_id, kind)
    assert emu.delivered_texts(chat_id) == ["second", "drop_after"]  # only drop_after had an effect

    emu.faults = FaultPlan(rate=1.0, kinds=("429",), methods={"sendMessage"}, retry_after=1, enforce_retry_after=True)
    emu.faults.limit = 1
    with pytest.raises(RetryAfter):
        await bot.send_message(chat_id, "flood")
    with pytest.raises(RetryAfter):  # still inside the flood wait
        await bot.send_message(chat_id, "flood again")
    await asyncio.sleep(1.05)
    await bot.send_message(chat_id, "after the wait")
    assert emu.delivered_texts(chat_id)[-1] == "after the wait"

    plans = [FaultPlan(rate=0.5, kinds=("429", "500", "drop"), seed=7) for _ in range(2)]
    decisions = [[plan.decide("sendMessage") for _ in range(20)] for plan in plans]
    assert decisions[0] == decisions[1] and {None, "429"} <= set(decisions[0])  # reproducible and mixed


# ---------------------------------------------------------------------------------------- formatting


def test_html_parser_matches_telegram() -> None:
    text, entities = parse_html("<b>bold <i>both</i></b> 😀 <a href='t.me/x'>l</a>")
    assert text == "bold both 😀 l"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
        {"type": "text_link", "offset": 13, "length": 1, "url": "http://t.me/x"},
    ]
    text, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    text, entities = parse_html("<blockquote expandable>q</blockquote> &lt;&amp;&#x41;")
    assert text == "q <&A" and entities[0]["type"] == "expandable_blockquote"
    assert parse_html("AT&T")[0] == "AT&T"  # Telegram keeps a bare '&' literally
    failures = {
        "<b>unclosed": 'Can\'t find end tag corresponding to start tag "b"',
        "<b><i>x</b></i>": 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        "<br>": 'Unsupported start tag "br" at byte offset 0',
        "é <x>": 'Unsupported start tag "x" at byte offset 3',
        "a < b": 'Unsupported start tag "" at byte offset 2',
        "x</b>": "Unexpected end tag at byte offset 1",
        "<span>s</span>": 'Tag "span" must have class "tg-spoiler" at byte offset 0',
    }
    for markup, reason in failures.items():
        with pytest.raises(EntityParseError) as caught:
            parse_html(markup)
        assert str(caught.value) == f"can't parse entities: {reason}", markup
    with pytest.raises(EntityParseError, match="escape it as &amp;"):
        parse_html("AT&T", strict_ampersand=True)


def test_markdown_v2_and_text_pipeline() -> None:
    text, entities = parse_markdown_v2("*bold* _it_ __u__ ||s|| `c` [l](https://x.org) 1\\.5")
    assert text == "bold it u s c l 1.5"
    assert [e["type"] for e in entities] == ["bold", "italic", "underline", "spoiler", "code", "text_link"]
    with pytest.raises(EntityParseError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("1.5")
    with pytest.raises(EntityParseError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown_v2("*open")
    formatted = format_text("  <b> padded </b>  \n", "HTML")
    assert formatted.text == "padded" and formatted.entities == [{"type": "bold", "offset": 0, "length": 6}]
    with pytest.raises(EntityParseError, match="text must be non-empty"):
        format_text("<b> </b>", "HTML")
