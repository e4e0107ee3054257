"""The CV evidence check in Telegram end to end (issue 17, points 4 and 6): /screen ROLE then a CV, or a CV
captioned /screen ROLE, in a private chat; refused in groups; a hostile file refused in one line; the CV
kept nowhere (state database, disk, logs), and admins' uploads still becoming articles."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest

from bot.telegram.toolkit import CV_PRIVACY
from tests.telegram_fixtures import bot_fixture, clean_logs_fixture, logs_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import ADMIN_ID, BOT_NAME, LogCapture, Running, World

pytestmark = pytest.mark.timeout(120)

CV_NAME = "quennell-orla-cv-confidential.md"
CV = "\n".join(
    [
        "# Orla Quennell",
        "",
        "Date of birth: 12 March 1969",
        "Gender: female",
        "Marital status: married",
        "",
        "## Professional summary",
        "",
        "Technology executive with six years at a healthcare IT consulting firm before joining a health system.",
        "",
        "## Experience",
        "",
        "### Vice President, Technical Services, Harrowgate Health (2015 - present)",
        "",
        "- Managed the technical services and the day-to-day delivery of all infrastructure services and "
        "operational support for nine hospitals.",
        "- Negotiated the network contracts and integrated multiple vendors while leading strategic planning for "
        "all network activities.",
        "- Explained complex technical concepts to the board and physicians in plain terms, and grew a team of "
        "ninety engineers.",
        "",
        "### Director, Infrastructure, Harrowgate Health (2010 - 2015)",
        "",
        "- Ran the yearly capacity plan and the infrastructure budget across competing departments.",
        "",
        "## Education",
        "",
        "MSc Information Systems (fictional)",
    ]
)
CV_SENTENCES = [
    line.lstrip("- ").strip()
    for line in CV.splitlines()
    if len(line.split()) >= 5 and not line.startswith("#") and ":" not in line
]
"""What the CV says in sentences: none of it may reach the logs, the state or the disk."""
RECIPE = (
    "# Lemon drizzle cake\n\nCream the butter and the sugar. Fold in the flour and the lemon zest.\n"
    "Bake for forty minutes.\n"
)

Chat = tuple[dict[str, Any], dict[str, Any]]


def alice(bot: Running) -> Chat:
    user = bot.emu.user(first_name="Alice")
    return user, bot.emu.private_chat(user)


def cv_docx() -> bytes:
    """The same CV as a Word document, as candidates send them."""
    document = docx.Document()
    for line in CV.splitlines():
        if line.strip():
            document.add_paragraph(line.lstrip("#- ").strip())
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def assert_nothing_kept(bot: Running, world: World, files_before: list[str]) -> None:
    """No question, gap or turn recorded, and no file written outside the store."""
    assert bot.state.stats().questions == 0
    assert world.files() == files_before


async def test_a_cv_sent_after_screen_gets_its_evidence_per_criterion_and_the_privacy_line(
    bot: Running, world: World
) -> None:
    user, chat = alice(bot)
    files = world.files()
    ask = await bot.say(chat, user, "/screen CTO")
    assert "chief technology officer" in ask["text"] and "never stored" in ask["text"]
    reply = await bot.reply(chat, lambda: bot.emu.send_document(chat, user, CV_NAME, CV.encode(), "text/markdown"))
    text = reply[0]["text"]
    assert text.startswith("CV evidence check: chief technology officer (CTO)")
    assert "no hire or no-hire verdict" in text and "not stored" in text
    assert "Evidence in the CV:" in text and "“Managed the technical services" in text
    assert "No evidence found in the CV. Ask in the interview:" in text or text.count("Evidence in the CV:") >= 4
    assert "1969" not in text and "female" not in text and "married" not in text  # protected attributes
    assert_nothing_kept(bot, world, files)
    assert bot.app.bot_data["services"].cv_requests == {}  # the request is gone with its file


async def test_a_docx_cv_captioned_with_screen_is_checked_at_once(bot: Running, world: World) -> None:
    user, chat = alice(bot)
    files = world.files()
    send = lambda: bot.emu.send_document(chat, user, "cv.docx", cv_docx(), None, caption="/screen CTO")  # noqa: E731
    (reply,) = await bot.reply(chat, send)
    assert reply["text"].startswith("CV evidence check: chief technology officer (CTO)")
    assert "“Negotiated the network contracts" in reply["text"]
    assert_nothing_kept(bot, world, files)


async def test_a_cv_in_a_group_is_refused_before_it_is_downloaded(bot: Running, world: World) -> None:
    emu = bot.emu
    member = emu.user(first_name="Carol")
    group = emu.group_chat(title="CTO search committee", bot_status="administrator")
    files = world.files()
    refused = await bot.say(group, member, f"/screen@{BOT_NAME} CTO")
    assert "private chat" in refused["text"]
    send = lambda: emu.send_document(group, member, CV_NAME, CV.encode(), "text/markdown", caption="/screen CTO")  # noqa: E731
    (again,) = await bot.reply(group, send)
    assert "private chat" in again["text"] and "Evidence" not in again["text"]
    assert emu.calls_of("getFile") == []
    assert_nothing_kept(bot, world, files)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cv.pdf", b"%PDF-1.7\n%%garbage, no objects", ""),
        ("recipe.md", RECIPE.encode(), "does not look like a CV"),
        ("cv.exe", b"MZ\x90\x00 not a CV", ""),
    ],
    ids=["broken-pdf", "not-a-cv", "unsupported"],
)
async def test_a_hostile_or_unreadable_cv_gets_a_one_line_reason(
    bot: Running, world: World, name: str, content: bytes, reason: str
) -> None:
    user, chat = alice(bot)
    files = world.files()
    send = lambda: bot.emu.send_document(chat, user, name, content, None, caption="/screen CTO")  # noqa: E731
    (reply,) = await bot.reply(chat, send)
    assert reply["text"].startswith("Not read: ") and "\n" not in reply["text"] and reason in reply["text"]
    assert_nothing_kept(bot, world, files)


async def test_the_logs_hold_no_cv_text_nor_its_name_above_debug(bot: Running, logs: LogCapture) -> None:
    user, chat = alice(bot)
    logged = len(logs.lines)
    await bot.say(chat, user, "/screen CTO")
    (reply,) = await bot.reply(chat, lambda: bot.emu.send_document(chat, user, CV_NAME, CV.encode(), "text/markdown"))
    assert "“Managed the technical services" in reply["text"]  # the reply quoted the CV...
    new = logs.lines[logged:]
    assert any("CV check for CTO" in line for line in new)
    for sentence in CV_SENTENCES:  # ...and no log record did, at any level
        assert not any(sentence[:40] in line for line in new), sentence
    assert not any(CV_NAME in line for line in new if not line.startswith("DEBUG"))


async def test_privacy_states_the_cv_rule(bot: Running) -> None:
    user, chat = alice(bot)
    assert CV_PRIVACY in (await bot.say(chat, user, "/privacy"))["text"]


async def test_an_admins_upload_without_screen_still_becomes_an_article_check(bot: Running, world: World) -> None:
    """The CV route comes first; an admin's plain upload still reaches the ingest (refused here as a bad file,
    so the knowledge base is left as it was)."""
    emu = bot.emu
    admin = emu.user(id=ADMIN_ID, first_name="Admin")
    chat = emu.private_chat(admin)
    send = lambda: emu.send_document(chat, admin, "tool.exe", b"MZ\x90\x00", None)  # noqa: E731
    (reply,) = await bot.reply(chat, send)
    assert reply["text"].startswith("Not added: ")
