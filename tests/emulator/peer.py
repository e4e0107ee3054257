"""The Bot API emulator in its own process, with simulated users: the far side of a load test.

Why a process: the load test measures the bot's own event-loop stalls and memory. An emulator on
the bot's loop would add its work to the stalls; one in a thread of the bot's process would still
compete for the GIL and add its own memory (every message it stores) to the bot's RSS. Here, as
with the real Telegram, the only thing the two sides share is HTTP on 127.0.0.1.

Protocol (one JSON object per line): the peer prints ``{"port": N}`` once it serves; then reads
commands on stdin: ``{"cmd": "run", ...}`` (see `RunSpec`) answers ``{"result": {...}}``;
``{"cmd": "stop"}`` or end of input stops it. Run it as ``python -m tests.emulator.peer``.

Answers are recognised by the 👍 button the bot puts under the last part of every answer. The bot's
callback data are PTB ids whose first 32 characters name the keyboard, fresh for each keyboard the
bot makes, so the same id delivered twice in a chat is one answer sent twice (PTB's rate limiter
retried the request). A request the bot itself sends again (bot.telegram.send.deliver) carries a new
id, like an answer from a re-run handler: either way more distinct answers than questions asked
counts as a duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .faults import FaultPlan
from .server import BotApiEmulator

JSONDict = dict[str, Any]
FEEDBACK = "👍"
"""The label of the button under every answer."""
KEYBOARD_ID_CHARS = 32
"""PTB's arbitrary callback data: keyboard uuid (32 hex) + button uuid (32 hex)."""
QUIET_S = 1.5
"""After the last user is done, the bot must stay quiet this long: late duplicates would show."""
MAX_SETTLE_S = 30.0


@dataclass
class _Chat:
    """What one private chat received: answer identities in arrival order and every bot message id."""

    messages: set[int] = field(default_factory=set)
    answer_messages: set[int] = field(default_factory=set)
    identities: dict[str, float] = field(default_factory=dict)
    arrivals: list[float] = field(default_factory=list)
    waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)


class AnswerTracker:
    """Listens to the emulator's bot messages and wakes the simulated user waiting for an answer."""

    def __init__(self) -> None:
        self.chats: dict[int, _Chat] = collections.defaultdict(_Chat)
        self.last_event = time.monotonic()

    def __call__(self, chat_id: int, message: JSONDict) -> None:
        chat = self.chats[chat_id]
        self.last_event = time.monotonic()
        chat.messages.add(int(message["message_id"]))
        rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
        buttons = [button for row in rows for button in row]
        thumbs = next((str(b.get("callback_data") or "") for b in buttons if b.get("text") == FEEDBACK), None)
        if thumbs is None:
            return
        chat.answer_messages.add(int(message["message_id"]))
        keyboard = thumbs[:KEYBOARD_ID_CHARS]
        identity = f"keyboard:{keyboard}" if keyboard else f"text:{message.get('text', '')}"
        if identity in chat.identities:
            return
        chat.identities[identity] = self.last_event
        chat.arrivals.append(self.last_event)
        count = len(chat.arrivals)
        for needed, future in chat.waiters:
            if needed <= count and not future.done():
                future.set_result(None)
        chat.waiters = [(n, f) for n, f in chat.waiters if not f.done()]

    async def wait_for(self, chat_id: int, count: int, timeout: float) -> float | None:
        """Arrival time of the chat's `count`-th distinct answer, or None after `timeout` seconds."""
        chat = self.chats[chat_id]
        if len(chat.arrivals) < count:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            chat.waiters.append((count, future))
            try:
                await asyncio.wait_for(future, timeout)
            except TimeoutError:
                return None
        return chat.arrivals[count - 1]


@dataclass
class RunSpec:
    """One load run: `chats` private chats, each asking `questions_per_chat` questions in turn."""

    chats: int
    questions_per_chat: int
    questions: Sequence[str]
    seed: int = 0
    faults: JSONDict | None = None
    answer_timeout_s: float = 120.0


