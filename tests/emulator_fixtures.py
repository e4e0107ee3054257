"""The fixtures of the Bot API emulator tests, which import them by their function names (pytest finds a
fixture by the name it is registered under): the emulator, a bare telegram.Bot and an aiohttp session talking
to it, and the test application polling it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from telegram import Bot

from tests.emulator import BotApiEmulator
from tests.emulator_harness import BOT_NAME, TOKEN, Record, build_app


@pytest_asyncio.fixture(name="emu")
async def emu_fixture() -> AsyncIterator[BotApiEmulator]:
    emulator = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()
    assert emulator.errors == [], "the emulator hit an internal error"


@pytest_asyncio.fixture(name="bot")
async def bot_fixture(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


@pytest_asyncio.fixture(name="http")
async def http_fixture() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture(name="running")
async def running_fixture(emu: BotApiEmulator) -> AsyncIterator[Record]:
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
