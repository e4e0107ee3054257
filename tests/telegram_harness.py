"""Running the real Telegram Application (build_application) against the Bot API emulator.

Only base_url/base_file_url differ from production: the bot polls the emulator over HTTP on
127.0.0.1, and tests drive users through the emulator's client API.

The fixtures of the tests/test_telegram*.py files are in tests/telegram_fixtures.py.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.answer.advisor import Advisor
from bot.settings import Settings, load_settings
from bot.telegram.app import ALLOWED_UPDATES, TelegramApp, WebhookConfig, build_application
from bot.telegram.state import StateStore
from ingest.embedding.factory import Embedder
from ingest.pipeline import Ingestor
from ingest.store.index import KnowledgeIndex
from tests.conftest import KNOWLEDGE, ROOT, write_config
from tests.emulator import BotApiEmulator
from tests.load import stop_like_run_polling as stop_app  # run_polling's shutdown, one copy

TOKEN = "5550001234:AAHtestSECRETtoken-abcdefXYZ_123"
SECRET_HALF = TOKEN.split(":", 1)[1]
BOT_NAME = "hiring_advisor_bot"
ADMIN_ID = 7001
WAIT_S = 60.0
"""Upper bound for any single wait on the bot: only a failing test waits it out. An ingest or repair
from chat takes a few seconds alone, but once took over 20 s on the 2 shared cores of a loaded machine."""
SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*-[0-9a-f]{8}\.(md|txt|pdf|docx|html)$")
"""What an uploaded file is stored as, whatever name its sender gave it."""
HOSTILE_NAMES = ["../../etc/passwd.md", "..\\x.md", "a\x00b.md", "report\u202egpj.md", "n" * 10_000 + ".md"]
ANSWER_CONTROLS = frozenset({"👍", "👎", "📚 Sources"})
"""The buttons under every answer; the others under it are suggested follow-up questions."""
SAID_IN_TESTS = ("What should I look for", "confidential", "CISO own", "weather", "stocks")
"""Users' words the Telegram tests send: logged at DEBUG only, never at INFO or above."""


@dataclass
class World:
    """One ingested copy of the shipped knowledge base, shared by a test module."""

    root: Path
    settings: Settings
    advisor: Advisor

    @property
    def knowledge(self) -> Path:
        return self.settings.knowledge.dir

    def files(self) -> list[str]:
        """Every file under the temp root (knowledge, store excluded), relative: to spot a stray write."""
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and "store" not in p.relative_to(self.root).parts
        )

    def live(self) -> str:
        return self.advisor.index.version().name

    def settings_for(
        self, emu: BotApiEmulator, state_path: Path, url_allow_loopback: bool = False, **telegram: Any
    ) -> Settings:
        """These settings on the emulator and a state file; url_allow_loopback sets fetch.allow_loopback."""
        tg = self.settings.telegram.model_copy(
            update={"base_url": emu.base_url, "base_file_url": emu.base_file_url, **telegram}
        )
        state = self.settings.state.model_copy(update={"path": state_path})
        fetch = self.settings.fetch.model_copy(update={"allow_loopback": url_allow_loopback})
        return self.settings.model_copy(update={"telegram": tg, "state": state, "fetch": fetch})


def make_world(root: Path, embedder: Embedder) -> World:
    shutil.copytree(KNOWLEDGE, root / "knowledge")
    data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    data["store"]["path"] = str(root / "store")
    data["knowledge"]["dir"] = str(root / "knowledge")
    data["gate"]["questions_file"] = str(root / "knowledge" / "golden.yaml")
    data["telegram"]["admin_ids"] = [ADMIN_ID]
    data["telegram"]["stream_edit_interval_s"] = 0.05
    settings = load_settings(write_config(root / "config.yaml", data))
    report = Ingestor(settings, embedder).run()
    assert report.status == "activated", report.summary()
    return World(root, settings, Advisor(settings, KnowledgeIndex(settings, embedder)))


@dataclass
class Running:
    """A started bot and its emulator."""

    emu: BotApiEmulator
    app: TelegramApp
    settings: Settings

    @property
    def state(self) -> StateStore:
        store = self.app.bot_data["services"].state_store
        assert store is not None
        return store

    async def reply(self, chat: dict[str, Any], send: Callable[[], object], n: int = 1) -> list[dict[str, Any]]:
        """Do `send` (a user action) and return the next `n` bot messages in the chat."""
        before = len(self.emu.sent(chat))
        send()
        messages = await self.emu.wait_for_messages(chat, before + n, timeout=WAIT_S)
        return messages[before:]

    async def say(self, chat: dict[str, Any], user: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
        """The user writes `text`; the bot's first new message in the chat."""
        return (await self.reply(chat, lambda: self.emu.send_text(chat, user, text, **kw)))[0]

    async def press(
        self, chat: dict[str, Any], user: dict[str, Any], message: dict[str, Any], label: str
    ) -> dict[str, Any]:
        """The user taps the button labelled `label` under `message`; the bot's first new message."""
        data = buttons(message)[label]
        return (await self.reply(chat, lambda: self.emu.press_button(chat, user, message, data)))[0]


def keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The inline keyboard under a message, as rows of buttons."""
    return list(message.get("reply_markup", {}).get("inline_keyboard", []))


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """label -> callback_data of the message's callback buttons."""
    return {b["text"]: b["callback_data"] for row in keyboard(message) for b in row if "callback_data" in b}


async def start_app(settings: Settings, advisor: Advisor, state: StateStore | None = None) -> TelegramApp:
    """The brief's start sequence, plus post_init right after initialize() as run_polling() does it
    (PTB calls post_init/post_shutdown only from run_polling/run_webhook, never from initialize())."""
    app = build_application(settings, advisor, TOKEN, state=state)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    return app


async def start_webhook(settings: Settings, advisor: Advisor, hook: WebhookConfig) -> TelegramApp:
    """As run_webhook() starts the bot, without blocking: serving `hook` until stop_app()."""
    app = build_application(settings, advisor, TOKEN)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_webhook(
        listen=hook.listen,
        port=hook.port,
        url_path=hook.url_path,
        webhook_url=hook.webhook_url,
        secret_token=hook.secret_token,
        allowed_updates=ALLOWED_UPDATES,
    )
    return app


@contextlib.asynccontextmanager
async def running(
    world: World,
    state_path: Path,
    *,
    advisor: Advisor | None = None,
    emu: BotApiEmulator | None = None,
    **telegram: Any,
) -> AsyncIterator[Running]:
    """A polling bot on a fresh (or given) emulator; stopped cleanly, and the emulator must have seen no bug."""
    async with contextlib.AsyncExitStack() as stack:
        emulator = emu or await stack.enter_async_context(started_emulator())
        settings = world.settings_for(emulator, state_path, **telegram)
        app = await start_app(settings, advisor or world.advisor)
        try:
            yield Running(emulator, app, settings)
        finally:
            await stop_app(app)
    assert emulator.errors == [], emulator.errors


@contextlib.asynccontextmanager
async def started_emulator() -> AsyncIterator[BotApiEmulator]:
    """A Bot API emulator serving on 127.0.0.1, for a test that runs the bot more than once on it."""
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    try:
        yield emu
    finally:
        await emu.stop()


class LogCapture(logging.Handler):
    """Everything logged, formatted as a real handler would, behind the production redaction filter."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def silence(logger_names: list[str]) -> dict[str, int]:
    """Current levels, so a fixture can put them back."""
    return {name: logging.getLogger(name).level for name in logger_names}
