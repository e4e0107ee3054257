"""The Telegram front end end to end: the real PTB Application from build_application, polling (or
serving a webhook for) the Bot API emulator on 127.0.0.1, over the real model and a real index.

Unit parts: HTML rendering and splitting (their hypothesis properties are in test_properties.py), safe
upload names, and per-conversation ordering.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web
from telegram import Bot, Update

from bot.answer.advisor import Advisor
from bot.answer.llm import LLMAnswerer, build_chat_model
from bot.answer.types import Answer, Point, Source
from bot.telegram import app as tg_app
from bot.telegram.errors import SOMETHING_WRONG
from bot.telegram.keyboards import MAX_CALLBACK_BYTES
from bot.telegram.ordering import ChatOrderedProcessor
from bot.telegram.render import (
    MAX_MESSAGE,
    answer_doc,
    doc_text,
    to_messages,
    utf16_len,
)
from ingest.articles import UploadRefused, safe_name, store
from ingest.embedding.factory import Embedder
from ingest.errors import StoreUnavailableError
from ingest.loaders.documents import LoadLimits
from ingest.logs import redactor
from ingest.store.versions import writer_lock
from tests.conftest import ROOT, write_config
from tests.emulator import BotApiEmulator, FaultPlan, parse_html
from tests.emulator.server import iter_entities
from tests.fakes.openai_server import FakeOpenAI
from tests.localweb import start_local
from tests.telegram_harness import (
    ADMIN_ID,
    BOT_NAME,
    SECRET_HALF,
    TOKEN,
    WAIT_S,
    LogCapture,
    Running,
    World,
    make_world,
    running,
    stop_app,
)

pytestmark = pytest.mark.timeout(120)

SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*-[0-9a-f]{8}\.(md|txt|pdf|docx|html)$")
CTO_Q = "What should I look for in a CTO?"
CISO_ARTICLE = """---
title: Hiring a CISO for a Health System
author: Jane Doe
publisher: Test Recruiters
roles: [CISO]
---

# What the CISO owns

