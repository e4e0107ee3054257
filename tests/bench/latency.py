"""Answer latency of ours, the floor and the peer, measured in one interleaved loop.

Each question is asked of all three back to back, in an order that rotates with the question, so a
busy moment on the machine (or a warm CPU cache) falls on all three alike instead of on whichever
happened to run then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.bench.measure import ratio, summary_ms
from tests.bench.questions import Question


def interleaved(questions: list[Question], runners: dict[str, Callable[[Question], float]]) -> dict[str, Any]:
    names = list(runners)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for i, question in enumerate(questions):
        for j in range(len(names)):
            name = names[(i + j) % len(names)]
            seconds[name].append(runners[name](question))
    figures: dict[str, Any] = {name: summary_ms(values) for name, values in seconds.items()}
    figures["questions"] = len(questions)
    if "ours" in figures and "floor" in figures:
        figures["ours_over_floor_p50"] = ratio(figures["ours"]["p50_ms"], figures["floor"]["p50_ms"])
        figures["ours_over_floor_p95"] = ratio(figures["ours"]["p95_ms"], figures["floor"]["p95_ms"])
    if "ours" in figures and "peer" in figures:
        figures["ours_over_peer_p50"] = ratio(figures["ours"]["p50_ms"], figures["peer"]["p50_ms"])
    return figures
