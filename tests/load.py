"""A load driver for the real Telegram bot: many private chats asking at once, through the emulator.

`run_chat_load` starts the Bot API emulator with simulated users in a child process
(tests/emulator/peer.py), then the production Application from `build_application` on this
process's event loop, exactly as `python -m bot run` configures it except for the Bot API URL, a
per-user rate limit high enough for the load, and a temporary state file; loggers are set to the
configured level as `setup_logging` does (the test session itself runs them at DEBUG). It measures:

- end-to-end latency per answer: the user's update created in the emulator -> the answer's last
  message stored there (both clocks in the emulator process);
- lost questions (no answer within ANSWER_TIMEOUT_S) and duplicates (see the peer's docstring);
- the longest stall of the bot's event loop (tests/loop_monitor.py): a monitor task sleeps TICK_S and
  records how late it wakes up (wall clock), and the most CPU time the loop thread spent between two
  wake-ups (its own work, without waits for the GIL or the OS). The emulator is in another process, so
  its work is in neither; other processes hogging the machine's CPUs do show in the wall-clock figure;
- RSS samples of this process (the bot's) while the load runs.

The questions it is usually given are in tests/load_questions.py.

Sends go through AIORateLimiter's 30 requests/s bound (Telegram's own limit, with a burst of 30),
and each answer is two such requests ("typing…" and the message): throughput tops out near
15 answers/s however fast the model is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.answer.advisor import Advisor
from bot.settings import Settings
from bot.telegram.app import ALLOWED_UPDATES, TelegramApp, build_application
from ingest.logs import setup_logging
from tests.emulator import FaultPlan
from tests.loop_monitor import LoopMonitor

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "5550007777:AAHloadTESTtoken-abcdefXYZ_9876"
BOT_NAME = "hiring_advisor_bot"
ANSWER_TIMEOUT_S = 120.0
"""A question without an answer after this long counts as lost (fault retries back off for ~20 s at most)."""
LOAD_RATE_LIMIT = 1_000_000
"""Per-user questions per minute during load: the per-user limit is not what is measured here."""
POLL_TIMEOUT_S = 10
"""`run_polling`'s default long-poll timeout, as in production."""


@dataclass
class LoadResult:
    """What one load run measured; times in milliseconds unless the name says otherwise."""

    chats: int
    questions: int
    answered: int
    lost: int
    duplicates: int
    seconds: float
    answers_per_s: float
    p50_ms: float
    p95_ms: float
    max_stall_ms: float
    rss_mb: list[float]  # RSS samples of this process during the run, may be empty
    max_stall_cpu_ms: float = 0.0
    """The longest stall counted in the loop thread's CPU time: the bot's own loop work, without the
    time it waited for the GIL or for the OS (on a busy machine, wall-clock stalls measure the machine)."""
    stalls_over_50ms: int = 0
    load_avg: float = 0.0
    """The machine's 1-minute load average at the end of the run (the bot's own threads included)."""
    other_messages: int = 0
    """Bot messages that are not answers (error notices, rate-limit notices, extra parts of long answers)."""
    faults_injected: dict[str, int] = field(default_factory=dict)
    """Injected faults per kind."""
    calls: dict[str, int] = field(default_factory=dict)
    """Bot API calls per method during the run (retries included)."""
    stall_culprits: list[str] = field(default_factory=list)
    """The loop thread's stacks sampled during stalls over 100 ms, most frequent first (what to fix)."""

    def summary(self) -> str:
        """One line for test output and reports."""
        rss = f"{min(self.rss_mb):.0f}-{max(self.rss_mb):.0f} MB" if self.rss_mb else "n/a"
        return (
            f"{self.chats} chats, {self.questions} questions: answered {self.answered}, lost {self.lost}, "
            f"duplicates {self.duplicates}, other messages {self.other_messages}; {self.seconds:.1f} s, "
            f"{self.answers_per_s:.1f} answers/s, p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, "
            f"max loop stall {self.max_stall_ms:.1f} ms (in loop CPU time {self.max_stall_cpu_ms:.1f} ms; "
            f"{self.stalls_over_50ms} stalls over 50 ms), RSS {rss}, load average {self.load_avg:.1f}"
            + (f", faults {self.faults_injected}" if self.faults_injected else "")
        )

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


class EmulatorPeer:
    """The emulator child process (tests/emulator/peer.py) and its line protocol."""

    def __init__(self, proc: asyncio.subprocess.Process, port: int) -> None:
        self.proc = proc
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls, token: str, bot_username: str) -> AsyncIterator[EmulatorPeer]:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.emulator.peer", "--token", token, "--bot-username", bot_username,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT, env=env,
            limit=2**26,  # the result line carries every latency
        )  # fmt: skip
        try:
            first = await cls._read(proc, 30.0)
            yield cls(proc, int(first["port"]))
        finally:
            if proc.returncode is None:
                assert proc.stdin is not None
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    proc.stdin.write(b'{"cmd": "stop"}\n')
                    await proc.stdin.drain()
                    proc.stdin.close()
                try:
                    await asyncio.wait_for(proc.wait(), 10)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()

    @staticmethod
    async def _read(proc: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout)
        if not line:
            raise RuntimeError(f"the emulator process exited (code {await proc.wait()})")
        data: dict[str, Any] = json.loads(line)
        if "error" in data:
            raise RuntimeError(f"emulator process: {data['error']}")
        return data

    async def run(self, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"cmd": "run", **spec}).encode() + b"\n")
        await self.proc.stdin.drain()
        result: dict[str, Any] = (await self._read(self.proc, timeout))["result"]
        return result