The CISO owns the security program, incident response and cyber risk management for the health system.
A strong CISO candidate brings ten years of security leadership and can brief the board on ransomware risk.
"""


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def logs() -> Iterator[LogCapture]:
    """DEBUG logs of the whole module, through the production redaction filter (as setup_logging installs it).

    Every logger is at DEBUG already: tests/conftest.py sets that for the whole suite (tests/logcheck.py).
    """
    capture = LogCapture()
    capture.addFilter(redactor())
    root = logging.getLogger()
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, logs: LogCapture) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("telegram"), embedder)
    yield w
    w.advisor.index.close()


@pytest.fixture
async def bot(world: World, tmp_path: Path) -> AsyncIterator[Running]:
    async with running(world, tmp_path / "state.sqlite3") as r:
        yield r


def keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(message.get("reply_markup", {}).get("inline_keyboard", []))


def buttons(message: dict[str, Any]) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in keyboard(message) for b in row if "callback_data" in b}


def entity_types(message: dict[str, Any]) -> list[str]:
    return [kind for kind, _ in iter_entities(message)]


# ------------------------------------------------------------------------------------------ unit: render


def test_answer_html_escapes_everything_and_links_only_http_sources() -> None:
    answer = Answer(
        question="q",
        resolved_question="q",
        lead="Lead <b>&",
        points=[Point("Point with <i>tags</i> & ampersands", 1), Point("Second point", 2)],
        sources=[
            Source(1, "Title <script>", "A & B", "Pub", "a.md", "https://example.org/a?x=1&y=<2>"),
            Source(2, "No link", "", "", "b.md", "javascript:alert(1)"),
        ],
        in_scope=True,
        text="unused",
    )
    (html_text,) = to_messages(answer_doc(answer))
    plain, entities = parse_html(html_text, strict_ampersand=True)
    assert "Lead <b>&" in plain and "Point with <i>tags</i> & ampersands [1]" in plain
    assert "[1] Title <script> — A & B, Pub" in plain and "[2] No link" in plain
    links = [e for e in entities if e["type"] == "text_link"]
    assert len(links) == 1 and links[0]["url"].startswith("https://example.org/a?x=1&y=")
    assert "javascript" not in html_text


# The splitting and escaping properties (hypothesis) are in tests/test_properties.py.


def test_a_long_answer_splits_at_4096_and_keeps_every_character() -> None:
    points = [Point(f"Point {i} " + "😀 long sentence with <tags> & entities. " * 12, i % 3 + 1) for i in range(40)]
    sources = [Source(n, f"Title {n}", "Author", "Pub", f"{n}.md") for n in (1, 2, 3)]
    answer = Answer("q", "q", "Lead", points, sources, True, "")
    doc = answer_doc(answer)
    messages = to_messages(doc)
    assert len(messages) >= 3
    plains = [parse_html(m, strict_ampersand=True)[0] for m in messages]
    assert all(utf16_len(p) <= MAX_MESSAGE for p in plains)
    assert "".join(p.replace("\n", "") for p in plains) == doc_text(doc).replace("\n", "")


# ------------------------------------------------------------------------------------------ unit: uploads


HOSTILE_NAMES = ["../../etc/passwd.md", "..\\x.md", "a\x00b.md", "report\u202egpj.md", "n" * 10_000 + ".md"]


def test_safe_names_for_hostile_file_names(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    kb.mkdir()
    for name in HOSTILE_NAMES:
        safe = safe_name(name, name.encode("utf-8", "surrogatepass"))
        assert SAFE_NAME.match(safe) and len(safe) <= 80, safe
        path = store(kb, safe, b"# Title\n\nSome text about a CTO role.\n", LoadLimits())
        assert path.parent == kb.resolve()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(p.name for p in kb.iterdir())
    assert safe_name("Résumé Guide.MARKDOWN", b"x").endswith(".md")
    for bad in ("evil.exe", "noext", "x.md.exe", ""):
        with pytest.raises(UploadRefused, match="unsupported format"):
            safe_name(bad, b"x")
    safe = safe_name("dup.md", b"# T\n\ntext\n")
    store(kb, safe, b"# T\n\ntext\n", LoadLimits())
    with pytest.raises(UploadRefused, match="already in the knowledge base"):
        store(kb, safe, b"# T\n\ntext\n", LoadLimits())


# ------------------------------------------------------------------------------------------ unit: ordering


async def test_updates_of_one_conversation_run_in_order_others_concurrently() -> None:
    processor = ChatOrderedProcessor(max_active=8)
    await processor.initialize()
    events: list[str] = []

    def update(chat_id: int, update_id: int) -> Update:
        chat = {"id": chat_id, "type": "private", "first_name": "x"}
        message = {"message_id": update_id, "date": 0, "chat": chat, "text": "t"}
        parsed = Update.de_json({"update_id": update_id, "message": message}, None)
        assert parsed is not None
        return parsed

    async def work(name: str, delay: float) -> None:
        events.append(f"start {name}")
        await asyncio.sleep(delay)
        events.append(f"end {name}")

    await asyncio.gather(
        processor.process_update(update(1, 1), work("a1", 0.05)),
        processor.process_update(update(1, 2), work("a2", 0.0)),
        processor.process_update(update(2, 3), work("b1", 0.0)),
    )
    assert events.index("end a1") < events.index("start a2")  # same chat: strictly in order
    assert events.index("end b1") < events.index("end a1")  # another chat did not wait
    await processor.shutdown()


# ------------------------------------------------------------------------------------------ private chat


async def test_private_journey(bot: Running, world: World) -> None:
    emu = bot.emu
    commands = {c["command"]: c["description"] for c in emu.commands}
    expected = {"start", "help", "ask", "brief", "brief_cto", "brief_cmio", "compare", "sources", "reset"}
    assert expected | {"privacy", "forget_me"} <= set(commands) and all(commands.values())
    admin_menu = {c["command"] for c in emu.all_commands.get((f"chat:{ADMIN_ID}", ""), [])}
    assert not admin_menu or {"ingest", "stats"} <= admin_menu

    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)

    welcome = await bot.say(chat, alice, "/start")
    start_buttons = buttons(welcome)
    assert {"📄 CTO brief", "📄 CMIO brief"} <= set(start_buttons)
    assert sum(1 for data in start_buttons.values() if data.startswith("ask:")) == 2

    help_text = (await bot.say(chat, alice, "/help"))["text"]
    assert "/compare" in help_text and "/ingest" not in help_text

    answer = await bot.say(chat, alice, CTO_Q)
    # The lead says what the points are: here, one list of the article's.
    assert answer["text"].startswith("From Bonnie Siegel’s list of") and "Sources" in answer["text"]
    assert "Bonnie Siegel" in answer["text"] and re.search(r"\[1\]", answer["text"])
    assert "bold" in entity_types(answer)
    assert emu.calls_of("sendChatAction")[-1]["action"] == "typing"
    ab = buttons(answer)
    assert {"👍", "👎", "📚 Sources"} <= set(ab) and len(ab) >= 4
    assert all(len(data.encode()) <= MAX_CALLBACK_BYTES for data in ab.values())

    follow = await bot.say(chat, alice, "and for CMIOs?")
    assert "Hillary Ross" in follow["text"]

    emu.press_button(chat, alice, answer, ab["👍"])
    await emu.wait_for(lambda: len(emu.callback_answers) == 1, timeout=WAIT_S)
    assert emu.callback_answers[-1]["text"] == "Thanks for the feedback!" and bot.state.stats().feedback_up == 1

    sources = (await bot.reply(chat, lambda: emu.press_button(chat, alice, answer, ab["📚 Sources"])))[0]
    assert sources["text"].startswith("Sources of this answer\n[1] The Health System CTO")
    assert "Also in the knowledge base\n• CMIOs in Healthcare" in sources["text"]

    suggestion = next(text for text, data in ab.items() if data.startswith("ask:"))
    asked = (await bot.reply(chat, lambda: emu.press_button(chat, alice, answer, ab[suggestion])))[0]
    assert "Sources" in asked["text"] or "can't answer" in asked["text"]

    example = next(data for data in start_buttons.values() if data.startswith("ask:"))
    via_example = (await bot.reply(chat, lambda: emu.press_button(chat, alice, welcome, example)))[0]
    assert "Sources" in via_example["text"]

    brief = await bot.say(chat, alice, "/brief CTO")
    assert brief["text"].startswith("Role brief: chief technology officer (CTO)")
    assert "What to look for" in brief["text"] and "Sources" in brief["text"]
    shortcut = await bot.say(chat, alice, "/brief_cmio")
    assert shortcut["text"].startswith("Role brief: chief medical information officer (CMIO)")
    pick = await bot.say(chat, alice, "/brief")
    by_button = (await bot.reply(chat, lambda: emu.press_button(chat, alice, pick, buttons(pick)["📄 CTO brief"])))[0]
    assert by_button["text"].startswith("Role brief: chief technology officer")
    unknown = await bot.say(chat, alice, "/brief CFO")
    assert "No article is about the CFO role yet" in unknown["text"]

    comparison = await bot.say(chat, alice, "/compare CTO CMIO")
    assert comparison["text"].startswith("CTO vs CMIO") and "Watch-outs" in comparison["text"]
    assert "Usage" in (await bot.say(chat, alice, "/compare CTO"))["text"]

    listing = await bot.say(chat, alice, "/sources")
    assert "Bonnie Siegel" in listing["text"] and "Hillary Ross" in listing["text"]
    assert "cto-role-bonnie-siegel.md" not in listing["text"]  # file ids are for admins

    privacy = await bot.say(chat, alice, "/privacy")
    assert f"after {bot.settings.state.retention_days} days" in privacy["text"]
    assert "unanswered" in privacy["text"].lower() or "could not answer" in privacy["text"]

    via_ask = await bot.say(chat, alice, "/ask What does a CMIO own?")
    assert "Sources" in via_ask["text"]

    declined = await bot.say(chat, alice, "What is the weather in Paris <b>&</b>?")
    assert "can't answer" in declined["text"] and "Sources" not in declined["text"]

    assert "don't know that command" in (await bot.say(chat, alice, "/frobnicate"))["text"]

    history = bot.state.history(chat["id"], None)
    assert history[0] == CTO_Q and "and for CMIOs?" in history
    assert "Done" in (await bot.say(chat, alice, "/reset"))["text"]
    assert bot.state.history(chat["id"], None) == []

    stats = bot.state.stats()
    assert stats.unanswered == 1 and stats.answered >= 4
    assert stats.gaps == [("What is the weather in Paris <b>&</b>?", 1)]

    for params in emu.calls_of("sendMessage"):
        assert params["link_preview_options"] == {"is_disabled": True}
        assert params["parse_mode"] == "HTML"


async def test_a_gap_is_said_in_the_chat_and_listed_for_the_admins(bot: Running) -> None:
    """On topic but not in the articles: the chat says so before any related point, and /stats lists it."""
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    reply = await bot.say(emu.private_chat(alice), alice, "What's a typical salary for a CTO?")
    assert reply["text"].startswith("The articles don’t cover")
    if "•" in reply["text"]:
        assert reply["text"].index("Related points from the articles, not an answer to that:") < reply["text"].index(
            "•"
        )
    assert bot.state.stats().gaps == [("What's a typical salary for a CTO?", 1)]


async def test_admin_stats_shows_gaps_escaped_and_sources_with_ids(bot: Running) -> None:
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    await bot.say(chat, admin, "Who won the <b>match</b> & why?")
    await bot.say(chat, admin, CTO_Q)
    stats = await bot.say(chat, admin, "/stats")
    text = stats["text"]
    assert "Articles: 2" in text and "chunks:" in text
    assert "Asked: 2 · answered: 1 · unanswered: 1" in text
    assert "• Who won the <b>match</b> & why? (×1)" in text
    bold_words = [value for kind, value in iter_entities(stats) if kind == "bold"]
    assert "match" not in bold_words  # the user's tags are text, not markup
    listing = await bot.say(chat, admin, "/sources")
    assert "cto-role-bonnie-siegel.md" in listing["text"]
    assert "/ingest" in (await bot.say(chat, admin, "/help"))["text"]


# ------------------------------------------------------------------------------------------ groups, topics


async def test_group_answers_only_mentions_replies_and_ask(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    group = emu.group_chat(title="Search committee", bot_status="administrator")  # the bot sees everything

    plain = emu.send_text(group, alice, CTO_Q)
    await emu.wait_for(lambda: not emu.pending_updates, timeout=WAIT_S)
    mention = emu.send_text(group, alice, f"@{BOT_NAME} what does a CMIO own?")
    (answer,) = await emu.wait_for_messages(group, 1, timeout=WAIT_S)
    assert answer["reply_to_message"]["message_id"] == mention["message_id"]  # the plain one got nothing
    assert plain["message_id"] not in [m.get("reply_to_message", {}).get("message_id") for m in emu.sent(group)]
    assert "Hillary Ross" in answer["text"]

    follow = await bot.say(group, alice, "and for CTOs?", reply_to=answer)
    assert "Bonnie Siegel" in follow["text"]
    via_ask = await bot.say(group, alice, "/ask How much experience should a CTO have?")
    assert "Sources" in via_ask["text"]
    assert "Welcome" in (await bot.say(group, alice, f"/start@{BOT_NAME}"))["text"]

    count = len(emu.sent(group))
    emu.send_text(group, alice, "/start@some_other_bot")
    emu.send_text(group, alice, "just chatting among humans")
    marker = await bot.say(group, alice, f"/privacy@{BOT_NAME}")
    assert "What I store" in marker["text"] and len(emu.sent(group)) == count + 1
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    assert "private chat" in (await bot.say(group, admin, "/stats"))["text"]  # gaps are other people's questions
    assert bot.state.history(group["id"], None) == [
        "what does a CMIO own?",
        "and for CTOs?",
        "How much experience should a CTO have?",
    ]


async def test_forum_topics_have_their_own_memory(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    forum = emu.group_chat(title="Hiring forum", is_forum=True)  # privacy mode on: mentions only
    cto_topic = emu.create_topic(forum, alice, "CTO search")
    cmio_topic = emu.create_topic(forum, alice, "CMIO search")

    a = await bot.say(forum, alice, f"@{BOT_NAME} How much experience should a CTO have?", thread_id=cto_topic)
    b = await bot.say(forum, alice, f"@{BOT_NAME} What is the weather like?", thread_id=cmio_topic)
    assert a["message_thread_id"] == cto_topic and b["message_thread_id"] == cmio_topic
    follow = await bot.say(forum, alice, f"@{BOT_NAME} and for CMIOs?", thread_id=cto_topic)
    assert follow["message_thread_id"] == cto_topic and "Hillary Ross" in follow["text"]
    assert bot.state.history(forum["id"], cto_topic) == [
        "How much experience should a CTO have?",
        "and for CMIOs?",
    ]
    assert bot.state.history(forum["id"], cmio_topic) == ["What is the weather like?"]
    reset = await bot.say(forum, alice, "/reset", thread_id=cmio_topic)
    assert reset["message_thread_id"] == cmio_topic
    assert bot.state.history(forum["id"], cmio_topic) == [] and len(bot.state.history(forum["id"], cto_topic)) == 2


# ------------------------------------------------------------------------------------------ inline mode


async def test_inline_mode_offers_briefs_and_answers(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Recruiter")
    emu.inline_query(alice, "cto")
    await emu.wait_for(lambda: len(emu.inline_answers) == 1, timeout=WAIT_S)
    (result,) = emu.inline_answers[0]["results"]
    assert result["type"] == "article" and result["title"] == "Role brief: chief technology officer (CTO)"
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML" and content["link_preview_options"] == {"is_disabled": True}
    assert parse_html(content["message_text"], strict_ampersand=True)[0].startswith("Role brief")

    emu.inline_query(alice, "")
    await emu.wait_for(lambda: len(emu.inline_answers) == 2, timeout=WAIT_S)
    assert len(emu.inline_answers[1]["results"]) == 2

    emu.inline_query(alice, "What should I look for in a CMIO?")
    await emu.wait_for(lambda: len(emu.inline_answers) == 3, timeout=WAIT_S)
    titles = [r["title"] for r in emu.inline_answers[2]["results"]]
    assert titles[0] == "Answer: What should I look for in a CMIO?" and "Role brief: chief medical" in titles[1]


# ------------------------------------------------------------------------------------------ access control


async def test_only_allowed_users_get_answers_and_refusals_log_no_text(
    world: World, tmp_path: Path, logs: LogCapture
) -> None:
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    try:
        alice = emu.user(first_name="Alice")
        bob = emu.user(first_name="Bob")
        async with running(world, tmp_path / "s.sqlite3", emu=emu, allowed_ids=(alice["id"],)) as bot:
            assert "Sources" in (await bot.say(emu.private_chat(alice), alice, CTO_Q))["text"]
            bob_chat = emu.private_chat(bob)
            refusal = await bot.say(bob_chat, bob, "confidential: our CTO shortlist is Smith")
            assert "private" in refusal["text"] and len(emu.sent(bob_chat)) == 1
            emu.inline_query(bob, "cto")
            await emu.wait_for(lambda: len(emu.inline_answers) == 1, timeout=WAIT_S)
            assert emu.inline_answers[0]["results"] == [] and emu.inline_answers[0]["is_personal"] is True
            assert bot.state.stats().questions == 1
        assert f"refused message from user {bob['id']}" in logs.text
        assert _only_debug(logs, "confidential")
    finally:
        await emu.stop()


def _only_debug(logs: LogCapture, needle: str) -> bool:
    """Message text may appear in PTB's own DEBUG request dumps, never at INFO or above."""
    return all(line.startswith("DEBUG") for line in logs.lines if needle in line)


