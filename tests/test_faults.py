"""Faults at rest: a damaged, missing or unreadable file, a full disk, or leftover copies never take the
bot down, lose nothing intact, and `python -m ingest --repair` brings answers back.

The matrix is every fault of tests/faults.FAULTS on every part of tests/faults.parts (36 cells), plus
a full disk and leftover copies. `make test` runs one cell per part (QUICK); `make stress` runs all.
Each cell runs the same journeys with real processes: a user's question, the bot's state start-up, an
admin's ingest, `--repair`, and `list`.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer.advisor import Advisor
from bot.telegram.state import StateStore
from ingest.embedding.factory import Embedder
from ingest.errors import StoreUnavailableError
from ingest.pipeline import Ingestor
from ingest.store.embedded import MEMORY_DIR
from ingest.store.index import KnowledgeIndex
from ingest.store.server import ServerBackend
from tests.conftest import MakeSettings
from tests.faults import (
    ARTICLE,
    FAULTS,
    QUESTION,
    SEEDED_TURN,
    Run,
    World,
    build_world,
    copy_world,
    hit,
    restore_permissions,
)
from tests.telegram_harness import ADMIN_ID, make_world, running

pytestmark = pytest.mark.timeout(600)
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ ")

PARTS = [
    "live version files",
    "older version files",
    "live manifest",
    "older manifest",
    "LIVE pointer",
    "embedding cache",
    "state DB",
    "writer lock",
    "article file",
]
QUICK = {
    ("live version files", "random bytes"),
    ("live manifest", "truncate"),
    ("LIVE pointer", "delete"),
    ("embedding cache", "random bytes"),
    ("state DB", "random bytes"),
    ("writer lock", "no read permission"),
    ("article file", "no read permission"),
}
"""One cell per kind of part for `make test` (each cell is ~8 real processes); `make stress` runs all."""
DAMAGES_VERSION = {
    "live version files": "v000002",
    "live manifest": "v000002",
    "older version files": "v000001",
    "older manifest": "v000001",
}
NAMED = {**{part: f"version {v}" for part, v in DAMAGES_VERSION.items()}, "LIVE pointer": "live pointer"}
NAMED["embedding cache"] = "embedding cache"
CELLS = [
    pytest.param(part, fault, marks=() if (part, fault) in QUICK else pytest.mark.stress, id=f"{part}-{fault}")
    for part in PARTS
    for fault in FAULTS
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> World:
    """Two complete versions (v000002 live), the embedding cache, and a state DB with one turn."""
    world = build_world(tmp_path_factory.mktemp("pristine") / "world")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIRING_ADVISOR_DATA_DIR", str(world.data))
        settings = world.settings
        assert Ingestor(settings, embedder).run().status == "activated"
        assert Ingestor(settings, embedder).run(rebuild=True).status == "activated"
    with StateStore(settings.state.path, settings.state.retention_days, settings.state.max_turns) as state:
        state.add_turn(1, None, 42, SEEDED_TURN)
    assert world.intact_versions() == {"v000001", "v000002"}
    return world


def clean(run: Run, world: World) -> None:
    """No traceback, and no internal path in what a user or an admin reads."""
    assert "Traceback" not in run.text, run.text
    assert str(world.root) not in run.out, run.out


def error_line(run: Run) -> str:
    """The one line a refused command says (log lines aside, which an admin may turn off)."""
    said = [line for line in run.err.splitlines() if line and not LOG_LINE.match(line)]
    assert len(said) == 1 and said[0].startswith("error: "), run.err
    return said[0]


def answers(world: World) -> None:
    asked = world.ask()
    clean(asked, world)
    assert str(world.root) not in asked.err, asked.err
    assert asked.code == 0, asked.text
    reply = asked.json()
    assert reply["in_scope"] and reply["sources"], reply


def articles(world: World) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(world.kb.iterdir()) if p.is_file() and os.access(p, os.R_OK)}


@pytest.mark.parametrize(("part", "fault"), CELLS)
def test_fault_at_rest(pristine: World, tmp_path: Path, part: str, fault: str) -> None:
    world = copy_world(pristine, tmp_path / "world")
    before = articles(world)
    hit(world, part, fault)
    expect_intact = {"v000001", "v000002"} - {DAMAGES_VERSION.get(part, "")}
    try:
        # A user's question: answered from the live version, or the newest intact one.
        answers(world)

        # `list` names the damaged part (deleting an older manifest only leaves an incomplete folder).
        listed = world.run("-m", "ingest", "list", "--json", "--config")
        clean(listed, world)
        named = NAMED.get(part)
        if named is not None and not (fault == "delete" and part in ("older manifest", "embedding cache")):
            assert listed.code == 1 and any(named in d for d in listed.json()["damaged"]), listed.text

        # The bot's start-up opens the state: a damaged one is set aside and admins are told.
        state = world.open_state()
        clean(state, world)
        assert state.code == 0, state.text
        remembered = state.json()
        if part == "state DB" and fault != "delete":
            assert remembered["recovered"] and "lost" in remembered["recovered"], remembered
            assert list(world.settings.state.path.parent.glob("state.sqlite3.damaged-*")), "not moved aside"
        elif part != "state DB":
            assert remembered == {"recovered": None, "history": [SEEDED_TURN]}, remembered

        # An admin's ingest: a clear outcome, never a traceback (answers after it: checked after the repair).
        ingested = world.ingest()
        clean(ingested, world)
        assert ingested.code in (0, 1, 4, 5), ingested.text
        if ingested.code in (4, 5):
            assert error_line(ingested), ingested.err

        # Nothing intact is lost: the other versions, the other articles.
        assert expect_intact <= world.intact_versions()
        after = articles(world)
        assert {k: v for k, v in after.items() if k != ARTICLE} == {k: v for k, v in before.items() if k != ARTICLE}
    finally:
        if part == "writer lock" and fault == "no read permission":
            pass  # the admin's fix for a lock they made unreadable is chmod; the repair must say so
        else:
            restore_permissions(world.root)

    repaired = world.ingest("--repair")
    clean(repaired, world)
    if part == "writer lock" and fault == "no read permission":
        assert repaired.code == 5 and "writer lock" in repaired.err, repaired.text
        restore_permissions(world.root)
        repaired = world.ingest("--repair")
    assert repaired.code in (0, 1), repaired.text  # 1: an article that cannot be read is reported
    answers(world)
    listed = world.run("-m", "ingest", "list", "--json", "--config")
    assert listed.code == 0, listed.text  # nothing damaged is left


@contextlib.contextmanager
def small_disk(where: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of `size_kb` mounted for the test: a real full disk, which only root may make."""
    where.mkdir(parents=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(where)], check=False)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root); the full-disk cell needs a real full disk")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@contextlib.contextmanager
