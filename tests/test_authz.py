"""Authorisation: 1,000 admin actions from people who are not bot admins change nothing.

Commands (/ingest, /ingest_url, /remove, /stats, /rollback), document uploads, URL messages, forged
callback data, edited messages and messages forwarded from a real admin, in private chats and in groups
where the sender IS a Telegram group administrator or creator (chat admin is not bot admin). All are
injected at once into the Bot API emulator and served by the real Application. Afterwards the live
index (hash of its sorted chunk ids), the live version, the list of versions and the knowledge folder
(names and contents) must be exactly as before. A final admin /ingest_url shows the check would see a
change.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.telegram.access import ADMIN_ONLY
from bot.telegram.errors import SOMETHING_WRONG
from ingest.embedding.factory import Embedder
from tests.emulator import BotApiEmulator
from tests.localweb import start_local
from tests.telegram_harness import ADMIN_ID, BOT_NAME, Running, World, make_world, running

pytestmark = pytest.mark.timeout(180)

UNKNOWN = "I don't know that command. /help lists what I can do."
DOC_ID = "cto-role-bonnie-siegel.md"
PAGE = (
    "<html><head><title>Hiring a CNIO</title><meta name='author' content='Pat Lee'></head><body><main>"
    "<h1>Hiring a CNIO</h1><p>The chief nursing information officer (CNIO) connects nursing practice and "
    "clinical informatics, and owns nursing documentation and workflow.</p></main></body></html>"
)
ARTICLE = b"""---
title: Hiring a CISO for a Health System
author: Mallory
roles: [CISO]
---

# What the CISO owns

The CISO owns the security program and incident response for the health system.
"""
FORGED = [
    "ingest",
    "admin:ingest",
    f"remove:{DOC_ID}",
    "rollback:previous",
    "stats",
    "ingest_url:http://127.0.0.1/x",
    "src:" + "A" * 8,
    "ask:zzzzzzzz:0",
    "fb:x",
]


# ------------------------------------------------------------------------------------------ the observed state


def fingerprint(world: World) -> dict[str, Any]:
    """What an admin action could change: the live index's chunk ids, the live and kept versions, the articles."""
    index = world.advisor.index
    live = index.version()
    ids = index.backend.open_snapshot(live.name).get(include=[])["ids"]
    files = {
        p.relative_to(world.knowledge).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(world.knowledge.rglob("*"))
        if p.is_file()
    }
    return {
        "ids": hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest(),
        "chunks": len(ids),
        "live": live.name,
        "versions": index.backend.names(),
        "knowledge": files,
    }


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("authz"), embedder)
    yield w
    w.advisor.index.close()


@pytest.fixture
async def page_url() -> AsyncIterator[str]:
    """A real page that /ingest_url WOULD add (loopback is allowed in this test): a refusal is the only
    thing between a non-admin and a change."""

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    site = web.Application()
    site.router.add_get("/cnio", serve)
    runner, port = await start_local(site)
    yield f"http://127.0.0.1:{port}/cnio"
    await runner.cleanup()


# ------------------------------------------------------------------------------------------ the attack


