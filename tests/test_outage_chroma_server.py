"""The Chroma server going away while the bot serves, and coming back.

A real `chroma run` of this module's own (tests/outage_fixtures.py) is killed (SIGKILL), stopped (SIGTERM)
or hung (SIGSTOP) under a running bot, then started again on the same port and data path. Users get
"temporarily unavailable" within seconds, in Telegram (the real PTB Application against the emulator), in
the console chat and from `python -m bot ask` (exit code 5); answers resume with no restart of anything but
the server; conversation memory survives; the live-version refresh neither crashes nor switches to a wrong
version; a stale collection handle is looked up again; an ingest during the outage fails cleanly (exit 5)
and loses nothing.

Figures (wait for the unavailable reply, time for answers to resume) are printed: run with `-s`.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import cli as bot_cli
from bot.answer.advisor import UNAVAILABLE, Advisor
from ingest import cli as ingest_cli
from ingest.embedding.factory import Embedder
from ingest.errors import StoreUnavailableError
from ingest.pipeline import Ingestor
from ingest.store.index import FAIL_FAST_S, KnowledgeIndex
from ingest.store.server import READ_TIMEOUT_S, ServerBackend
from tests.conftest import ChromaServer
from tests.outage_fixtures import CTO_Q, server_fixture, up_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import ADMIN_ID, Running, World, running

pytestmark = pytest.mark.timeout(240)

OUTAGE_Q = "Which leadership qualities matter most in a health-system CTO candidate?"
"""Asked only while the store is down: it must not reach the logs at INFO or above."""
FOLLOW_UP = "and for CMIOs?"
UNAVAILABLE_WITHIN_S = 5.0
"""A killed or stopped server refuses connections at once; store.READ_TIMEOUT_S bounds a hung one."""


def take_down(server: ChromaServer, how: str) -> None:
    """SIGKILL (no chance to flush or close) or a clean stop (SIGTERM), waiting until the process is gone."""
    assert server.proc is not None
    if how == "kill":
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
        server.proc = None
    else:
        server.stop()


def bring_up(server: ChromaServer) -> float:
    """Start `chroma run` again (same path, same port); seconds until it answers its heartbeat."""
    started = time.monotonic()
    server.start()
    return time.monotonic() - started


def report(what: str, seconds: float) -> None:
    """A figure for the issue note; to the real stderr, so a test's capsys does not swallow it (shown with -s)."""
    print(f"[outage] {what}: {seconds:.3f} s", file=sys.__stderr__, flush=True)


def is_answer(text: str) -> bool:
    return "Sources" in text and UNAVAILABLE not in text


class Records(logging.Handler):
    """Every record at INFO and above, to check what an outage logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in self.records]


@pytest.fixture
def info_logs() -> Iterator[Records]:
    handler = Records()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


# ------------------------------------------------------------------------------------------ Telegram


async def _upload_is_refused_in_words(bot: Running, world: World) -> None:
    """An admin's upload while the store is down is refused in words, and leaves no file behind."""
    admin = bot.emu.user(id=ADMIN_ID, first_name="Admin")
    admin_chat = bot.emu.private_chat(admin)
    listing = sorted(p.name for p in world.knowledge.iterdir())
    article = b"---\ntitle: Outage upload\n---\n\nThe CTO owns the platform roadmap and its budget.\n"
    send = lambda: bot.emu.send_document(admin_chat, admin, "outage.md", article, "text/markdown")  # noqa: E731
    refused = (await bot.reply(admin_chat, send))[0]["text"]
    assert refused.startswith("Not added: ") and UNAVAILABLE in refused, refused
    assert sorted(p.name for p in world.knowledge.iterdir()) == listing


