"""The Bot API emulator enforces Telegram's rules: bot methods validate and fail with Telegram's own errors
(entities, lengths, commands, edits, deletes, chat actions, files), and the HTTP wire format (status codes,
query, form and JSON parameters, case-insensitive method names) is Telegram's."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound

from tests.emulator import BotApiEmulator
from tests.emulator_fixtures import bot_fixture, emu_fixture, http_fixture  # noqa: F401
from tests.emulator_harness import BOT_NAME, TOKEN

pytestmark = pytest.mark.timeout(20)


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
