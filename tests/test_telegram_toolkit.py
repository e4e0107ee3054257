"""The hiring toolkit in Telegram end to end (issue 17, points 5 and 6): interview kits in private chats
and groups, the role picker, the toolkit's buttons under a role brief, the menu and /help, inline
sharing; the real Application polling the Bot API emulator over the real model and index."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest

from bot.answer.advisor import Advisor
from bot.answer.llm import LLMAnswerer, build_chat_model
from bot.telegram.render import MAX_MESSAGE, to_messages, utf16_len
from bot.telegram.toolkit_render import kit_doc
from bot.toolkit.service import Toolkit
from tests.emulator import parse_html
from tests.fakes.openai_server import FakeOpenAI, Messages
from tests.telegram_fixtures import bot_fixture, clean_logs_fixture, logs_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import BOT_NAME, WAIT_S, Running, World, buttons, running

pytestmark = pytest.mark.timeout(120)

Chat = tuple[dict[str, Any], dict[str, Any]]


def alice(bot: Running) -> Chat:
    """A user and her private chat with the bot."""
    user = bot.emu.user(first_name="Alice")
    return user, bot.emu.private_chat(user)


def kit_parts(world: World, role: str) -> int:
    """How many messages the role's kit takes: it is longer than one, and split like a brief."""
    return len(to_messages(kit_doc(Toolkit(world.advisor).kit(role))))


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


# ------------------------------------------------------------------------------------------ /interview


async def test_interview_sends_the_roles_kit_cited_and_split_within_telegrams_limit(bot: Running, world: World) -> None:
    user, chat = alice(bot)
    n = kit_parts(world, "CTO")
    parts = await bot.reply(chat, lambda: bot.emu.send_text(chat, user, "/interview CTO"), n)
    assert parts[0]["text"].startswith("Interview kit: chief technology officer (CTO)")
    assert all(utf16_len(m["text"]) <= MAX_MESSAGE for m in parts)
    text = joined(parts)
    assert text.count("Criterion: ") >= 4 and text.count("Probe: ") == text.count("Criterion: ")
    assert "Red flags" in text and "Bonnie Siegel" in text.split("Sources")[-1]
    assert len(parts) == n > 1


async def test_in_llm_mode_the_model_phrases_the_kits_questions_and_the_criteria_stay_cited(
    world: World, tmp_path: Path
) -> None:
    """Issue 17, point 1: the same cited criteria, the model's questions; the real client against the fake."""
    asked = "Tell me about a time you showed this at a health system?\nHow would you show it here in a year?"

    def reply(messages: Messages) -> str:
        return asked if "Criterion:" in str(messages[-1]["content"]) else "Executive presence matters [1]."

    server = FakeOpenAI(api_key="test-key")
    server.reply = reply
    await server.start()
    try:
        llm = world.settings.llm.model_copy(update={"enabled": True, "base_url": server.base_url, "timeout_s": 5})
        advisor = Advisor(world.settings, world.advisor.index, LLMAnswerer(build_chat_model(llm, "test-key"), llm))
        async with running(world, tmp_path / "s.sqlite3", advisor=advisor) as bot:
            user, chat = alice(bot)
            bot.emu.send_text(chat, user, "/interview CTO")
            await bot.emu.wait_for(lambda: "Sources" in joined(bot.emu.sent(chat)), timeout=WAIT_S)
            text = joined(bot.emu.sent(chat))
            assert "phrased by the configured language model" in text
            assert text.count("Tell me about a time you showed this at a health system?") >= 4
            assert "Criterion: " in text and "executive presence" in text and "Bonnie Siegel" in text
    finally:
        await server.stop()