# ------------------------------------------------------------------------------------------ admin journeys


def _md(text: str) -> bytes:
    return text.encode("utf-8")


async def test_admin_upload_is_ingested_answerable_and_removable(bot: Running, world: World) -> None:
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    before = world.live()

    upload = lambda: emu.send_document(chat, admin, "../../etc/passwd.md", _md(CISO_ARTICLE), "text/markdown")  # noqa: E731
    added = (await bot.reply(chat, upload))[0]
    match = re.search(r"Added as (\S+)\.", added["text"])
    assert match and SAFE_NAME.match(match.group(1)), added["text"]
    name = match.group(1)
    assert name.startswith("passwd-") and (world.knowledge / name).is_file()
    assert "is live" in added["text"] and world.live() != before
    assert not (world.root / "etc").exists()

    answer = await bot.say(chat, admin, "What does a CISO own?")
    assert "Jane Doe" in answer["text"] and "security program" in answer["text"]
    assert "📄 CISO brief" in buttons(await bot.say(chat, admin, "/start"))
    assert "brief_ciso" in {c["command"] for c in emu.commands}
    admin_menu = {c["command"] for c in emu.all_commands[(f"chat:{ADMIN_ID}", "")]}
    assert {"brief_ciso", "ingest", "ingest_url", "remove", "stats"} <= admin_menu

    again = (await bot.reply(chat, upload))[0]
    assert "already in the knowledge base" in again["text"]

    removed = await bot.say(chat, admin, f"/remove {name}")
    assert removed["text"].startswith(f"Removed {name}") and "1 removed" in removed["text"]
    assert not (world.knowledge / name).exists()
    assert not [p for p in world.knowledge.iterdir() if p.name.startswith(".")]
    assert "Usage" in (await bot.say(chat, admin, "/remove ../config.yaml"))["text"]
    assert "CISO" not in world.advisor.roles()