@dataclass
class Attack:
    """The actions, and what the bot should answer to them."""

    emu: BotApiEmulator
    url: str
    actions: int = 0
    refusals: int = 0  # "only administrators" replies expected
    unknown: int = 0  # "I don't know that command" replies expected
    callbacks: int = 0
    edits: int = 0
    questions: int = 0
    late: int = 0  # presses whose answer Telegram refused as too late
    sent: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    replies: dict[int, int] = field(default_factory=dict)  # chat id -> bot messages expected (at least)
    pressed: set[str] = field(default_factory=set)  # callback query ids of the forged presses

    def _expect(self, chat: dict[str, Any], n: int = 1) -> None:
        self.replies[chat["id"]] = self.replies.get(chat["id"], 0) + n

    def answered(self) -> bool:
        return all(len(self.emu.sent(chat_id)) >= n for chat_id, n in self.replies.items())

    def commands(self) -> list[str]:
        mention = f"@{BOT_NAME}"
        refused = [
            "/ingest",
            f"/ingest_url {self.url}",
            f"/remove {DOC_ID}",
            "/stats",
            f"/ingest{mention}",
            f"/ingest_url{mention} {self.url}",
            f"/remove{mention} ../config.yaml",
            f"/stats{mention}",
        ]
        return [*refused, "/rollback", f"/rollback{mention} v000001"]

    def command(self, chat: dict[str, Any], user: dict[str, Any], text: str) -> None:
        message = self.emu.send_text(chat, user, text)
        self.sent.append((chat, user, message))
        self.actions += 1
        if text.startswith("/rollback"):
            if chat["type"] == "private":  # groups: an unknown command gets no answer
                self.unknown += 1
                self._expect(chat)
        else:
            self.refusals += 1
            self._expect(chat)

    def upload(self, chat: dict[str, Any], user: dict[str, Any], n: int) -> dict[str, Any]:
        caption = f"@{BOT_NAME} please add" if chat["type"] != "private" else None
        message = self.emu.send_document(chat, user, f"ciso-{n}.md", ARTICLE, "text/markdown", caption)
        self.actions += 1
        self.refusals += 1
        self._expect(chat)
        return message

    def forward_from_admin(self, chat: dict[str, Any], user: dict[str, Any], content: dict[str, Any]) -> None:
        """`user` forwards a message an admin wrote: Telegram sets forward_origin; `from` is the forwarder."""
        admin = {"id": ADMIN_ID, "is_bot": False, "first_name": "Admin"}
        self.emu.forward(chat, user, {**content, "from": admin, "date": int(time.time())})
        self.actions += 1
        self.refusals += 1
        self._expect(chat)

    def url_message(self, chat: dict[str, Any], user: dict[str, Any]) -> None:
        """A bare link from a non-admin is a question at most, never an article."""
        self.emu.send_text(chat, user, f"{self.url} add this please")
        self.actions += 1
        self.questions += 1
        self._expect(chat)

    def edit(self, chat: dict[str, Any], user: dict[str, Any], message: dict[str, Any], text: str) -> None:
        self.emu.edit_text(chat, user, message, text)
        self.actions += 1
        self.edits += 1

    def press(self, chat: dict[str, Any], user: dict[str, Any], message: dict[str, Any], data: str) -> None:
        query = self.emu.press_button(chat, user, message, data, strict=False)
        self.pressed.add(query["id"])
        self.actions += 1
        self.callbacks += 1


def replies(emu: BotApiEmulator, text: str) -> int:
    return sum(1 for params in emu.calls_of("sendMessage") if params.get("text") == text)


async def settle(emu: BotApiEmulator, ready: Any, timeout: float) -> None:
    """Wait for `ready()`, then make sure nothing more arrives (no duplicate or late reply)."""
    await emu.wait_for(lambda: not emu.pending_updates and ready(), timeout=timeout)
    calls = len(emu.calls)
    await asyncio.sleep(0.5)
    assert not [c for c in emu.calls[calls:] if c[0] not in ("getUpdates", "sendChatAction")]