async def test_interview_without_a_role_offers_a_picker_whose_button_gives_the_kit(bot: Running, world: World) -> None:
    user, chat = alice(bot)
    picker = await bot.say(chat, user, "/interview")
    assert "Which role?" in picker["text"]
    assert {"🧰 CTO interview kit", "🧰 CMIO interview kit"} <= set(buttons(picker))
    data = buttons(picker)["🧰 CMIO interview kit"]
    parts = await bot.reply(chat, lambda: bot.emu.press_button(chat, user, picker, data), kit_parts(world, "CMIO"))
    assert parts[0]["text"].startswith("Interview kit: chief medical information officer (CMIO)")
    assert "Hillary Ross" in joined(parts)


async def test_interview_for_a_role_no_article_is_about_names_the_roles_there_are(bot: Running) -> None:
    user, chat = alice(bot)
    reply = await bot.say(chat, user, "/interview CFO")
    assert "CTO" in reply["text"] and "CMIO" in reply["text"] and "Interview kit" not in reply["text"]


async def test_the_hiring_committee_gets_a_kit_in_its_group_quoting_the_request(bot: Running, world: World) -> None:
    emu = bot.emu
    member = emu.user(first_name="Carol")
    group = emu.group_chat(title="CMIO search committee")  # privacy mode: the command names the bot
    n = kit_parts(world, "CMIO")
    before = len(emu.sent(group))
    request = emu.send_text(group, member, f"/interview@{BOT_NAME} CMIO")
    parts = (await emu.wait_for_messages(group, before + n, timeout=60))[before:]
    assert parts[0]["text"].startswith("Interview kit: chief medical information officer (CMIO)")
    assert parts[0]["reply_to_message"]["message_id"] == request["message_id"]


# ------------------------------------------------------------------------------------------ where users find it


async def test_the_menu_help_and_welcome_list_the_toolkit(bot: Running) -> None:
    user, chat = alice(bot)
    menu = [c["command"] for c in bot.emu.commands]
    assert "interview" in menu and menu.index("interview") == menu.index("compare") + 1
    help_text = (await bot.say(chat, user, "/help"))["text"]
    assert "Hiring toolkit" in help_text and "/interview ROLE" in help_text and f"@{BOT_NAME}" in help_text
    assert {"interview", "scorecard", "jd", "screen"} <= set(menu)
    assert all(f"/{name} ROLE" in help_text for name in ("interview", "scorecard", "jd", "screen"))
    welcome = (await bot.say(chat, user, "/start"))["text"]
    assert all(f"/{name} ROLE" in welcome for name in ("interview", "scorecard", "jd", "screen"))


async def test_a_role_brief_has_the_toolkit_under_it_and_its_kit_button_gives_the_kit(
    bot: Running, world: World
) -> None:
    user, chat = alice(bot)
    brief = await bot.say(chat, user, "/brief_cmio")
    assert brief["text"].startswith("Role brief: chief medical information officer (CMIO)")
    data = buttons(brief)["🧰 Interview kit"]
    parts = await bot.reply(chat, lambda: bot.emu.press_button(chat, user, brief, data), kit_parts(world, "CMIO"))
    assert parts[0]["text"].startswith("Interview kit: chief medical information officer (CMIO)")


async def test_inline_mode_offers_the_kit_and_the_draft_to_share_when_asked_for_them(bot: Running) -> None:
    emu = bot.emu
    recruiter = emu.user(first_name="Recruiter")
    emu.inline_query(recruiter, "cto kit")
    await emu.wait_for(lambda: len(emu.inline_answers) == 1, timeout=60)
    results = {r["title"]: r for r in emu.inline_answers[0]["results"]}
    kit = results["Interview kit: chief technology officer (CTO)"]["input_message_content"]
    assert "Role brief: chief technology officer (CTO)" in results
    assert kit["parse_mode"] == "HTML" and kit["link_preview_options"] == {"is_disabled": True}
    shown = parse_html(kit["message_text"], strict_ampersand=True)[0]
    assert shown.startswith("Interview kit: chief technology officer (CTO)") and "Criterion: " in shown
    assert utf16_len(shown) <= MAX_MESSAGE
    emu.inline_query(recruiter, "cto")
    await emu.wait_for(lambda: len(emu.inline_answers) == 2, timeout=60)
    assert [r["title"] for r in emu.inline_answers[1]["results"]] == ["Role brief: chief technology officer (CTO)"]
    emu.inline_query(recruiter, "CMIO job description")
    await emu.wait_for(lambda: len(emu.inline_answers) == 3, timeout=60)
    titles = [r["title"] for r in emu.inline_answers[2]["results"]]
    assert "Job description draft: chief medical information officer (CMIO)" in titles
    draft = next(r for r in emu.inline_answers[2]["results"] if r["title"].startswith("Job description"))
    assert "Draft to edit" in parse_html(draft["input_message_content"]["message_text"], strict_ampersand=True)[0]


