"""The admins' journeys end to end: uploads, /ingest, /ingest_url, /remove and /stats through the real
Application and the Bot API emulator, and everything a non-admin or a hostile file must not change."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import web

from ingest.store.versions import writer_lock
from tests.emulator import iter_entities
from tests.localweb import start_local
from tests.telegram_fixtures import bot_fixture, clean_logs_fixture, logs_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import (
    ADMIN_ID,
    HOSTILE_NAMES,
    SAFE_NAME,
    Running,
    World,
    buttons,
    running,
)

pytestmark = pytest.mark.timeout(120)

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


# ------------------------------------------------------------------------------------------ admin journeys


def _md(text: str) -> bytes:
    return text.encode("utf-8")


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
