"""The Telegram front end end to end, in a private chat: the real PTB Application from build_application,
polling the Bot API emulator on 127.0.0.1, over the real model and a real index. One behaviour per test,
each on a fresh bot (fresh state, fresh emulator).

Groups, topics, inline mode and access control are in test_telegram_groups.py; the admins' journeys in
test_telegram_admin.py; restarts, limits, errors, streaming, webhooks and the real process in
test_telegram_resilience.py; rendering, upload names and ordering (no bot) in test_telegram_units.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.telegram.keyboards import MAX_CALLBACK_BYTES
from tests.emulator import iter_entities
from tests.telegram_fixtures import bot_fixture, clean_logs_fixture, logs_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import (
    ADMIN_ID,
    ANSWER_CONTROLS,
    SAID_IN_TESTS,
    SECRET_HALF,
    TOKEN,
    WAIT_S,
    LogCapture,
    Running,
    World,
    buttons,
    running,
    started_emulator,
)

pytestmark = pytest.mark.timeout(120)

CTO_Q = "What should I look for in a CTO?"
USER_COMMANDS = {"start", "help", "ask", "brief", "brief_cto", "brief_cmio", "compare", "sources", "reset"}
ADMIN_COMMANDS = {"ingest", "ingest_url", "remove", "stats"}

Chat = tuple[dict[str, Any], dict[str, Any]]


def alice(bot: Running) -> Chat:
    """A user and her private chat with the bot."""
    user = bot.emu.user(first_name="Alice")
    return user, bot.emu.private_chat(user)


def entity_types(message: dict[str, Any]) -> list[str]:
    return [kind for kind, _ in iter_entities(message)]


# ------------------------------------------------------------------------------------------ menu, welcome, help


async def test_the_menu_lists_every_user_command_with_a_description_and_no_admin_command(bot: Running) -> None:
    commands = {c["command"]: c["description"] for c in bot.emu.commands}
    assert USER_COMMANDS | {"privacy", "forget_me"} <= set(commands) and all(commands.values())
    assert not ADMIN_COMMANDS & set(commands)


async def test_an_admin_who_opened_a_chat_sees_the_admin_commands_in_its_menu(world: World, tmp_path: Path) -> None:
    async with started_emulator() as emu:
        emu.private_chat(emu.user(id=ADMIN_ID, first_name="Admin"))  # before the bot starts and publishes
        async with running(world, tmp_path / "state.sqlite3", emu=emu):
            admin_menu = {c["command"] for c in emu.all_commands[(f"chat:{ADMIN_ID}", "")]}
            assert admin_menu >= USER_COMMANDS | ADMIN_COMMANDS


async def test_start_offers_a_brief_per_role_and_two_example_questions(bot: Running) -> None:
    user, chat = alice(bot)
    labels = set(buttons(await bot.say(chat, user, "/start")))
    assert {"📄 CTO brief", "📄 CMIO brief"} <= labels
    assert len([label for label in labels if not label.startswith("📄")]) == 2


async def test_an_example_question_on_the_welcome_is_answered(bot: Running) -> None:
    user, chat = alice(bot)
    welcome = await bot.say(chat, user, "/start")
    example = next(label for label in buttons(welcome) if not label.startswith("📄"))
    assert "Sources" in (await bot.press(chat, user, welcome, example))["text"]


async def test_help_lists_the_user_commands_and_hides_the_admin_ones(bot: Running) -> None:
    user, chat = alice(bot)
    help_text = (await bot.say(chat, user, "/help"))["text"]
    assert "/compare" in help_text and "/ingest" not in help_text


# ------------------------------------------------------------------------------------------ questions


async def test_a_question_is_answered_from_the_articles_with_citations_and_buttons(bot: Running) -> None:
    user, chat = alice(bot)
    answer = await bot.say(chat, user, CTO_Q)
    # The lead says what the points are: here, one list of the article's.
    assert answer["text"].startswith("From Bonnie Siegel’s list of") and "Sources" in answer["text"]
    assert re.search(r"\[1\]", answer["text"]) and "bold" in entity_types(answer)
    assert bot.emu.calls_of("sendChatAction")[-1]["action"] == "typing"
    labels = buttons(answer)
    assert set(labels) >= ANSWER_CONTROLS and len(labels) >= 4  # and at least one suggested follow-up
    assert all(len(data.encode()) <= MAX_CALLBACK_BYTES for data in labels.values())


async def test_a_follow_up_is_read_in_the_light_of_the_previous_question(bot: Running) -> None:
    user, chat = alice(bot)
    await bot.say(chat, user, CTO_Q)
    assert "Hillary Ross" in (await bot.say(chat, user, "and for CMIOs?"))["text"]
    assert bot.state.history(chat["id"], None) == [CTO_Q, "and for CMIOs?"]


async def test_ask_command_answers_its_question(bot: Running) -> None:
    user, chat = alice(bot)
    assert "Sources" in (await bot.say(chat, user, "/ask What does a CMIO own?"))["text"]


async def test_an_off_topic_question_is_declined_without_sources(bot: Running) -> None:
    user, chat = alice(bot)
    declined = await bot.say(chat, user, "What is the weather in Paris <b>&</b>?")
    assert "can't answer" in declined["text"] and "Sources" not in declined["text"]


async def test_questions_are_counted_and_unanswered_ones_are_kept_as_gaps(bot: Running) -> None:
    user, chat = alice(bot)
    await bot.say(chat, user, CTO_Q)
    await bot.say(chat, user, "/ask What does a CMIO own?")
    await bot.say(chat, user, "What is the weather in Paris <b>&</b>?")
    stats = bot.state.stats()
    assert (stats.answered, stats.unanswered) == (2, 1)
    assert stats.gaps == [("What is the weather in Paris <b>&</b>?", 1)]


async def test_an_unknown_command_gets_a_hint(bot: Running) -> None:
    user, chat = alice(bot)
    assert "don't know that command" in (await bot.say(chat, user, "/frobnicate"))["text"]


async def test_every_message_is_html_without_link_previews(bot: Running) -> None:
    user, chat = alice(bot)
    for text in ("/start", CTO_Q, "/sources", "/brief CTO", "/privacy"):
        await bot.say(chat, user, text)
    for params in bot.emu.calls_of("sendMessage"):
        assert params["link_preview_options"] == {"is_disabled": True}
        assert params["parse_mode"] == "HTML"


async def test_a_gap_is_said_in_the_chat_and_listed_for_the_admins(bot: Running) -> None:
    """On topic but not in the articles: the chat says so before any related point, and /stats lists it."""
    user, chat = alice(bot)
    reply = await bot.say(chat, user, "What's a typical salary for a CTO?")
    assert reply["text"].startswith("The articles don’t cover")
    if "•" in reply["text"]:
        assert reply["text"].index("Related points from the articles, not an answer to that:") < reply["text"].index(
            "•"
        )
    assert bot.state.stats().gaps == [("What's a typical salary for a CTO?", 1)]


# ------------------------------------------------------------------------------------------ buttons under answers


async def test_a_thumbs_up_is_thanked_and_counted(bot: Running) -> None:
    user, chat = alice(bot)
    answer = await bot.say(chat, user, CTO_Q)
    bot.emu.press_button(chat, user, answer, buttons(answer)["👍"])
    await bot.emu.wait_for(lambda: len(bot.emu.callback_answers) == 1, timeout=WAIT_S)
    assert bot.emu.callback_answers[-1]["text"] == "Thanks for the feedback!"
    assert bot.state.stats().feedback_up == 1


async def test_the_sources_button_lists_the_answers_sources_then_the_rest_of_the_knowledge_base(
    bot: Running,
) -> None:
    user, chat = alice(bot)
    answer = await bot.say(chat, user, CTO_Q)
    sources = await bot.press(chat, user, answer, "📚 Sources")
    assert sources["text"].startswith("Sources of this answer\n[1] The Health System CTO")
    assert "Also in the knowledge base\n• CMIOs in Healthcare" in sources["text"]


async def test_a_suggested_follow_up_button_asks_that_question(bot: Running) -> None:
    user, chat = alice(bot)
    answer = await bot.say(chat, user, CTO_Q)
    suggestion = next(label for label in buttons(answer) if label not in ANSWER_CONTROLS)
    asked = await bot.press(chat, user, answer, suggestion)
    assert "Sources" in asked["text"] or "can't answer" in asked["text"]
    assert bot.state.history(chat["id"], None)[-1].startswith(suggestion.rstrip("…"))


# ------------------------------------------------------------------------------------------ briefs, compare, sources


async def test_brief_with_a_role_gives_that_roles_brief_with_sources(bot: Running) -> None:
    user, chat = alice(bot)
    brief = await bot.say(chat, user, "/brief CTO")
    assert brief["text"].startswith("Role brief: chief technology officer (CTO)")
    assert "What to look for" in brief["text"] and "Sources" in brief["text"]


async def test_a_brief_shortcut_command_gives_that_roles_brief(bot: Running) -> None:
    user, chat = alice(bot)
    shortcut = await bot.say(chat, user, "/brief_cmio")
    assert shortcut["text"].startswith("Role brief: chief medical information officer (CMIO)")


async def test_brief_without_a_role_offers_a_picker_whose_buttons_give_the_brief(bot: Running) -> None:
    user, chat = alice(bot)
    pick = await bot.say(chat, user, "/brief")
    by_button = await bot.press(chat, user, pick, "📄 CTO brief")
    assert by_button["text"].startswith("Role brief: chief technology officer")


async def test_a_brief_for_a_role_no_article_covers_says_so(bot: Running) -> None:
    user, chat = alice(bot)
    assert "No article is about the CFO role yet" in (await bot.say(chat, user, "/brief CFO"))["text"]


async def test_compare_puts_two_roles_side_by_side(bot: Running) -> None:
    user, chat = alice(bot)
    comparison = await bot.say(chat, user, "/compare CTO CMIO")
    assert comparison["text"].startswith("CTO vs CMIO") and "Watch-outs" in comparison["text"]


async def test_compare_with_one_role_shows_the_usage(bot: Running) -> None:
    user, chat = alice(bot)
    assert "Usage" in (await bot.say(chat, user, "/compare CTO"))["text"]


async def test_sources_lists_the_articles_without_the_file_ids_admins_see(bot: Running) -> None:
    user, chat = alice(bot)
    listing = await bot.say(chat, user, "/sources")
    assert "Bonnie Siegel" in listing["text"] and "Hillary Ross" in listing["text"]
    assert "cto-role-bonnie-siegel.md" not in listing["text"]  # file ids are for admins


# ------------------------------------------------------------------------------------------ memory and privacy


async def test_privacy_says_what_is_stored_and_for_how_long(bot: Running) -> None:
    user, chat = alice(bot)
    privacy = await bot.say(chat, user, "/privacy")
    assert f"after {bot.settings.state.retention_days} days" in privacy["text"]
    assert "unanswered" in privacy["text"].lower() or "could not answer" in privacy["text"]


async def test_reset_forgets_the_conversation(bot: Running) -> None:
    user, chat = alice(bot)
    await bot.say(chat, user, CTO_Q)
    assert "Done" in (await bot.say(chat, user, "/reset"))["text"]
    assert bot.state.history(chat["id"], None) == []


async def test_forget_me_deletes_everything_about_the_user(bot: Running) -> None:
    user, chat = alice(bot)
    answer = await bot.say(chat, user, CTO_Q)
    await bot.say(chat, user, "Which stocks should I buy?")
    bot.emu.press_button(chat, user, answer, buttons(answer)["👎"])
    await bot.emu.wait_for(lambda: len(bot.emu.callback_answers) == 1, timeout=WAIT_S)
    assert bot.state.stats().feedback_down == 1
    done = await bot.say(chat, user, "/forget_me")
    assert re.search(r"deleted everything I stored about you \(4 records\)", done["text"]), done["text"]
    stats = bot.state.stats()
    assert bot.state.history(chat["id"], None) == [] and stats.gaps == [] and stats.feedback_down == 0


async def test_logs_hold_no_token_and_users_words_only_at_debug(bot: Running, logs: LogCapture) -> None:
    """Every test of these modules is checked for this after it runs (clean_logs, in telegram_fixtures); this one
    also shows that the token did reach the log records (request URLs) and was scrubbed there."""
    logged = len(logs.lines)
    user, chat = alice(bot)
    await bot.say(chat, user, CTO_Q)
    await bot.say(chat, user, "Which stocks should I buy?")
    lines = logs.lines[logged:]
    text = "\n".join(lines)
    assert "[REDACTED]" in text and TOKEN not in text and SECRET_HALF not in text
    assert any(CTO_Q in line_ for line_ in lines if line_.startswith("DEBUG"))  # the check below can fail
    assert not [line_ for line_ in lines if not line_.startswith("DEBUG") and any(t in line_ for t in SAID_IN_TESTS)]
