"""The Telegram front end under strain and over time, end to end: rate and flood limits, restarts, answers
in order, late button presses, errors, long answers, LLM streaming, webhook mode and `python -m bot run`."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from telegram import Bot

from bot.answer.advisor import Advisor
from bot.answer.llm import LLMAnswerer, build_chat_model
from bot.answer.types import Answer, Point, Source
from bot.telegram import app as tg_app
from bot.telegram.errors import SOMETHING_WRONG
from bot.telegram.handlers import EXPIRED
from bot.telegram.render import MAX_MESSAGE, answer_doc, to_messages, utf16_len
from ingest.errors import StoreUnavailableError
from tests.conftest import ROOT, write_config
from tests.emulator import BotApiEmulator, FaultPlan
from tests.fakes.openai_server import FakeOpenAI
from tests.telegram_fixtures import bot_fixture, clean_logs_fixture, logs_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import (
    ANSWER_CONTROLS,
    BOT_NAME,
    SECRET_HALF,
    TOKEN,
    WAIT_S,
    LogCapture,
    Running,
    World,
    buttons,
    keyboard,
    running,
    start_webhook,
    started_emulator,
    stop_app,
)

pytestmark = pytest.mark.timeout(120)

CTO_Q = "What should I look for in a CTO?"


# ------------------------------------------------------------------------------------------ limits, memory, privacy


async def test_rate_limit_says_when_to_try_again(world: World, tmp_path: Path) -> None:
    async with running(world, tmp_path / "s.sqlite3", rate_limit_per_minute=2) as bot:
        alice = bot.emu.user(first_name="Alice")
        chat = bot.emu.private_chat(alice)
        await bot.say(chat, alice, CTO_Q)
        await bot.say(chat, alice, "/brief CMIO")
        limited = await bot.say(chat, alice, "What does a CMIO own?")
        assert re.fullmatch(r"You are asking faster .* try again in \d+ seconds?\.", limited["text"])
        assert bot.state.stats().questions == 1


async def test_flood_control_is_honoured_and_the_answer_arrives_once(world: World, tmp_path: Path) -> None:
    """Telegram answers 429 retry_after=1 to the first sendMessage: AIORateLimiter waits and retries."""
    async with running(world, tmp_path / "s.sqlite3") as bot:
        emu = bot.emu
        emu.faults = FaultPlan(rate=1.0, kinds=("429",), methods={"sendMessage"}, retry_after=1, limit=1)
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        emu.send_text(chat, alice, CTO_Q)
        (answer,) = await emu.wait_for_messages(chat, 1, timeout=WAIT_S)
        assert "Bonnie Siegel" in answer["text"]
        assert emu.faults.injected == [("sendMessage", "429")]
        await asyncio.sleep(0.5)
        assert len(emu.delivered_texts(chat["id"])) == 1  # delivered exactly once


async def test_restart_keeps_the_conversation(world: World, tmp_path: Path) -> None:
    async with started_emulator() as emu:
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            assert "Bonnie Siegel" in (await bot.say(chat, alice, CTO_Q))["text"]
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            follow = await bot.say(chat, alice, "and for CMIOs?")
            assert "Hillary Ross" in follow["text"] and "Bonnie Siegel" not in follow["text"]


async def test_buttons_still_answer_after_a_restart(world: World, tmp_path: Path) -> None:
    """Buttons carry their request in PTB's callback-data cache, saved as JSON beside the state file:
    Sources, a suggestion, an example question and 👍, pressed after a stop and a start, are answered."""
    async with started_emulator() as emu:
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            answer = await bot.say(chat, alice, CTO_Q)
            welcome = await bot.say(chat, alice, "/start")
        saved = json.loads((tmp_path / "state.buttons.json").read_text(encoding="utf-8"))
        assert saved["format"] == 1 and len(saved["keyboards"]) == 2
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            sources = await bot.press(chat, alice, answer, "📚 Sources")
            assert sources["text"].startswith("Sources of this answer\n[1] The Health System CTO")
            suggestion = next(label for label in buttons(answer) if label not in ANSWER_CONTROLS)
            asked = await bot.press(chat, alice, answer, suggestion)
            assert "Sources" in asked["text"] or "can't answer" in asked["text"]
            example = next(label for label in buttons(welcome) if not label.startswith("📄"))
            assert "Sources" in (await bot.press(chat, alice, welcome, example))["text"]
            emu.press_button(chat, alice, answer, buttons(answer)["👍"])
            await emu.wait_for(lambda: len(emu.callback_answers) == 4, timeout=WAIT_S)
            assert emu.callback_answers[-1]["text"] == "Thanks for the feedback!"
            assert bot.state.stats().feedback_up == 1
        assert EXPIRED not in [a.get("text") for a in emu.callback_answers]


async def test_a_button_whose_data_is_gone_says_it_expired(world: World, tmp_path: Path) -> None:
    """Without the saved cache (here: deleted while the bot was down) a press is answered, not dropped."""
    async with started_emulator() as emu:
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            answer = await bot.say(chat, alice, CTO_Q)
        (tmp_path / "state.buttons.json").unlink()
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            emu.press_button(chat, alice, answer, buttons(answer)["📚 Sources"])
            await emu.wait_for(lambda: len(emu.callback_answers) == 1, timeout=WAIT_S)
            assert emu.callback_answers[0]["text"] == EXPIRED and len(emu.sent(chat)) == 1


async def test_back_to_back_messages_are_answered_in_order(world: World, tmp_path: Path) -> None:
    """A slow first answer must not be overtaken by the follow-up sent right after it."""
    advisor = Advisor(world.settings, world.advisor.index)
    seen: list[list[str]] = []

    async def ask(question: str, history: Any = ()) -> Answer:
        seen.append(list(history))
        await asyncio.sleep(0.6 if question == CTO_Q else 0.0)
        return Answer(question, question, f"Answer to {question}", [], [], True, f"Answer to {question}")

    advisor.ask = ask  # type: ignore[method-assign]
    async with running(world, tmp_path / "s.sqlite3", advisor=advisor) as bot:
        emu = bot.emu
        alice, bob = emu.user(first_name="Alice"), emu.user(first_name="Bob")
        chat, other = emu.private_chat(alice), emu.private_chat(bob)
        emu.send_text(chat, alice, CTO_Q)
        emu.send_text(chat, alice, "and for CMIOs?")  # before the first is answered: must wait for it
        emu.send_text(other, bob, "What does a CMIO own?")  # another chat: need not wait
        await emu.wait_for_messages(other, 1, timeout=WAIT_S)
        assert len(emu.sent(chat)) == 0  # answered while alice's slow question is still running
        first, second = await emu.wait_for_messages(chat, 2, timeout=WAIT_S)
        assert first["text"] == f"Answer to {CTO_Q}" and second["text"] == "Answer to and for CMIOs?"
        assert [CTO_Q] in seen  # the follow-up saw the first question in its memory


async def test_a_press_answered_too_late_still_gets_what_it_asked_for(bot: Running, logs: LogCapture) -> None:
    """Telegram refuses a callback answer ~15 s after the press (a busy bot); the brief must still come."""
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    pick = await bot.say(chat, alice, "/brief")
    logged = len(logs.lines)
    emu.callback_query_ttl = 0.0  # every answer is now too late
    brief = (await bot.reply(chat, lambda: emu.press_button(chat, alice, pick, buttons(pick)["📄 CTO brief"])))[0]
    assert brief["text"].startswith("Role brief: chief technology officer")
    assert len(emu.calls_of("answerCallbackQuery")) == 1 and emu.callback_answers == []  # tried once, refused
    await asyncio.sleep(0.3)
    assert SOMETHING_WRONG not in emu.delivered_texts(chat)
    assert not [line for line in logs.lines[logged:] if line.startswith(("ERROR", "CRITICAL"))]
    assert "answerCallbackQuery not taken: too late" in "\n".join(logs.lines[logged:])


# ------------------------------------------------------------------------------------------ errors, splitting


async def test_errors_are_brief_and_long_answers_are_split(world: World, tmp_path: Path, logs: LogCapture) -> None:
    advisor = Advisor(world.settings, world.advisor.index)
    behaviour: dict[str, Any] = {}

    async def ask(question: str, history: Any = ()) -> Answer:
        if "raise" in behaviour:
            raise behaviour["raise"]
        points = [Point(f"Point {i}: " + "a long cited sentence with <tags> & more. " * 10, 1) for i in range(30)]
        return Answer(
            question, question, "Lead", points, [Source(1, "T", "A", "P", "t.md")], True, "", "extractive", ["Next?"]
        )

    advisor.ask = ask  # type: ignore[method-assign]
    expected = len(to_messages(answer_doc(await ask(CTO_Q))))
    assert expected >= 3
    async with running(world, tmp_path / "s.sqlite3", advisor=advisor) as bot:
        alice = bot.emu.user(first_name="Alice")
        chat = bot.emu.private_chat(alice)
        parts = await bot.reply(chat, lambda: bot.emu.send_text(chat, alice, CTO_Q), n=expected)
        await asyncio.sleep(0.2)
        assert len(bot.emu.sent(chat)) == expected
        assert all(utf16_len(p["text"]) <= MAX_MESSAGE for p in parts)
        assert [bool(keyboard(p)) for p in parts] == [False] * (expected - 1) + [True]

        behaviour["raise"] = StoreUnavailableError("chroma at 127.0.0.1:8000 is down")
        down = await bot.say(chat, alice, CTO_Q)
        assert down["text"] == "The knowledge base is temporarily unavailable, please try again in a minute."
        behaviour["raise"] = RuntimeError("internal detail 42")
        failed = await bot.say(chat, alice, CTO_Q)
        assert failed["text"] == "Sorry, something went wrong. Please try again." and "42" not in failed["text"]
    assert "internal detail 42" in logs.text  # logged for us, not shown to the user


# ------------------------------------------------------------------------------------------ LLM streaming


async def test_llm_mode_streams_drafts_in_private_and_edits_in_groups(world: World, tmp_path: Path) -> None:
    server = FakeOpenAI(api_key="test-key", chunk_chars=12)
    server.chunk_delay_s = 0.03
    server.reply = (
        "A CTO needs executive presence and the ability to translate technical concepts [1]. "
        "Look for five-plus years of experience in a similar health organization [1]."
    )
    await server.start()
    try:
        llm_settings = world.settings.llm.model_copy(
            update={"enabled": True, "base_url": server.base_url, "timeout_s": 5}
        )
        advisor = Advisor(
            world.settings, world.advisor.index, LLMAnswerer(build_chat_model(llm_settings, "test-key"), llm_settings)
        )
        async with running(world, tmp_path / "s.sqlite3", advisor=advisor) as bot:
            emu = bot.emu
            alice = emu.user(first_name="Alice")
            chat = emu.private_chat(alice)
            final = await bot.say(chat, alice, CTO_Q)
            assert "executive presence" in final["text"] and "Sources" in final["text"] and buttons(final)
            drafts = [d for d in emu.drafts if d["chat_id"] == chat["id"]]
            assert len(drafts) >= 2 and len({d["draft_id"] for d in drafts}) == 1
            assert len(drafts[0]["text"]) < len(drafts[-1]["text"])

            group = emu.group_chat(title="Committee")
            emu.send_text(group, alice, f"@{BOT_NAME} {CTO_Q}")
            await emu.wait_for(lambda: any(buttons(m) for m in emu.sent(group)), timeout=WAIT_S)
            (message,) = emu.sent(group)
            assert "Sources" in message["text"] and "executive presence" in message["text"]
            edits = [c for c in emu.calls_of("editMessageText") if c["chat_id"] == group["id"]]
            assert len(edits) >= 2
    finally:
        await server.stop()


# ------------------------------------------------------------------------------------------ webhook


async def test_webhook_mode_requires_and_checks_the_secret(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    hook_url = f"http://127.0.0.1:{port}/telegram-hook"
    try:
        settings = world.settings_for(
            emu, tmp_path / "s.sqlite3", webhook_url=hook_url, webhook_port=port, webhook_secret_env="TEST_HOOK_SECRET"
        )
        monkeypatch.delenv("TEST_HOOK_SECRET", raising=False)
        assert tg_app.run_telegram(settings, world.advisor, TOKEN) == tg_app.EXIT_CONFIG  # refuses without it
        monkeypatch.setenv("TEST_HOOK_SECRET", "right-Secret_123")
        hook = tg_app.webhook_config(settings)
        assert hook.url_path == "telegram-hook" and hook.secret_token == "right-Secret_123"

        app = await start_webhook(settings, world.advisor, hook)
        try:
            alice = emu.user(first_name="Alice")
            chat = emu.private_chat(alice)
            emu.send_text(chat, alice, CTO_Q)
            (answer,) = await emu.wait_for_messages(chat, 1, timeout=WAIT_S)
            assert "Bonnie Siegel" in answer["text"] and emu.webhook_deliveries[-1][1] == 200

            async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as other:
                await other.set_webhook(hook_url, secret_token="wrong-secret")
            emu.send_text(chat, alice, "What does a CMIO own?")
            await emu.wait_for(lambda: any(status == 403 for _, status in emu.webhook_deliveries), timeout=WAIT_S)
            async with aiohttp.ClientSession() as http:
                body = {
                    "update_id": 1,
                    "message": {"message_id": 99, "date": 0, "chat": chat, "from": alice, "text": "hi"},
                }
                async with http.post(hook_url, json=body, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}) as resp:
                    assert resp.status == 403
            await asyncio.sleep(0.5)
            assert len(emu.sent(chat)) == 1  # nothing answered with a wrong secret
        finally:
            await stop_app(app)
    finally:
        await emu.stop()


# ------------------------------------------------------------------------------------------ the real process


async def test_python_m_bot_run_serves_telegram_and_logs_no_token(world: World, tmp_path: Path) -> None:
    """`python -m bot run` with TELEGRAM_BOT_TOKEN: run_telegram's polling path, at DEBUG, stopped by SIGINT."""
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    data = yaml.safe_load((world.root / "config.yaml").read_text(encoding="utf-8"))
    data["telegram"].update(base_url=emu.base_url, base_file_url=emu.base_file_url)
    data["state"] = {"path": str(tmp_path / "state.sqlite3")}
    data["logging"] = {"level": "DEBUG"}
    config = write_config(tmp_path / "config.yaml", data)
    log_path = tmp_path / "bot.log"
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN}
    with open(log_path, "wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--config", str(config),
            cwd=ROOT, env=env, stdout=log_file, stderr=log_file,
        )  # fmt: skip
        try:
            await emu.wait_for_calls("setMyCommands", timeout=90)
            alice = emu.user(first_name="Alice")
            chat = emu.private_chat(alice)
            emu.send_text(chat, alice, CTO_Q)
            (answer,) = await emu.wait_for_messages(chat, 1, timeout=30)
            assert "Bonnie Siegel" in answer["text"]
            proc.send_signal(signal.SIGINT)
            assert await asyncio.wait_for(proc.wait(), 30) == 0
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await emu.stop()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert "Application started" in output and "[REDACTED]" in output
    assert output.count(TOKEN) == 0 and output.count(SECRET_HALF) == 0
