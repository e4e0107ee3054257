"""How the Bot API emulator delivers updates: long polling (waiting, waking, offsets, limits, allowed_updates,
a competing poll), webhooks with their secret and retries, and PTB's own webhook server."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict

from tests.emulator import BotApiEmulator
from tests.emulator_fixtures import bot_fixture, emu_fixture, http_fixture  # noqa: F401

# TOKEN is here for tests/logcheck.py, which hands a LIBRARY_ONLY module's TOKEN to the redaction filter.
from tests.emulator_harness import TOKEN, Record, build_app, call  # noqa: F401
from tests.localweb import start_local

pytestmark = pytest.mark.timeout(20)


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
