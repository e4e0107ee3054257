"""Small measuring helpers shared by the bench modules: percentiles, stopwatches, RSS, progress lines."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil

_STARTED = time.monotonic()


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100), so a reported p95 is a latency that really occurred."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """p50/p95/mean/max in milliseconds of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(sum(ms) / len(ms), 2) if ms else 0.0,
        "max_ms": round(max(ms), 2) if ms else 0.0,
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


@dataclass
class Watch:
    """Wall and CPU seconds of a block; CPU time helps tell our cost from a busy machine's."""

    wall_s: float = 0.0
    cpu_s: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Watch]:
    watch = Watch()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield watch
    finally:
        watch.wall_s = time.perf_counter() - wall
        watch.cpu_s = time.process_time() - cpu


def rss_mb(pid: int | None = None) -> float:
    return round(psutil.Process(pid or os.getpid()).memory_info().rss / 2**20, 1)


def load_average() -> list[float]:
    """The machine's 1/5/15-minute load: a busy machine explains slow figures."""
    return [round(x, 2) for x in os.getloadavg()]


def progress(message: str) -> None:
    """One progress line on stderr, with seconds since the bench started."""
    print(f"[bench {time.monotonic() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)