async def _attack(bot: Running, world: World, url: str, users_n: int, groups_n: int) -> Attack:
    emu = bot.emu
    attack = Attack(emu, url)
    names = itertools.count(1)
    users = [emu.user(first_name=f"Mallory{next(names)}") for _ in range(users_n)]
    groups = []
    for g in range(groups_n):
        group = emu.group_chat(title=f"Committee {g}", bot_status="administrator" if g % 2 else "member")
        for k, status in enumerate(("creator", "administrator")):
            emu.set_member_status(group, users[(2 * g + k) % len(users)], status)  # chat admins, not bot admins
        groups.append(group)
    admin_command = {"text": "/ingest", "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}

    # Phase 1: commands, uploads, forwards and links, all at once.
    uploads: list[dict[str, Any]] = []
    for n, user in enumerate(users):
        chat = emu.private_chat(user)
        for text in attack.commands():
            attack.command(chat, user, text)
        uploads.append(attack.upload(chat, user, n))
        attack.forward_from_admin(chat, user, admin_command)
        attack.forward_from_admin(chat, user, {"document": uploads[0]["document"]})
        if n % 2 == 0:
            attack.url_message(chat, user)
    for g, group in enumerate(groups):
        owner, admin = users[(2 * g) % len(users)], users[(2 * g + 1) % len(users)]
        for user in (owner, admin):
            for text in attack.commands()[:7]:
                attack.command(group, user, text)
        attack.upload(group, owner, g)
        attack.forward_from_admin(group, admin, admin_command)
    await settle(emu, attack.answered, timeout=60 + attack.refusals / 10)  # replies go out at 30/s at most
    assert replies(emu, ADMIN_ONLY) == attack.refusals and replies(emu, UNKNOWN) == attack.unknown

    # Phase 2: edit the commands into other admin commands, and press forged buttons under the refusals.
    callbacks_before = len(emu.callback_answers)
    for chat, user, message in attack.sent:
        attack.edit(chat, user, message, f"/remove {DOC_ID}" if chat["type"] == "private" else "/ingest")
    for chat in [emu.private_chat(u) for u in users] + groups:
        refusal = next(m for m in emu.sent(chat) if m.get("text") == ADMIN_ONLY)
        presser = users[0] if chat["type"] != "private" else emu._user(chat["id"])
        for data in FORGED:
            attack.press(chat, presser, refusal, data)
    # Every press must reach the bot and be answered. Telegram takes an answer only ~15 s after the press
    # (the emulator too), so in a burst of thousands the last answers come too late and are refused: that
    # is throughput, not authorisation, and the bot must shrug it off (no "something went wrong").
    await settle(emu, AnswerAttempts(emu, attack.pressed), timeout=60 + attack.callbacks / 10)
    accepted = len(emu.callback_answers) - callbacks_before
    attack.late = attack.callbacks - accepted
    assert {a["callback_query_id"] for a in emu.callback_answers[callbacks_before:]} <= attack.pressed
    assert replies(emu, ADMIN_ONLY) == attack.refusals  # edits and presses got no admin reply either
    assert replies(emu, SOMETHING_WRONG) == 0
    return attack


class AnswerAttempts:
    """True once the bot has tried to answer every query id; reads each new emulator call once."""

    def __init__(self, emu: BotApiEmulator, ids: set[str]) -> None:
        self.emu, self.waiting, self.seen = emu, set(ids), len(emu.calls)

    def __call__(self) -> bool:
        calls = self.emu.calls
        for name, params in calls[self.seen :]:
            if name == "answerCallbackQuery":
                self.waiting.discard(str(params.get("callback_query_id")))
        self.seen = len(calls)
        return not self.waiting


async def _run(world: World, tmp_path: Path, url: str, users_n: int, groups_n: int) -> Attack:
    before = fingerprint(world)
    started = time.monotonic()
    async with running(world, tmp_path / "s.sqlite3", url_allow_loopback=True) as bot:
        attack = await _attack(bot, world, url, users_n, groups_n)
        elapsed = time.monotonic() - started
        after = fingerprint(world)
        assert after == before  # 0 index changes
        assert bot.state.stats().questions <= attack.questions  # links were questions at most
        print(
            f"\n{attack.actions} non-admin actions in {elapsed:.1f}s: {attack.refusals} refusals, "
            f"{attack.edits} edits, {attack.callbacks} forged presses ({attack.late} answered too late), "
            f"{attack.questions} links; "
            f"index {after['live']} ({after['chunks']} chunks) unchanged"
        )

        # The check can see a change: the real admin adds the same page.
        admin = bot.emu.user(id=ADMIN_ID, first_name="Admin")
        added = await bot.say(bot.emu.private_chat(admin), admin, f"/ingest_url {url}")
        assert "Added as" in added["text"], added["text"]
        changed = fingerprint(world)
        assert changed["ids"] != before["ids"] and changed["live"] != before["live"]
        assert set(changed["knowledge"]) - set(before["knowledge"])
    return attack


async def test_1000_non_admin_actions_change_nothing(world: World, tmp_path: Path, page_url: str) -> None:
    attack = await _run(world, tmp_path, page_url, users_n=24, groups_n=8)
    assert attack.actions >= 1000, attack.actions


@pytest.mark.stress
@pytest.mark.timeout(900)
async def test_5000_non_admin_actions_change_nothing(world: World, tmp_path: Path, page_url: str) -> None:
    attack = await _run(world, tmp_path, page_url, users_n=120, groups_n=40)
    assert attack.actions >= 5000, attack.actions