async def test_telegram_users_hear_unavailable_and_answers_resume_without_restart(
    world: World, up: ChromaServer, embedder: Embedder, tmp_path: Path, info_logs: Records
) -> None:
    # The bot even starts during an outage (its warm-up fails and is logged), on an index that has
    # never reached the server.
    take_down(up, "kill")
    advisor = Advisor(world.settings, KnowledgeIndex(world.settings, embedder))
    async with running(world, tmp_path / "state.sqlite3", advisor=advisor) as bot:
        app = bot.app
        # The command menu is published anyway, without the role shortcuts it cannot know yet.
        assert {c["command"] for c in bot.emu.commands} >= {"start", "help"}
        alice = bot.emu.user(first_name="Alice")
        chat_ = bot.emu.private_chat(alice)
        cycles = ["start", "kill", "stop"]
        for how in cycles:
            if how != "start":
                take_down(up, how)
            for attempt in (1, 2):  # the second also runs into the live-version refresh (store.refresh_seconds)
                started = time.monotonic()
                down = await bot.say(chat_, alice, OUTAGE_Q)
                waited = time.monotonic() - started
                report(f"telegram, server down ({how}), question {attempt}: unavailable reply after", waited)
                assert down["text"] == UNAVAILABLE
                assert waited < UNAVAILABLE_WITHIN_S
                if attempt == 1:
                    await asyncio.sleep(world.settings.store.refresh_seconds)
            if how == "kill":
                await _upload_is_refused_in_words(bot, world)
            report(f"chroma run ready again ({how})", bring_up(up))
            started = time.monotonic()
            back = await bot.say(chat_, alice, CTO_Q)
            report(f"telegram, server back ({how}): first answer after", time.monotonic() - started)
            assert is_answer(back["text"]), back["text"]
            if how == "start":  # the menu published during the outage gets its role shortcuts now
                briefs = lambda: {"brief_cto", "brief_cmio"} <= {c["command"] for c in bot.emu.commands}  # noqa: E731
                await bot.emu.wait_for(briefs, timeout=10)

        # Same Application throughout, and the conversation survived the outages: the follow-up is
        # resolved from the turns before them.
        assert bot.app is app
        follow = await bot.say(chat_, alice, FOLLOW_UP)
        assert is_answer(follow["text"]) and "CMIO" in follow["text"], follow["text"]
        history = bot.state.history(chat_["id"], None)
        assert history == [CTO_Q] * len(cycles) + [FOLLOW_UP]  # a question not answered is not remembered
    advisor.index.close()

    logged = info_logs.messages()
    assert not [m for m in logged if OUTAGE_Q in m], "the question text reached the logs at INFO or above"
    outage = [m for m in logged if "knowledge store unavailable" in m]
    assert len(outage) == 2 * len(cycles), outage
    assert len([m for m in logged if "knowledge change not made, the store is unavailable" in m]) == 1
    assert all(m.startswith("WARNING") and "not reachable (ConnectError)" in m for m in outage), outage
    assert any("knowledge base not ready at start-up" in m for m in logged)


