"""Secrets and message text in the logs, checked end to end at DEBUG.

The whole suite already runs with every logger at DEBUG into one production-configured handler, and
the session fails if a registered secret shows up (tests/logcheck.py, tests/conftest.py). This file
makes the hard cases happen on purpose, in one run, and checks its own slice of that log:

- 401: the bot started with a wrong token (InvalidToken), in-process and as `python -m bot run`;
- 429 with retry_after, and network errors (the emulator drops connections and answers 500/502);
- a webhook with a secret, and requests with a wrong or missing secret (403);
- a file download (an admin upload);
- a canary string inside questions, via Telegram and via `python -m bot ask` (its main(), in this process).

Expected: the token, its secret half, the wrong token and the webhook secret appear 0 times; the
canary appears 0 times at INFO and above. At DEBUG the canary may appear, but only in the libraries'
own request dumps (PTB logs every Bot API call's parameters and results, openai its request bodies):
DEBUG is an explicit opt-in for troubleshooting. Our own loggers (bot.*, ingest.*) never log message
text, at any level.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from telegram.error import InvalidToken

from bot.cli import _parser as bot_parser
from bot.cli import main as bot_main
from bot.telegram import app as tg_app
from ingest.cli import build_parser as ingest_parser
from ingest.embedding.factory import Embedder
from tests import logcheck
from tests.conftest import ROOT, free_port, write_config
from tests.emulator import BotApiEmulator, FaultPlan
from tests.logcheck import SECRETS
from tests.telegram_harness import (
    ADMIN_ID,
    BOT_NAME,
    SECRET_HALF,
    TOKEN,
    WAIT_S,
    World,
    make_world,
    running,
    start_webhook,
    stop_app,
)

pytestmark = pytest.mark.timeout(240)

WRONG_TOKEN = SECRETS.add("5550001234:AAHwrongSECRETtoken-zyxwvuXYZ_987", "a rejected bot token")
WEBHOOK_SECRET = SECRETS.add("hookSecret_" + secrets.token_urlsafe(12), "the webhook secret")
CANARY = f"CANARY-{secrets.token_hex(6)}"
HOOK_ENV = "TEST_LOGGING_HOOK_SECRET"
OURS = ("bot", "ingest")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("logging"), embedder)
    yield w
    w.advisor.index.close()


def _logger(record: str) -> str:
    """The logger name of a formatted record ('<date> <time> LEVEL name: message')."""
    return record.split(" ", 4)[3].rstrip(":")


def check_log(text: str, where: str) -> dict[str, int]:
    """Secrets 0 times anywhere; the canary 0 times at INFO+ and 0 times in our own loggers."""
    for value, what in SECRETS.values.items():
        assert text.count(value) == 0, f"{what} appears in {where}"
    for secret in (TOKEN, SECRET_HALF):
        assert text.count(secret) == 0, f"the bot token appears in {where}"
    records = logcheck.records(text)
    loud = [r for level, r in records if level != "DEBUG" and CANARY in r and not _logger(r).startswith("tests")]
    assert loud == [], f"message text at INFO or above in {where}"
    ours = [r for _, r in records if CANARY in r and _logger(r).split(".")[0] in OURS]
    assert ours == [], f"our own code logged message text in {where}"
    return {"records": len(records), "canary_debug": sum(CANARY in r for _, r in records)}


# ------------------------------------------------------------------------------------------ every CLI


def test_every_command_takes_log_level() -> None:
    """--log-level is accepted before or after every `python -m bot` command, and by `python -m ingest`."""
    parser = bot_parser()
    commands = {
        "ask": ["q"],
        "chat": [],
        "brief": ["CTO"],
        "compare": ["CTO", "CMIO"],
        "sources": [],
        "eval": [],
        "run": [],
    }
    for command, rest in commands.items():
        for argv in (
            [command, *rest, "--log-level", "DEBUG"],
            ["--log-level", "DEBUG", command, *rest],
            ["--log-level", "DEBUG", "--config", "x.yaml", command, *rest],
        ):
            args = parser.parse_args(argv)
            assert args.log_level == "DEBUG", argv
        assert parser.parse_args([command, *rest]).log_level is None
    assert parser.parse_args(["--config", "x.yaml", "ask", "q"]).config == Path("x.yaml")
    assert ingest_parser().parse_args(["--log-level", "DEBUG"]).log_level == "DEBUG"


# ------------------------------------------------------------------------------------------ the e2e run


async def _wrong_token(world: World, emu: BotApiEmulator, tmp_path: Path) -> None:
    """401: getMe with a token the server does not know; PTB puts the token in InvalidToken's message."""
    app = tg_app.build_application(world.settings_for(emu, tmp_path / "w.sqlite3"), world.advisor, WRONG_TOKEN)
    with pytest.raises(InvalidToken) as err:
        await app.initialize()
    tg_app.log.error("start-up failed", exc_info=err.value)  # what an unhandled start-up error looks like logged
    await app.bot.shutdown()


async def _faults(bot: Any, chat: dict[str, Any], user: dict[str, Any]) -> None:
    """429 with retry_after on the answer, then dropped connections and 5xx on polling and chat actions."""
    emu = bot.emu
    emu.faults = FaultPlan(rate=1.0, kinds=("429",), methods={"sendMessage"}, retry_after=1, limit=1)
    await bot.say(chat, user, f"What should I look for in a CTO? {CANARY}")
    assert emu.faults.injected == [("sendMessage", "429")]
    emu.faults = FaultPlan(
        rate=0.6, kinds=("drop", "500", "502"), methods={"getUpdates", "sendChatAction"}, seed=11, limit=6
    )
    await bot.say(chat, user, f"What does a CMIO own? {CANARY}")
    await emu.wait_for(lambda: len(emu.faults.injected) >= 3, timeout=WAIT_S)
    emu.faults = None