async def test_hostile_file_names_stay_inside_the_knowledge_folder(bot: Running, world: World) -> None:
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    outside_before = [f for f in world.files() if not f.startswith("knowledge/")]
    saved: list[str] = []
    for i, name in enumerate(HOSTILE_NAMES[1:]):
        body = _md(f"# Note {i}\n\nA CTO candidate note number {i} about infrastructure leadership.\n")
        reply = (await bot.reply(chat, lambda n=name, b=body: emu.send_document(chat, admin, n, b, "text/plain")))[0]
        match = re.search(r"Added as (\S+)\.", reply["text"])
        assert match, reply["text"]
        saved.append(match.group(1))
    assert all(SAFE_NAME.match(s) and len(s) <= 80 for s in saved), saved
    assert {p.name for p in world.knowledge.iterdir()} >= set(saved)
    assert [f for f in world.files() if not f.startswith("knowledge/")] == outside_before
    for s in saved:
        (world.knowledge / s).unlink()
    done = await bot.say(chat, admin, "/ingest")
    assert f"{len(saved)} removed" in done["text"]
    assert "Nothing changed" in (await bot.say(chat, admin, "/ingest"))["text"]


async def test_a_bad_upload_is_refused_and_nothing_changes(bot: Running, world: World) -> None:
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    files, live = world.files(), world.live()
    pdf = (
        await bot.reply(
            chat, lambda: emu.send_document(chat, admin, "report.pdf", b"%PDF-1.7\n%%garbage", "application/pdf")
        )
    )[0]
    assert pdf["text"].startswith("Not added: ") and "\n" not in pdf["text"]
    exe = (await bot.reply(chat, lambda: emu.send_document(chat, admin, "tool.exe", b"MZ\x90\x00", None)))[0]
    assert "unsupported format" in exe["text"]
    empty_md = (
        await bot.reply(
            chat, lambda: emu.send_document(chat, admin, "x.md", b"caf\xe9 \x80\x81 not UTF-8", "text/markdown")
        )
    )[0]
    assert empty_md["text"].startswith("Not added: ")
    assert world.files() == files and world.live() == live