@pytest.mark.stress
@pytest.mark.timeout(600)
async def test_stress_outages_under_concurrent_users(world: World, up: ChromaServer, tmp_path: Path) -> None:
    """Kill, stop and hang (SIGSTOP) the server again and again while several users ask at once: every
    question gets exactly one reply, an answer or UNAVAILABLE (never "something went wrong"), within
    about the read timeout when hung, even for users queued behind the bot's CPU slots (the index's
    fail-fast window); after every restart everyone gets answers again, from the same bot."""
    users = 4
    cycles = ["kill", "stop", "hang", "kill", "stop", "hang", "kill", "stop"]
    waits: dict[str, list[float]] = {"kill": [], "stop": [], "hang": [], "resume": []}
    async with running(world, tmp_path / "state.sqlite3", rate_limit_per_minute=1000) as bot:
        people = [bot.emu.user(first_name=f"U{i}") for i in range(users)]
        chats = [bot.emu.private_chat(u) for u in people]

        async def everyone(question: str) -> list[tuple[str, float]]:
            """All users ask at once; each one's reply and how long they waited for it."""

            async def one(chat_: dict[str, Any], user: dict[str, Any]) -> tuple[str, float]:
                started = time.monotonic()
                reply = await bot.say(chat_, user, question)
                return reply["text"], time.monotonic() - started

            return list(await asyncio.gather(*(one(c, u) for c, u in zip(chats, people, strict=True))))

        assert all(is_answer(text) for text, _ in await everyone(CTO_Q))
        for how in cycles:
            assert up.proc is not None
            if how == "hang":
                up.proc.send_signal(signal.SIGSTOP)
            else:
                take_down(up, how)
            # Between rounds: the live-version lookup is due again, and a hung server's fail-fast window is over.
            pause = max(world.settings.store.refresh_seconds, FAIL_FAST_S if how == "hang" else 0.0)
            try:
                for _ in range(2):
                    got = await everyone(OUTAGE_Q)
                    assert [text for text, _ in got] == [UNAVAILABLE] * users, got
                    waits[how] += [w for _, w in got]
                    await asyncio.sleep(pause)
            finally:
                if how == "hang":
                    up.proc.send_signal(signal.SIGCONT)
            if how != "hang":
                bring_up(up)
            started = time.monotonic()
            got = await everyone(CTO_Q)  # the first round after a restart (or the window): answers already
            assert all(is_answer(text) for text, _ in got), got
            waits["resume"].append(time.monotonic() - started)
        # Every question got exactly one reply, and the bot never said "something went wrong".
        for chat_ in chats:
            texts = [m["text"] for m in bot.emu.sent(chat_)]
            assert len(texts) == 1 + len(cycles) * 3
            assert not [t for t in texts if "something went wrong" in t]
    for what, values in waits.items():
        report(f"stress, {what}: max wait over {len(values)} replies", max(values))
    assert max(waits["kill"] + waits["stop"]) < UNAVAILABLE_WITHIN_S
    assert max(waits["hang"]) < READ_TIMEOUT_S + 3.0


# ------------------------------------------------------------------------------------------ console and CLI


def scripted(steps: list[str | Callable[[], None]], out: io.StringIO) -> Callable[[str], str]:
    """A console user: strings are typed lines, callables happen between them (the server dies...)."""
    queue = list(steps)

    def read(prompt: str) -> str:
        while queue and callable(queue[0]):
            action = queue.pop(0)
            assert callable(action)
            action()
        if not queue:
            raise EOFError
        line = queue.pop(0)
        assert isinstance(line, str)
        out.write(f"{prompt}{line}\n")
        return line

    return read


