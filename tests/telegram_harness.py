"""Running the real Telegram Application (build_application) against the Bot API emulator.

Only base_url/base_file_url differ from production: the bot polls the emulator over HTTP on
127.0.0.1, and tests drive users through the emulator's client API.

The fixtures at the end (`logs`, `world`, `bot`, `no_secret_or_text_in_logs`) serve the
tests/test_telegram*.py files, which import them by their function names.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answer.advisor import Advisor
from bot.telegram.app import TelegramApp, build_application
from bot.telegram.state import StateStore
from ingest.embedding.factory import Embedder
from ingest.logs import redactor
from ingest.pipeline import Ingestor
from ingest.settings import Settings, load_settings
from ingest.store.index import KnowledgeIndex
from tests.conftest import KNOWLEDGE, ROOT, write_config
from tests.emulator import BotApiEmulator
from tests.load import stop_like_run_polling as stop_app  # run_polling's shutdown, one copy

TOKEN = "5550001234:AAHtestSECRETtoken-abcdefXYZ_123"
SECRET_HALF = TOKEN.split(":", 1)[1]
BOT_NAME = "hiring_advisor_bot"
ADMIN_ID = 7001
WAIT_S = 20.0
"""Upper bound for any single wait on the bot (an ingest from chat takes a few seconds)."""
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

    def settings_for(self, emu: BotApiEmulator, state_path: Path, **telegram: Any) -> Settings:
        tg = self.settings.telegram.model_copy(
            update={"base_url": emu.base_url, "base_file_url": emu.base_file_url, **telegram}
        )
        state = self.settings.state.model_copy(update={"path": state_path})
        return self.settings.model_copy(update={"telegram": tg, "state": state})


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
    own = emu is None
    emulator = emu or BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    if own:
        await emulator.start()
    try:
        settings = world.settings_for(emulator, state_path, **telegram)
        app = await start_app(settings, advisor or world.advisor)
        try:
            yield Running(emulator, app, settings)
        finally:
            await stop_app(app)
    finally:
        if own:
            await emulator.stop()
    assert emulator.errors == [], emulator.errors


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


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module", name="logs")
def logs_fixture() -> Iterator[LogCapture]:
    """DEBUG logs of the whole module, through the production redaction filter (as setup_logging installs it).

    Every logger is at DEBUG already: tests/conftest.py sets that for the whole suite (tests/logcheck.py).
    """
    capture = LogCapture()
    capture.addFilter(redactor())
    root = logging.getLogger()
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)


@pytest.fixture(scope="module", name="world")
def world_fixture(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, logs: LogCapture) -> Iterator[World]:
    """One ingested knowledge base per test module (ingesting takes seconds; tests undo what they add)."""
    w = make_world(tmp_path_factory.mktemp("telegram"), embedder)
    yield w
    w.advisor.index.close()


@pytest.fixture(name="bot")
async def bot_fixture(world: World, tmp_path: Path) -> AsyncIterator[Running]:
    """A polling bot with a fresh state file and a fresh emulator, for one test."""
    async with running(world, tmp_path / "state.sqlite3") as r:
        yield r


@pytest.fixture(autouse=True, name="no_secret_or_text_in_logs")
def no_secret_or_text_in_logs_fixture(logs: LogCapture) -> Iterator[None]:
    """After each test: what it logged holds no token (nor half of one), and users' words only at DEBUG."""
    logged = len(logs.lines)
    yield
    for line_ in logs.lines[logged:]:
        assert TOKEN not in line_ and SECRET_HALF not in line_, line_
        if not line_.startswith("DEBUG"):
            assert not any(text in line_ for text in SAID_IN_TESTS), line_