def data_on_small_disk(world: World, tmp_path: Path) -> Iterator[Path]:
    """The world's data moved onto a small tmpfs (2 MB more than it holds), the data path a link to it."""
    used_kb = sum(p.stat().st_size for p in world.data.rglob("*") if p.is_file()) // 1024
    with small_disk(tmp_path / "disk", used_kb + 2048) as disk:
        shutil.move(str(world.data), str(disk / "data"))
        world.data.symlink_to(disk / "data")
        yield disk


def fill(disk: Path, leave_kb: int) -> Path:
    """Fill the disk, leaving about `leave_kb` free."""
    filler = disk / "filler"
    free = shutil.disk_usage(disk).free - leave_kb * 1024
    with open(filler, "wb") as fh, contextlib.suppress(OSError):
        fh.write(b"\0" * max(free, 0))
    return filler


def test_full_disk(pristine: World, tmp_path: Path) -> None:
    """Answering goes on, an ingest refuses with exit 5 and one line, the live version serves on."""
    world = copy_world(pristine, tmp_path / "world")
    with data_on_small_disk(world, tmp_path) as disk:
        (world.kb / "new.md").write_text("---\ntitle: New\nroles: [CTO]\n---\nA new CTO article body.\n")
        for leave_kb in (0, 600):  # 0: the cache write fails; 600: the free-space check refuses
            filler = fill(disk, leave_kb)
            answers(world)
            state = world.open_state()  # the bot starts, and remembers in memory if it must
            clean(state, world)
            assert state.code == 0, state.text
            ingested = world.ingest()
            clean(ingested, world)
            assert ingested.code == 5, ingested.text
            assert "no space left on device" in error_line(ingested), ingested.err
            assert world.intact_versions() == {"v000001", "v000002"}
            assert (world.store / "LIVE").read_text().strip() == "v000002"
            assert sorted(p.name for p in (world.store / "versions").iterdir()) == ["v000001", "v000002"]
            answers(world)
            filler.unlink()
        repaired = world.ingest("--repair")
        assert repaired.code == 0, repaired.text
        answers(world)
        assert not list((world.store / ".readers").glob("*/*")), "a reader copy was left behind"


def test_a_copy_that_fits_with_no_room_left_for_chroma(
    pristine: World, tmp_path: Path, embedder: Embedder, caplog: pytest.LogCaptureFixture
) -> None:
    """The reader's copy of the live version fits on the disk, but Chroma's own writes as it opens the copy
    do not: the copy is made again in memory and answers go on; the version is not called damaged, and no
    Chroma error escapes. The room left is stepped across the copy's size, so one step lands in between."""
    world = copy_world(pristine, tmp_path / "world")
    live = world.version((world.store / "LIVE").read_text().strip())
    copy_kb = sum(p.stat().st_size for p in live.rglob("*") if p.is_file()) // 1024
    with data_on_small_disk(world, tmp_path) as disk:
        for leave_kb in range(copy_kb - 4, copy_kb + 48, 2):
            filler = fill(disk, leave_kb)
            index = KnowledgeIndex(world.settings, embedder)
            try:
                assert index.search("What does a CTO do?", 3), leave_kb
                assert index.damage is None, (leave_kb, index.damage)
            finally:
                index.close()
                filler.unlink()
    assert "no space left for Chroma to open the reader copy" in caplog.text, "no step landed in the gap"
    assert not list((world.store / ".readers").glob("*/*")), "a reader copy was left behind"


