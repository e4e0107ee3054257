"""The Telegram front end end to end in groups, forum topics and inline mode, and who may use it: the
real Application polling the Bot API emulator over the real model and index (tests/telegram_harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.emulator import parse_html
from tests.telegram_fixtures import bot_fixture, clean_logs_fixture, logs_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import (
    ADMIN_ID,
    BOT_NAME,
    WAIT_S,
    LogCapture,
    Running,
    World,
    running,
    started_emulator,
)

pytestmark = pytest.mark.timeout(120)

CTO_Q = "What should I look for in a CTO?"


# ------------------------------------------------------------------------------------------ groups, topics


async def test_group_answers_only_mentions_replies_and_ask(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    group = emu.group_chat(title="Search committee", bot_status="administrator")  # the bot sees everything

    plain = emu.send_text(group, alice, CTO_Q)
    await emu.wait_for(lambda: not emu.pending_updates, timeout=WAIT_S)
    mention = emu.send_text(group, alice, f"@{BOT_NAME} what does a CMIO own?")
    (answer,) = await emu.wait_for_messages(group, 1, timeout=WAIT_S)
    assert answer["reply_to_message"]["message_id"] == mention["message_id"]  # the plain one got nothing
    assert plain["message_id"] not in [m.get("reply_to_message", {}).get("message_id") for m in emu.sent(group)]
    assert "Hillary Ross" in answer["text"]

    follow = await bot.say(group, alice, "and for CTOs?", reply_to=answer)
    assert "Bonnie Siegel" in follow["text"]
    via_ask = await bot.say(group, alice, "/ask How much experience should a CTO have?")
    assert "Sources" in via_ask["text"]
    assert "Welcome" in (await bot.say(group, alice, f"/start@{BOT_NAME}"))["text"]

    count = len(emu.sent(group))
    emu.send_text(group, alice, "/start@some_other_bot")
    emu.send_text(group, alice, "just chatting among humans")
    marker = await bot.say(group, alice, f"/privacy@{BOT_NAME}")
    assert "What I store" in marker["text"] and len(emu.sent(group)) == count + 1
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    assert "private chat" in (await bot.say(group, admin, "/stats"))["text"]  # gaps are other people's questions
    assert bot.state.history(group["id"], None) == [
        "what does a CMIO own?",
        "and for CTOs?",
        "How much experience should a CTO have?",
    ]


async def test_forum_topics_have_their_own_memory(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Alice")
    forum = emu.group_chat(title="Hiring forum", is_forum=True)  # privacy mode on: mentions only
    cto_topic = emu.create_topic(forum, alice, "CTO search")
    cmio_topic = emu.create_topic(forum, alice, "CMIO search")

    a = await bot.say(forum, alice, f"@{BOT_NAME} How much experience should a CTO have?", thread_id=cto_topic)
    b = await bot.say(forum, alice, f"@{BOT_NAME} What is the weather like?", thread_id=cmio_topic)
    assert a["message_thread_id"] == cto_topic and b["message_thread_id"] == cmio_topic
    follow = await bot.say(forum, alice, f"@{BOT_NAME} and for CMIOs?", thread_id=cto_topic)
    assert follow["message_thread_id"] == cto_topic and "Hillary Ross" in follow["text"]
    assert bot.state.history(forum["id"], cto_topic) == [
        "How much experience should a CTO have?",
        "and for CMIOs?",
    ]
    assert bot.state.history(forum["id"], cmio_topic) == ["What is the weather like?"]
    reset = await bot.say(forum, alice, "/reset", thread_id=cmio_topic)
    assert reset["message_thread_id"] == cmio_topic
    assert bot.state.history(forum["id"], cmio_topic) == [] and len(bot.state.history(forum["id"], cto_topic)) == 2


# ------------------------------------------------------------------------------------------ inline mode


async def test_inline_mode_offers_briefs_and_answers(bot: Running) -> None:
    emu = bot.emu
    alice = emu.user(first_name="Recruiter")
    emu.inline_query(alice, "cto")
    await emu.wait_for(lambda: len(emu.inline_answers) == 1, timeout=WAIT_S)
    (result,) = emu.inline_answers[0]["results"]
    assert result["type"] == "article" and result["title"] == "Role brief: chief technology officer (CTO)"
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML" and content["link_preview_options"] == {"is_disabled": True}
    assert parse_html(content["message_text"], strict_ampersand=True)[0].startswith("Role brief")

    emu.inline_query(alice, "")
    await emu.wait_for(lambda: len(emu.inline_answers) == 2, timeout=WAIT_S)
    assert len(emu.inline_answers[1]["results"]) == 2

    emu.inline_query(alice, "What should I look for in a CMIO?")
    await emu.wait_for(lambda: len(emu.inline_answers) == 3, timeout=WAIT_S)
    titles = [r["title"] for r in emu.inline_answers[2]["results"]]
    assert titles[0] == "Answer: What should I look for in a CMIO?" and "Role brief: chief medical" in titles[1]


# ------------------------------------------------------------------------------------------ access control


async def test_only_allowed_users_get_answers_and_refusals_log_no_text(
    world: World, tmp_path: Path, logs: LogCapture
) -> None:
    async with started_emulator() as emu:
        alice = emu.user(first_name="Alice")
        bob = emu.user(first_name="Bob")
        async with running(world, tmp_path / "s.sqlite3", emu=emu, allowed_ids=(alice["id"],)) as bot:
            assert "Sources" in (await bot.say(emu.private_chat(alice), alice, CTO_Q))["text"]
            bob_chat = emu.private_chat(bob)
            refusal = await bot.say(bob_chat, bob, "confidential: our CTO shortlist is Smith")
            assert "private" in refusal["text"] and len(emu.sent(bob_chat)) == 1
            emu.inline_query(bob, "cto")
            await emu.wait_for(lambda: len(emu.inline_answers) == 1, timeout=WAIT_S)
            assert emu.inline_answers[0]["results"] == [] and emu.inline_answers[0]["is_personal"] is True
            assert bot.state.stats().questions == 1
        assert f"refused message from user {bob['id']}" in logs.text
        assert _only_debug(logs, "confidential")


def _only_debug(logs: LogCapture, needle: str) -> bool:
    """Message text may appear in PTB's own DEBUG request dumps, never at INFO or above."""
    return all(line.startswith("DEBUG") for line in logs.lines if needle in line)