async def _download(bot: Any) -> None:
    """An admin upload: getFile, then a download from /file/bot<token>/... ."""
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    reply = await bot.reply(chat, lambda: emu.send_document(chat, admin, "x.md", b"caf\xe9 \x80 bad", "text/markdown"))
    assert reply[0]["text"].startswith("Not added: ")
    assert emu.calls_of("getFile")


async def _webhook(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """setWebhook carries the secret; requests with a wrong or no secret get 403, the right one 200."""
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    port = free_port()
    hook_url = f"http://127.0.0.1:{port}/hook"
    monkeypatch.setenv(HOOK_ENV, WEBHOOK_SECRET)
    settings = world.settings_for(
        emu, tmp_path / "h.sqlite3", webhook_url=hook_url, webhook_port=port, webhook_secret_env=HOOK_ENV
    )
    app = await start_webhook(settings, world.advisor, tg_app.webhook_config(settings))
    try:
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        emu.send_text(chat, alice, f"What does a CTO own? {CANARY}")
        await emu.wait_for_messages(chat, 1, timeout=WAIT_S)
        body = {"update_id": 9, "message": {"message_id": 99, "date": 0, "chat": chat, "from": alice, "text": CANARY}}
        async with aiohttp.ClientSession() as http:
            for headers in ({"X-Telegram-Bot-Api-Secret-Token": "not-" + WEBHOOK_SECRET[4:]}, {}):
                async with http.post(hook_url, json=body, headers=headers) as resp:
                    assert resp.status == 403
    finally:
        await stop_app(app)
        await emu.stop()


async def _run_with_wrong_token(world: World, emu: BotApiEmulator, tmp_path: Path) -> tuple[int, str]:
    """`python -m bot run` with a token the server rejects: its whole output (stderr included, which no
    log filter guards) must not carry the token."""
    data = yaml.safe_load((world.root / "config.yaml").read_text(encoding="utf-8"))
    data["telegram"].update(base_url=emu.base_url, base_file_url=emu.base_file_url)
    data["state"] = {"path": str(tmp_path / "cli.sqlite3")}
    config = write_config(tmp_path / "cli.yaml", data)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": WRONG_TOKEN}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--log-level", "DEBUG", "--config", str(config), "run",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 150)
    return proc.returncode or 0, out.decode("utf-8", errors="replace")


def _ask(world: World, tmp_path: Path) -> str:
    """`python -m bot --log-level DEBUG ask` in this process (its records go to the session log), on its
    own copy of the store: two readers in one process would share one private snapshot folder."""
    store = tmp_path / "ask-store"
    shutil.copytree(world.root / "store", store, ignore=shutil.ignore_patterns(".readers"))
    data = yaml.safe_load((world.root / "config.yaml").read_text(encoding="utf-8"))
    data["store"]["path"] = str(store)
    config = write_config(tmp_path / "ask.yaml", data)
    out = io.StringIO()
    argv = ["--log-level", "DEBUG", "--config", str(config), "ask", f"What does a CMIO own? {CANARY}"]
    assert bot_main(argv, out=out) == 0
    return out.getvalue()


async def test_secrets_and_message_text_stay_out_of_the_logs(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = logcheck.session_log()
    since = log.mark("test_logging e2e")
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    try:
        cli = asyncio.create_task(_run_with_wrong_token(world, emu, tmp_path))  # loads the model meanwhile
        await _wrong_token(world, emu, tmp_path)
        async with running(world, tmp_path / "s.sqlite3", emu=emu) as bot:
            alice = emu.user(first_name="Alice")
            chat = emu.private_chat(alice)
            await _faults(bot, chat, alice)
            group = emu.group_chat(title="Committee")
            await bot.say(group, alice, f"@{BOT_NAME} How much experience should a CMIO have? {CANARY}")
            await bot.say(chat, alice, f"Which stocks should I buy? {CANARY}")  # declined: stored as a gap
            await _download(bot)
        code, run_out = await cli
    finally:
        await emu.stop()
    await _webhook(world, tmp_path, monkeypatch)
    answer = await asyncio.to_thread(_ask, world, tmp_path)

    text = log.text(since)
    figures = check_log(text, "the in-process DEBUG log")
    assert "[REDACTED]" in text  # the token was in records (request URLs, InvalidToken) and got scrubbed
    for evidence in ("InvalidToken", "429", "Rate limit hit", "/file/bot[REDACTED]", "wrong secret token"):
        assert evidence in text, evidence
    assert "NetworkError" in text or "RemoteProtocolError" in text or "502" in text
    assert figures["canary_debug"] >= 1  # it did reach DEBUG (PTB's request dumps): the check is not vacuous

    assert "Hillary Ross" in answer, answer  # the CLI answered (its log records are in `text` above)

    assert code == 2, run_out[-2000:]
    assert "rejected the bot token" in run_out, run_out[-2000:]  # the admin learns why, without the token
    check_log(run_out, "python -m bot run")
    lines = text.count("\n") + run_out.count("\n")
    print(f"\n{lines} log lines, {figures['canary_debug']} DEBUG records with the canary, 0 secrets")
