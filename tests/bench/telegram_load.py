"""Through Telegram: the bot served through the Bot API emulator with many concurrent chats.

The driver is H2's tests/load.py (`run_chat_load`): it starts the emulator in a child process and
the real PTB Application on this process's loop with our advisor. Until that module exists the
figure is reported as not available rather than measured some other way.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import importlib.util
from typing import Any

from bot.answer.advisor import Advisor
from bot.settings import Settings
from tests.bench.questions import Question


def available() -> bool:
    try:
        return importlib.util.find_spec("tests.load") is not None
    except (ImportError, ValueError):
        return False


def chat_load(
    settings: Settings, advisor: Advisor, questions: list[Question], chats: int, per_chat: int
) -> dict[str, Any]:
    if not available():
        return {"available": False, "reason": "tests/load.py (run_chat_load) is not present"}
    load = importlib.import_module("tests.load")
    texts = [q.text for q in questions]
    result = asyncio.run(
        load.run_chat_load(settings, advisor, chats=chats, questions_per_chat=per_chat, questions=texts)
    )
    figures: dict[str, Any] = dataclasses.asdict(result)
    rss = figures.pop("rss_mb", []) or []
    figures["rss_max_mb"] = max(rss) if rss else None
    figures["rss_samples"] = len(rss)
    figures.pop("stall_culprits", None)
    culprits = getattr(result, "stall_culprits", None)
    if culprits:
        figures["stall_culprit_top"] = culprits[0][:2000]
    figures["available"] = True
    return figures