async def test_non_admins_are_refused_and_nothing_changes(bot: Running, world: World) -> None:
    emu = bot.emu
    bob = emu.user(first_name="Bob")
    chat = emu.private_chat(bob)
    files, live = world.files(), world.live()
    upload = (
        await bot.reply(chat, lambda: emu.send_document(chat, bob, "evil.md", _md(CISO_ARTICLE), "text/markdown"))
    )[0]
    replies = [upload["text"]]
    for command in ("/ingest", "/ingest_url http://127.0.0.1:1/x", "/remove cto-role-bonnie-siegel.md", "/stats"):
        replies.append((await bot.say(chat, bob, command))["text"])
    assert all(r == "Sorry, only administrators can do that." for r in replies), replies
    assert world.files() == files and world.live() == live
    assert (world.knowledge / "cto-role-bonnie-siegel.md").is_file()


async def test_ingest_url_busy_lock_and_refused_metadata_address(world: World, tmp_path: Path) -> None:
    page = (
        "<html><head><title>Hiring a CNIO</title><meta name='author' content='Pat Lee'></head><body><main>"
        "<h1>Hiring a CNIO</h1><p>The chief nursing information officer (CNIO) connects nursing practice and "
        "clinical informatics, and owns nursing documentation and workflow.</p></main></body></html>"
    )

    async def serve(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    site = web.Application()
    site.router.add_get("/cnio-article", serve)
    runner, port = await start_local(site)
    url = f"http://127.0.0.1:{port}/cnio-article"
    try:
        async with running(world, tmp_path / "s.sqlite3", url_allow_loopback=True) as bot:
            emu = bot.emu
            admin = emu.user(id=ADMIN_ID, first_name="Admin")
            chat = emu.private_chat(admin)
            live = world.live()
            meta = await bot.say(chat, admin, "/ingest_url http://169.254.169.254/latest/meta-data/")
            assert meta["text"].startswith("Not added: refused") and "link-local" in meta["text"]
            with writer_lock(world.settings):
                busy = await bot.say(chat, admin, "/ingest")
            assert busy["text"] == "Another ingest is running, try again shortly."
            with writer_lock(world.settings):
                busy_url = await bot.say(chat, admin, f"/ingest_url {url}")
            assert busy_url["text"] == "Another ingest is running, try again shortly."
            assert world.live() == live and not [p for p in world.knowledge.iterdir() if "cnio" in p.name]

            added = await bot.say(chat, admin, f"/ingest_url {url}")
            match = re.search(r"Added as (\S+)\.", added["text"])
            assert match and SAFE_NAME.match(match.group(1)) and match.group(1).endswith(".html"), added["text"]
            answer = await bot.say(chat, admin, "What does a CNIO own?")
            assert "nursing documentation" in answer["text"]
            removed = await bot.say(chat, admin, f"/remove {match.group(1)}")
            assert "1 removed" in removed["text"]
    finally:
        await runner.cleanup()


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
    emu = BotApiEmulator(token=TOKEN, bot_username=BOT_NAME)
    await emu.start()
    try:
        alice = emu.user(first_name="Alice")
        chat = emu.private_chat(alice)
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            assert "Bonnie Siegel" in (await bot.say(chat, alice, CTO_Q))["text"]
        async with running(world, tmp_path / "state.sqlite3", emu=emu) as bot:
            follow = await bot.say(chat, alice, "and for CMIOs?")
            assert "Hillary Ross" in follow["text"] and "Bonnie Siegel" not in follow["text"]
    finally:
        await emu.stop()


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


async def test_forget_me_deletes_everything_about_the_user(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    chat = emu.private_chat(alice)
    answer = await bot.say(chat, alice, CTO_Q)
    await bot.say(chat, alice, "Which stocks should I buy?")
    emu.press_button(chat, alice, answer, "fb:-")
    await emu.wait_for(lambda: len(emu.callback_answers) == 1, timeout=WAIT_S)
    assert bot.state.stats().feedback_down == 1
    done = await bot.say(chat, alice, "/forget_me")
    assert re.search(r"deleted everything I stored about you \(4 records\)", done["text"]), done["text"]
    stats = bot.state.stats()
    assert bot.state.history(chat["id"], None) == [] and stats.gaps == [] and stats.feedback_down == 0


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

        app = await _start_webhook(settings, world, hook)
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


async def _start_webhook(settings: Any, world: World, hook: tg_app.WebhookConfig) -> tg_app.TelegramApp:
    app = tg_app.build_application(settings, world.advisor, TOKEN)
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
        allowed_updates=tg_app.ALLOWED_UPDATES,
    )
    return app


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


# ------------------------------------------------------------------------------------------ logs (keep last)


def test_zz_logs_of_the_whole_run_never_contain_the_token(logs: LogCapture) -> None:
    assert logs.lines, "the e2e tests above should have logged"
    assert logs.text.count(TOKEN) == 0 and logs.text.count(SECRET_HALF) == 0
    assert "[REDACTED]" in logs.text  # the token was in records (request URLs) and got scrubbed
    said = ["What should I look for", "confidential", "CISO own", "weather", "stocks"]
    for line_ in logs.lines:
        if not line_.startswith("DEBUG"):
            assert not any(text in line_ for text in said), line_  # message text is logged at DEBUG only