def _fault_spec(faults: FaultPlan | None) -> dict[str, Any] | None:
    if faults is None:
        return None
    return {
        "rate": faults.rate,
        "kinds": list(faults.kinds),
        "seed": faults.seed,
        "methods": sorted(faults.methods) if faults.methods is not None else None,
        "retry_after": faults.retry_after,
        "limit": faults.limit,
        "skip": faults.skip,
        "enforce_retry_after": faults.enforce_retry_after,
    }


@contextlib.contextmanager
def production_log_levels(level: str) -> Iterator[None]:
    """Logger levels as `python -m bot run` sets them (setup_logging), put back afterwards.

    The test session runs every logger at DEBUG (tests/logcheck.py); at that level httpx, httpcore
    and PTB log every request, which is work production does not do and would be measured here.
    Handlers stay as they are.
    """
    names = ["", *logging.root.manager.loggerDict]
    saved = {name: logging.getLogger(name).level for name in names}
    try:
        for name in names:
            logging.getLogger(name).setLevel(logging.NOTSET)
        setup_logging(level)
        yield
    finally:
        for name, saved_level in saved.items():
            logging.getLogger(name).setLevel(saved_level)


def load_settings(settings: Settings, peer: EmulatorPeer, state_path: Path) -> Settings:
    """Production settings except the Bot API URL, the per-user rate limit and the state file."""
    tg = settings.telegram.model_copy(
        update={
            "base_url": peer.base_url,
            "base_file_url": peer.base_file_url,
            "rate_limit_per_minute": LOAD_RATE_LIMIT,
        }
    )
    state = settings.state.model_copy(update={"path": state_path})
    return settings.model_copy(update={"telegram": tg, "state": state})


async def start_like_run_polling(app: TelegramApp) -> None:
    """What Application.run_polling does before it blocks, on the caller's loop."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=POLL_TIMEOUT_S, allowed_updates=ALLOWED_UPDATES)
    await app.start()


async def stop_like_run_polling(app: TelegramApp) -> None:
    """run_polling's shutdown sequence."""
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop is not None:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


async def run_chat_load(
    settings: Settings,
    advisor: Advisor,
    *,
    chats: int,
    questions_per_chat: int,
    questions: Sequence[str],
    faults: FaultPlan | None = None,
    seed: int = 0,
) -> LoadResult:
    """`chats` users ask `questions_per_chat` questions each (in turn), all at once; see the module doc.

    `faults` is injected on every matching Bot API call once the bot is up (not during start-up);
    the kinds it injected are appended to `faults.injected`, as if the plan had run here.
    """
    if not questions:
        raise ValueError("questions must not be empty")
    with (
        production_log_levels(settings.logging.level),
        tempfile.TemporaryDirectory(prefix="load-state-") as tmp,
    ):
        async with EmulatorPeer.running(TOKEN, BOT_NAME) as peer:
            app = build_application(load_settings(settings, peer, Path(tmp) / "state.sqlite3"), advisor, TOKEN)
            await start_like_run_polling(app)
            monitor = LoopMonitor()
            try:
                monitor.start()
                spec = {
                    "chats": chats,
                    "questions_per_chat": questions_per_chat,
                    "questions": list(questions),
                    "seed": seed,
                    "faults": _fault_spec(faults),
                    "answer_timeout_s": ANSWER_TIMEOUT_S,
                }
                raw = await peer.run(spec, timeout=ANSWER_TIMEOUT_S * questions_per_chat + 120)
                load_avg = os.getloadavg()[0]
            finally:
                await monitor.stop()
                await stop_like_run_polling(app)
    if raw["emulator_errors"]:
        raise AssertionError(f"emulator bugs during the load: {raw['emulator_errors']}")
    if faults is not None:
        faults.injected.extend((str(method), str(kind)) for method, kind in raw["faults_injected"])
    kinds: dict[str, int] = {}
    for _, kind in raw["faults_injected"]:
        kinds[kind] = kinds.get(kind, 0) + 1
    latencies_ms = [s * 1000 for s in raw["latencies_s"]]
    seconds = float(raw["seconds"])
    return LoadResult(
        chats=chats,
        questions=int(raw["questions"]),
        answered=int(raw["answered"]),
        lost=int(raw["lost"]),
        duplicates=int(raw["duplicates"]),
        seconds=seconds,
        answers_per_s=raw["answered"] / seconds if seconds > 0 else 0.0,
        p50_ms=percentile(latencies_ms, 50),
        p95_ms=percentile(latencies_ms, 95),
        max_stall_ms=monitor.max_stall_s * 1000,
        max_stall_cpu_ms=monitor.max_stall_cpu_s * 1000,
        stalls_over_50ms=len(monitor.stalls),
        load_avg=load_avg,
        rss_mb=[round(x, 1) for x in monitor.rss],
        other_messages=int(raw["other_messages"]),
        faults_injected=kinds,
        calls={str(k): int(v) for k, v in raw["calls"].items()},
        stall_culprits=[f"{n}x\n{stack}" for stack, n in monitor.culprits.most_common(5)],
    )


def write_figures(name: str, figures: dict[str, Any]) -> None:
    """Add `figures` under `name` to the JSON file named by LOAD_FIGURES_OUT, if that is set."""
    target = os.environ.get("LOAD_FIGURES_OUT")
    if not target:
        return
    path = Path(target)
    data: dict[str, Any] = {}
    if path.exists():
        with contextlib.suppress(ValueError):
            data = json.loads(path.read_text(encoding="utf-8"))
    data[name] = figures
    path.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")


__all__ = [
    "LoadResult",
    "percentile",
    "run_chat_load",
    "write_figures",
]
