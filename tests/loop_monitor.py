"""How a load run watches the bot's event loop: the longest stall (wall clock and the loop thread's own CPU
time), the stacks the loop thread was in during long stalls, and this process's RSS (used by tests/load.py)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sys
import threading
import time
import traceback

import psutil

TICK_S = 0.01
RSS_EVERY_S = 0.5


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


class LoopMonitor:
    """Watches the running loop: the longest time it could not run a ready callback, and RSS.

    A task sleeps TICK_S again and again; waking up late by X ms means something held the loop
    (or the GIL) for about X ms. asyncio's debug mode (slow_callback_duration) names the culprit
    but slows everything down, so this cheap probe is what runs under load. To name culprits
    anyway, a watchdog thread samples the loop thread's stack whenever the probe is overdue by
    more than SAMPLE_AFTER_S (`culprits`: stack text -> times seen).
    """

    SAMPLE_AFTER_S = 0.1

    def __init__(self) -> None:
        self.max_stall_s = 0.0
        self.max_stall_cpu_s = 0.0
        """The most CPU the loop thread used between two ticks: the loop's own work, without waits (GIL, OS)."""
        self.stalls: list[float] = []
        self.rss: list[float] = []
        self.culprits: collections.Counter[str] = collections.Counter()
        self._task: asyncio.Task[None] | None = None
        self._beat = time.monotonic()
        self._done = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._loop_thread = threading.get_ident()

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        next_rss = loop.time()
        while True:
            before, cpu_before = loop.time(), time.thread_time()
            self._beat = time.monotonic()
            await asyncio.sleep(TICK_S)
            self._beat = time.monotonic()
            late = loop.time() - before - TICK_S
            self.max_stall_s = max(self.max_stall_s, late)
            self.max_stall_cpu_s = max(self.max_stall_cpu_s, time.thread_time() - cpu_before)
            if late > 0.05:
                self.stalls.append(late)
            if loop.time() >= next_rss:
                self.rss.append(rss_mb())
                next_rss = loop.time() + RSS_EVERY_S

    def _sample(self) -> None:
        """Watchdog thread: the loop thread's stack while the probe is overdue, once per stall."""
        sampled_beat = -1.0
        while not self._done.wait(0.02):
            beat = self._beat
            if time.monotonic() - beat < TICK_S + self.SAMPLE_AFTER_S or beat == sampled_beat:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            if frame is None:
                continue
            sampled_beat = beat
            stack = traceback.extract_stack(frame)[-12:]
            lines = (f"  {f.filename.split('site-packages/')[-1]}:{f.lineno} {f.name}" for f in stack)
            self.culprits["\n".join(lines)] += 1

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        self._task = asyncio.create_task(self._watch(), name="loop-monitor")
        self._watchdog = threading.Thread(target=self._sample, name="loop-watchdog", daemon=True)
        self._watchdog.start()

    async def stop(self) -> None:
        self._done.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._watchdog is not None:
            self._watchdog.join(1.0)
        self.rss.append(rss_mb())
