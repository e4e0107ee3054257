"""The Bot API emulator's fault plans: injected 429s (with retry_after, enforced or not), 500s and dropped
connections reach a bare telegram.Bot as Telegram's would, and a seeded plan decides reproducibly."""

from __future__ import annotations

import asyncio
import datetime as dtm

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from tests.emulator import BotApiEmulator, FaultPlan
from tests.emulator_fixtures import bot_fixture, emu_fixture  # noqa: F401

# TOKEN is here for tests/logcheck.py, which hands a LIBRARY_ONLY module's TOKEN to the redaction filter.
from tests.emulator_harness import TOKEN  # noqa: F401

pytestmark = pytest.mark.timeout(20)


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