# ------------------------------------------------------------------------------------------ /scorecard, /jd


async def downloaded(bot: Running, message: dict[str, Any]) -> bytes:
    """A document the bot sent, fetched through the emulator's file API (getFile, then the file URL)."""
    file = await bot.app.bot.get_file(message["document"]["file_id"])
    return bytes(await file.download_as_bytearray())


def docx_tables(data: bytes) -> list[list[list[str]]]:
    document = docx.Document(io.BytesIO(data))
    return [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]


async def test_scorecard_sends_a_summary_and_a_docx_that_opens_as_real_tables(bot: Running) -> None:
    user, chat = alice(bot)
    summary, document = await bot.reply(chat, lambda: bot.emu.send_text(chat, user, "/scorecard CTO"), 2)
    assert summary["text"].startswith("Scorecard: Chief technology officer (CTO)")
    assert "1 Strong no · 2 No · 3 Yes · 4 Strong yes" in summary["text"] and "Bonnie Siegel" in summary["text"]
    assert document["document"]["file_name"] == "scorecard-cto.docx"
    tables = docx_tables(await downloaded(bot, document))
    criteria = next(t for t in tables if t[0][0].startswith("Criterion"))
    assert len(criteria) - 1 == summary["text"].count("• ") >= 4
    assert all(re.search(r"\[\d+\]$", row[0]) for row in criteria[1:])  # every criterion cited


async def test_the_hiring_committee_gets_a_scorecard_from_the_brief_button_in_its_group(bot: Running) -> None:
    emu = bot.emu
    member = emu.user(first_name="Carol")
    group = emu.group_chat(title="CTO search committee")
    brief = await bot.say(group, member, f"/brief@{BOT_NAME} CTO")
    assert {"🧰 Interview kit", "📋 Scorecard", "📝 Draft JD"} <= set(buttons(brief))
    data = buttons(brief)["📋 Scorecard"]
    summary, document = await bot.reply(group, lambda: emu.press_button(group, member, brief, data), 2)
    assert summary["text"].startswith("Scorecard: Chief technology officer (CTO)")
    assert docx_tables(await downloaded(bot, document))


async def test_jd_sends_the_draft_labelled_as_one_and_its_docx(bot: Running) -> None:
    user, chat = alice(bot)
    draft, document = await bot.reply(chat, lambda: bot.emu.send_text(chat, user, "/jd CMIO"), 2)
    text = draft["text"]
    assert text.startswith("Job description (draft): Chief medical information officer (CMIO)\nDraft to edit.")
    headings = ["Summary", "Responsibilities", "Qualifications", "Experience", "Sources"]
    assert [text.index(f"\n{h}\n") for h in headings] == sorted(text.index(f"\n{h}\n") for h in headings)
    assert document["document"]["file_name"] == "job-description-cmio.docx"
    paragraphs = [p.text for p in docx.Document(io.BytesIO(await downloaded(bot, document))).paragraphs]
    assert "Responsibilities" in paragraphs and any("Hillary Ross" in p for p in paragraphs)


async def test_scorecard_without_a_role_offers_a_picker(bot: Running) -> None:
    user, chat = alice(bot)
    picker = await bot.say(chat, user, "/scorecard")
    assert {"📋 CTO scorecard", "📋 CMIO scorecard"} <= set(buttons(picker))