def fault_plan(spec: JSONDict | None) -> FaultPlan | None:
    """A FaultPlan from its JSON form (the fields of FaultPlan except the record of injections)."""
    if spec is None:
        return None
    spec = dict(spec)
    methods = spec.pop("methods", None)
    kinds = tuple(spec.pop("kinds", ("429", "500", "drop")))
    return FaultPlan(kinds=kinds, methods=set(methods) if methods is not None else None, **spec)


async def run_users(emu: BotApiEmulator, spec: RunSpec) -> JSONDict:
    """Every chat asks its questions one after another (the next once the answer is there), all chats at once."""
    rng = random.Random(spec.seed)
    tracker = AnswerTracker()
    emu.bot_message_listeners.append(tracker)
    people = []
    for i in range(spec.chats):
        user = emu.user(first_name=f"User{i}", username=f"load_user_{spec.seed}_{i}")
        asked = [rng.choice(spec.questions) for _ in range(spec.questions_per_chat)]
        people.append((user, emu.private_chat(user), asked))
    latencies: list[float] = []
    calls_before = len(emu.calls)
    emu.faults = fault_plan(spec.faults)
    started = time.monotonic()

    async def person(user: JSONDict, chat: JSONDict, questions: list[str]) -> None:
        for question in questions:
            wanted = len(tracker.chats[chat["id"]].arrivals) + 1
            sent = time.monotonic()
            emu.send_text(chat, user, question)
            arrived = await tracker.wait_for(chat["id"], wanted, spec.answer_timeout_s)
            if arrived is not None:
                latencies.append(arrived - sent)

    await asyncio.gather(*(person(*p) for p in people))
    finished = max((c.arrivals[-1] for c in tracker.chats.values() if c.arrivals), default=time.monotonic())
    settle_until = time.monotonic() + MAX_SETTLE_S
    while time.monotonic() - tracker.last_event < QUIET_S and time.monotonic() < settle_until:
        await asyncio.sleep(0.1)
    injected = list(emu.faults.injected) if emu.faults is not None else []
    emu.faults = None
    emu.bot_message_listeners.remove(tracker)

    answered = lost = duplicates = other = 0
    for _, chat, questions in people:
        got = tracker.chats[chat["id"]]
        distinct = len(got.arrivals)
        answered += min(distinct, len(questions))
        lost += max(0, len(questions) - distinct)
        duplicates += len(got.answer_messages) - distinct + max(0, distinct - len(questions))
        other += len(got.messages) - len(got.answer_messages)
    calls = collections.Counter(name for name, _ in emu.calls[calls_before:])
    return {
        "questions": spec.chats * spec.questions_per_chat,
        "answered": answered,
        "lost": lost,
        "duplicates": duplicates,
        "other_messages": other,
        "seconds": finished - started,
        "latencies_s": latencies,
        "faults_injected": injected,
        "calls": dict(calls),
        "emulator_errors": [repr(e) for e in emu.errors],
    }


async def serve(token: str, bot_username: str) -> None:
    """Serve until told to stop; run load commands from stdin one at a time."""
    emu = BotApiEmulator(token=token, bot_username=bot_username)
    await emu.start()
    print(json.dumps({"port": emu.port}), flush=True)
    try:
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line.strip():
                if not line:
                    break  # the parent closed our stdin
                continue
            command = json.loads(line)
            if command.get("cmd") == "stop":
                break
            if command.get("cmd") == "run":
                args = {k: v for k, v in command.items() if k != "cmd"}
                result = await run_users(emu, RunSpec(**args))
                print(json.dumps({"result": result}), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {command.get('cmd')!r}"}), flush=True)
    finally:
        await emu.stop()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--token", required=True)
    parser.add_argument("--bot-username", default="hiring_advisor_bot")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.token, args.bot_username))


if __name__ == "__main__":
    main()