def test_console_chat_and_ask_cli_report_unavailable(
    world: World, up: ChromaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    def ask_cli() -> None:
        """`python -m bot ask` (its main, as `raise SystemExit(main())` runs it) while the server is down."""
        capsys.readouterr()
        started = time.monotonic()
        code = bot_cli.main(["ask", OUTAGE_Q, "--config", str(world.root / "config.yaml")], out=sys.stdout)
        printed = capsys.readouterr()
        report("python -m bot ask, server down: exit after", time.monotonic() - started)
        assert code == 5 and printed.out == ""
        assert printed.err.splitlines() == [
            "error: the knowledge base is temporarily unavailable: the Chroma server at "
            f"127.0.0.1:{up.port} is not reachable (ConnectError)"
        ]
        # --jsonl: every line gets its own error object and the batch goes on; the exit code says so.
        lines = io.StringIO("".join(json.dumps({"question": q}) + "\n" for q in (OUTAGE_Q, CTO_Q)))
        config = str(world.root / "config.yaml")
        code = bot_cli.main(["ask", "--jsonl", "--config", config], stdin=lines, out=sys.stdout)
        rows = [json.loads(row) for row in capsys.readouterr().out.splitlines()]
        assert code == 5 and [r["error"] for r in rows] == [f"line {n}: {UNAVAILABLE}" for n in (1, 2)]

    out = io.StringIO()
    steps: list[str | Callable[[], None]] = [
        CTO_Q,
        lambda: take_down(up, "kill"),
        OUTAGE_Q,
        "/brief CMIO",
        ask_cli,
        lambda: report("chroma run ready again", bring_up(up)),
        FOLLOW_UP,
        "/quit",
    ]
    assert bot_cli.chat(world.advisor, read=scripted(steps, out), out=out) == 0
    replies = out.getvalue().split("you> ")[1:]
    assert is_answer(replies[0])
    assert UNAVAILABLE in replies[1] and UNAVAILABLE in replies[2]  # a question and a brief; the chat stays open
    assert is_answer(replies[3]) and "CMIO" in replies[3]  # the follow-up still knows the first question


# ------------------------------------------------------------------------------------------ refresh and ingest


def test_refresh_and_ingest_survive_the_outage(
    world: World, up: ChromaServer, embedder: Embedder, capsys: pytest.CaptureFixture[str]
) -> None:
    fast = world.settings.model_copy(
        update={"store": world.settings.store.model_copy(update={"refresh_seconds": 0.0})}
    )  # look for a new live version on every call
    slow_store = world.settings.store.model_copy(update={"refresh_seconds": 3600.0})
    index = KnowledgeIndex(fast, embedder, read_timeout_s=1.0)
    before = index.version().name
    assert index.search(CTO_Q, 3)

    # Hung (accepts connections, never answers): bounded by the read timeout, not forever; then the
    # calls right after fail at once (FAIL_FAST_S) rather than each waiting out a timeout again.
    assert up.proc is not None
    up.proc.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="ReadTimeout"):
            index.search(CTO_Q, 3)
        report("reader, server hung (SIGSTOP), read timeout 1 s: error after", time.monotonic() - started)
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="ReadTimeout"):
            index.search(CTO_Q, 3)
        report("reader, server hung, the next call: error after", time.monotonic() - started)
        assert time.monotonic() - started < 1.0, "failed fast, without waiting out the 1 s read timeout again"
    finally:
        up.proc.send_signal(signal.SIGCONT)
    time.sleep(FAIL_FAST_S)
    assert index.version().name == before

    take_down(up, "kill")
    for _ in range(3):
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="not reachable"):
            index.version()
        assert time.monotonic() - started < 2.0
    with pytest.raises(StoreUnavailableError):
        index.search(CTO_Q, 3)
    # An ingest now: a clean error and exit code 5, the lock released, nothing changed.
    with pytest.raises(StoreUnavailableError, match="not reachable"):
        Ingestor(world.settings, embedder).run(rebuild=True)
    capsys.readouterr()
    assert ingest_cli.main(["--rebuild", "--no-progress", "--config", str(world.root / "config.yaml")]) == 5
    assert capsys.readouterr().err.splitlines() == [
        f"error: the Chroma server at 127.0.0.1:{up.port} is not reachable (ConnectError)"
    ]

    bring_up(up)
    assert index.version().name == before  # the same version again, nothing switched meanwhile
    assert index.search(CTO_Q, 3)
    # A reader that checks the pointer rarely, serving `before` when it is dropped below it.
    rare = KnowledgeIndex(world.settings.model_copy(update={"store": slow_store}), embedder)
    assert rare.version().name == before
    # Nothing was lost or left locked: an ingest works, and the reader follows it with no restart.
    result = Ingestor(world.settings, embedder).run(rebuild=True)
    assert result.status == "activated" and result.version != before, result.summary()
    assert index.version().name == result.version
    assert index.search(CTO_Q, 3)

    # A stale handle (its collection gone from the server) is looked up again: the new live version.
    dropper = ServerBackend(world.settings)
    dropper.drop(before)
    dropper.close()
    assert rare.search(CTO_Q, 3) and rare.version().name == result.version
    rare.close()
    index.close()
