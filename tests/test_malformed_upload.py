"""Malformed, hostile and weird-but-valid files (issue 6) through admin upload in Telegram (the real bot and
the emulator): a refused file gets a one-line "Not added: ..." naming the problem and changes nothing (the
live index, the folder, files outside it, temp dirs); an accepted one goes live clean. Also hostile names
and a planted link, through the bot.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.articles import safe_name
from tests import badfiles
from tests.badfiles import BadFile
from tests.malformed_checks import NOTE_BODY, assert_clean, assert_one_line, snapshot_index
from tests.malformed_fixtures import bot_fixture, files_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import ADMIN_ID, Running, World

pytestmark = pytest.mark.timeout(600)

MIME = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _outside_files(world: World) -> list[tuple[str, str]]:
    """Every file under the world's root except the knowledge folder and the store, with its content hash."""
    out = []
    for path in world.root.rglob("*"):
        rel = path.relative_to(world.root)
        if rel.parts[0] in ("knowledge", "store") or not path.is_file():
            continue
        out.append((rel.as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
    return sorted(out)


def _upload_temp_dirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("hiring-advisor-upload-*")}


async def upload_all(bot: Running, world: World, chosen: list[BadFile]) -> dict[str, Any]:
    """Send each file as the admin; check the reply and the live index after each one."""
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    outside, temps = _outside_files(world), _upload_temp_dirs()
    stats: dict[str, Any] = {"refused": 0, "accepted": 0, "seconds": 0.0}
    started = time.monotonic()
    for f in chosen:
        before = snapshot_index(world.advisor.index)
        listing = sorted(p.name for p in world.knowledge.iterdir())
        send = lambda f=f: emu.send_document(chat, admin, f.name, f.data, MIME[Path(f.name).suffix])  # noqa: E731
        reply = (await bot.reply(chat, send))[0]["text"]
        after = snapshot_index(world.advisor.index)
        if f.accept:
            stats["accepted"] += 1
            match = re.match(r"Added as (\S+)\.", reply)
            assert match and "is live" in reply, (f.name, reply)
            assert after.version != before.version
            assert after.restricted(set(listing)) == before.docs
            assert_clean(after, chosen)
        else:
            stats["refused"] += 1
            assert reply.startswith("Not added: "), (f.name, reply)
            reason = reply.removeprefix("Not added: ")
            assert_one_line(reason)
            assert re.search(f.reason, reason), (f.name, reason)
            assert (after.version, after.digest) == (before.version, before.digest), f.name
            assert sorted(p.name for p in world.knowledge.iterdir()) == listing, f.name
    stats["seconds"] = round(time.monotonic() - started, 1)
    assert _outside_files(world) == outside
    assert _upload_temp_dirs() <= temps
    return stats


async def test_representative_bad_uploads_are_refused_clearly(
    bot: Running, world: World, files: list[BadFile], record_property: Any
) -> None:
    """One or two refused files of every kind, and a few accepted ones, through the emulator."""
    chosen = badfiles.sample(files, per_kind=2, accepted=2)
    stats = await upload_all(bot, world, chosen)
    kinds = {f.kind for f in chosen}
    assert kinds >= {f.kind for f in files if f.data and not f.accept}, kinds  # every kind that has refusals
    assert len(chosen) >= 60, len(chosen)
    record_property("malformed_upload", stats)
    print(f"uploads: {len(chosen)} files, {len(kinds)} kinds: {stats}")


@pytest.mark.stress
@pytest.mark.timeout(3600)
async def test_every_bad_file_through_admin_upload(
    bot: Running, world: World, files: list[BadFile], record_property: Any
) -> None:
    """The long form: every generated file (empty ones aside: Telegram refuses them) via upload."""
    chosen = [f for f in files if f.data]
    stats = await upload_all(bot, world, chosen)
    record_property("malformed_upload_all", stats)
    print(f"uploads: {len(chosen)} files: {stats}")


async def test_hostile_names_and_a_planted_link_through_the_bot(bot: Running, world: World) -> None:
    """The same through the emulator: a name with a path and an RTL override, and a planted link."""
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    outside = _outside_files(world)
    escape = world.root / "escape-target.md"
    body = NOTE_BODY + b"planted\n"
    planted = world.knowledge / safe_name("x.md", body)
    planted.symlink_to(escape)  # dangling: store must not create escape-target.md through it
    try:
        reply = await bot.reply(chat, lambda: emu.send_document(chat, admin, "..\\../x.md", body, "text/markdown"))
        assert reply[0]["text"] == f"Not added: {planted.name} is already in the knowledge base", reply
        assert not escape.exists()
    finally:
        planted.unlink()
    name = "../../\u202eevil\x00" + "n" * 5000 + ".md"
    added = (await bot.reply(chat, lambda: emu.send_document(chat, admin, name, NOTE_BODY, "text/markdown")))[0]["text"]
    match = re.match(r"Added as (\S+)\.", added)
    assert match and re.fullmatch(r"evil-?n+-[0-9a-f]{8}\.md", match.group(1)) and len(match.group(1)) <= 80, added
    assert (world.knowledge / match.group(1)).is_file()
    assert _outside_files(world) == outside