def test_leftover_copies_go(pristine: World, tmp_path: Path) -> None:
    """Copies of dead processes go at the next open; a process's own copy goes when it ends."""
    world = copy_world(pristine, tmp_path / "world")
    dead = subprocess.Popen(["true"])
    dead.wait()
    leftovers = [world.store / ".readers" / str(dead.pid) / "v000002.1"]
    if MEMORY_DIR.is_dir():
        leftovers.append(MEMORY_DIR / f"hiring-advisor-readers-{os.getuid()}" / str(dead.pid) / "v000002.1")
    for copy in leftovers:
        shutil.copytree(world.version("v000002"), copy)
    debris = world.version("v000007")  # a version folder an interrupted writer left, with no manifest
    shutil.copytree(world.version("v000002"), debris)
    (debris / "VERSION.json").unlink()
    for _ in range(3):
        answers(world)
    assert not any(c.exists() for c in leftovers)
    assert not list((world.store / ".readers").glob("*/*")), "a reader copy was left behind"
    repaired = world.ingest("--repair")
    assert repaired.code == 0, repaired.text
    assert not debris.exists()
    answers(world)


@pytest.mark.stress
def test_no_reader_copy_after_100_asks(pristine: World, tmp_path: Path) -> None:
    world = copy_world(pristine, tmp_path / "world")
    for _ in range(100):
        assert world.ask().code == 0
    left = list((world.store / ".readers").glob("*/*"))
    print(f"reader copies left after 100 asks: {len(left)}")
    assert not left


def test_server_mode_damaged_or_gone_live_collection(make_settings: MakeSettings, embedder: Embedder) -> None:
    """A real `chroma run`: the live version's collection loses records, then is deleted. Readers serve
    the newest intact version; with none left, "temporarily unavailable"; `--repair` rebuilds."""
    settings = make_settings("server", gate={"enabled": False})
    assert Ingestor(settings, embedder).run().status == "activated"
    assert Ingestor(settings, embedder).run(rebuild=True).status == "activated"
    backend = ServerBackend(settings)
    try:
        live = backend.live_name()
        assert live == "v000002"
        collection = backend.client.get_collection(backend._collection_name(live))
        collection.delete(ids=collection.get(limit=2)["ids"])  # damaged: fewer records than its manifest
        index = KnowledgeIndex(settings, embedder)
        advisor = Advisor(settings, index)
        assert advisor.ask_sync(QUESTION).in_scope
        health = advisor.health()
        assert health.serving == "v000001" and health.damage and "v000002" in health.damage
        index.close()

        backend.client.delete_collection(backend._collection_name("v000001"))
        lonely = Advisor(settings, KnowledgeIndex(settings, embedder))
        with pytest.raises(StoreUnavailableError, match="no intact kept version"):
            lonely.ask_sync(QUESTION)
        lonely.index.close()

        repaired = Ingestor(settings, embedder).repair()
        assert sorted(repaired.dropped) == ["v000001", "v000002"], repaired.summary()
        assert repaired.ingest is not None and repaired.ingest.status == "activated"
        fresh = Advisor(settings, KnowledgeIndex(settings, embedder))
        assert fresh.ask_sync(QUESTION).in_scope and fresh.health().damage is None
        fresh.index.close()
    finally:
        backend.close()


async def test_chat_admin_sees_damage_and_repairs(tmp_path: Path, embedder: Embedder) -> None:
    """Through the real PTB Application and the Bot API emulator: a damaged live version and a damaged
    state file never stop answers; /stats names both; `/ingest repair` rebuilds."""
    world = make_world(tmp_path / "world", embedder)
    assert Ingestor(world.settings, embedder).run(rebuild=True).status == "activated"
    live = world.settings.store.path / "versions" / "v000002"
    for data_file in (p for p in live.rglob("*.bin") if p.stat().st_size):
        data_file.write_bytes(os.urandom(data_file.stat().st_size))  # undetectable by Chroma itself
    state_path = tmp_path / "state.sqlite3"
    state_path.write_bytes(os.urandom(8192))
    advisor = Advisor(world.settings, KnowledgeIndex(world.settings, embedder))  # a bot started after the damage
    try:
        async with running(world, state_path, advisor=advisor) as bot:
            admin = bot.emu.user(id=ADMIN_ID, first_name="Admin")
            chat = bot.emu.private_chat(admin)
            answer = await bot.say(chat, admin, QUESTION)
            assert "Siegel" in answer["text"]
            stats = (await bot.say(chat, admin, "/stats"))["text"]
            assert "answering from: v000001" in stats and "version v000002 is damaged" in stats, stats
            assert "/ingest repair" in stats and "state file was damaged" in stats and "lost" in stats
            repaired = (await bot.say(chat, admin, "/ingest repair"))["text"]
            assert "Dropped damaged version v000002." in repaired and "is live" in repaired, repaired
            stats = (await bot.say(chat, admin, "/stats"))["text"]
            assert "answering from: v000003" in stats and "is damaged" not in stats, stats
    finally:
        advisor.index.close()
    assert list(tmp_path.glob("state.sqlite3.damaged-*"))
