"""User journeys: the commands, questions in text messages, and the buttons under answers.

Handlers parse the update and pick the journey; the answering itself lives in `answering`, the
markup in `render`. Every reply goes to the chat and forum topic the user wrote in.
"""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import BotCommand, Message, MessageEntity, Update
from telegram.ext import ContextTypes

from bot.answer.advisor import FACETS, UnknownRoleError
from bot.telegram import toolkit
from bot.telegram.access import is_admin
from bot.telegram.answering import Asker, answer_question, computing, send_brief, within_rate
from bot.telegram.conversation import (
    addressed_text,
    command_argument,
    conversation_of,
    is_private,
    message_of,
    topic_id,
)
from bot.telegram.keyboards import Offer, parse, roles_keyboard, start_keyboard
from bot.telegram.render import Doc, bold, comparison_doc, full_sources_doc, line, sources_doc
from bot.telegram.send import Target, answer_button, send_doc, send_text, typing
from bot.telegram.services import services

log = logging.getLogger(__name__)

BRIEF_SHORTCUT = re.compile(r"^brief_([a-z0-9]{1,24})$", re.IGNORECASE)
EXPIRED = "This button has expired. Please type your question instead."

USER_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "Welcome and quick start"),
    ("help", "What I can do"),
    ("ask", "Ask a question (in groups: /ask QUESTION)"),
    ("brief", "A one-screen role brief: /brief ROLE"),
    ("compare", "Two roles side by side: /compare ROLE ROLE"),
    ("sources", "The articles I answer from"),
    ("reset", "Forget this conversation"),
    ("privacy", "What I store and for how long"),
    ("forget_me", "Delete everything I store about you"),
)


def user_commands(roles: list[str]) -> list[BotCommand]:
    """The command menu, the hiring toolkit after /compare, and a /brief_<role> shortcut per role."""
    commands = [BotCommand(name, text) for name, text in USER_COMMANDS]
    after = next(i for i, c in enumerate(commands) if c.command == "compare") + 1
    commands[after:after] = [BotCommand(name, text) for name, text, _ in toolkit.TOOLKIT_COMMANDS]
    for role in roles:
        if re.fullmatch(r"[A-Za-z0-9]{1,24}", role):
            commands.insert(4, BotCommand(f"brief_{role.lower()}", f"Role brief: {role}"))
    return commands


def _user_id(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise RuntimeError("an update without a user reached a user handler")
    return user.id


def _asker(update: Update) -> Asker:
    message = message_of(update)
    return Asker(_user_id(update), Target.of(message), conversation_of(message), is_private(message))


def _examples(roles: list[str]) -> list[str]:
    if not roles:
        return []
    return [FACETS[0].format(r=roles[0]), FACETS[1].format(r=roles[-1])]


def _help_doc(roles: list[str], admin: bool, bot_name: str) -> Doc:
    names = " and ".join(roles) or "health-system executive"
    doc: Doc = [
        line(bold("Hiring Advisor")),
        line(f"I answer questions about hiring a {names} from articles by executive recruiters, and cite them."),
        (),
        line("In a private chat, just write your question. In a group, mention me, reply to me, or use /ask."),
        (),
        line("/ask QUESTION: ask a question"),
        line("/brief ROLE: a one-screen role brief" + (f" (e.g. /brief_{roles[0].lower()})" if roles else "")),
        line("/compare ROLE ROLE: two roles side by side"),
        line("/sources: the articles I answer from"),
        line("/reset: forget this conversation"),
        line("/privacy: what I store, and /forget_me to delete it"),
        (),
        line(bold("Hiring toolkit")),
        line("Built from the same articles, every criterion cited. Kits, scorecards and drafts work in groups too."),
        *[line(f"/{name} ROLE: {what}") for name, _, what in toolkit.TOOLKIT_COMMANDS],
        line(f"Inline, in any chat: @{bot_name} ROLE shares a brief; add “kit” for {toolkit.INLINE_SHARES}."),
    ]
    if admin:
        doc += [
            (),
            line(bold("Admin")),
            line("Send a document (md, txt, pdf, docx, html; up to 20 MB) to add it to the knowledge base."),
            line("/ingest: re-run the ingest · /ingest_url URL: add a web page"),
            line("/remove DOC: remove an article (ids as in /sources) · /stats: usage and gaps"),
        ]
    return doc


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcome with one-tap role briefs and example questions, so a busy executive needs no typing."""
    svc = services(context)
    message = message_of(update)
    roles = await asyncio.to_thread(svc.advisor.roles)
    keyboard = start_keyboard(roles, Offer(tuple(_examples(roles))))
    doc: Doc = [
        line(bold("Welcome to the Hiring Advisor.")),
        line(
            f"Ask me about hiring a {' or '.join(roles) or 'health-system executive'}: what the role owns, "
            "what to look for, background and experience, and watch-outs. Every answer cites its sources."
        ),
        (),
        line("Tap a role brief or an example question below, or just write your own. /help lists everything."),
        (),
        line(
            "For the search itself: "
            + ", ".join(f"/{name} ROLE ({what.split(':')[0]})" for name, _, what in toolkit.TOOLKIT_COMMANDS)
            + "."
        ),
    ]
    await send_doc(context.bot, Target.of(message), doc, keyboard)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The commands, plus the admin ones for admins."""
    svc = services(context)
    roles = await asyncio.to_thread(svc.advisor.roles)
    admin = is_admin(svc.settings, _user_id(update))
    await send_doc(context.bot, Target.of(message_of(update)), _help_doc(roles, admin, context.bot.username))


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION: the way to ask in a group without mentioning the bot."""
    await answer_question(context, _asker(update), command_argument(message_of(update)))


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question in private; in groups only when the bot is mentioned or replied to."""
    message = message_of(update)
    question = addressed_text(message, context.bot.username, context.bot.id)
    if question is None:
        log.debug("ignored a group message that does not address the bot (chat %s)", message.chat_id)
        return
    await answer_question(context, _asker(update), question)


async def brief(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/brief ROLE, or a role picker when no role is given."""
    message = message_of(update)
    role = command_argument(message)
    if not role:
        roles = await asyncio.to_thread(services(context).advisor.roles)
        await send_text(
            context.bot, Target.of(message), "Which role? Tap one, or send /brief ROLE.", roles_keyboard(roles)
        )
        return
    await send_brief(context, _user_id(update), Target.of(message), role)


async def compare(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/compare ROLE ROLE (also accepts 'CTO vs CMIO')."""
    message = message_of(update)
    target = Target.of(message)
    roles = command_argument(message).replace(",", " ").split()
    if len(roles) == 3 and roles[1].lower() in ("and", "vs", "vs."):
        roles = [roles[0], roles[2]]
    if len(roles) != 2:
        await send_text(context.bot, target, "Usage: /compare ROLE ROLE, e.g. /compare CTO CMIO")
        return
    if not await within_rate(context, _user_id(update), target):
        return
    try:
        svc = services(context)
        async with typing(context.bot, target), computing(svc):  # a CPU slot, like answers and briefs
            comparison = await svc.advisor.compare(roles[0], roles[1])
    except UnknownRoleError as exc:
        await send_text(context.bot, target, str(exc))
        return
    await send_doc(context.bot, target, comparison_doc(comparison))


async def sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The articles; admins also see the ids /remove takes."""
    svc = services(context)
    articles = await asyncio.to_thread(svc.advisor.articles)
    admin = is_admin(svc.settings, _user_id(update))
    doc = sources_doc(articles, title="Articles in the knowledge base", show_ids=admin)
    await send_doc(context.bot, Target.of(message_of(update)), doc)


async def reset(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget this conversation (this chat, or this forum topic) so follow-ups start afresh."""
    message = message_of(update)
    chat_id, thread_id = conversation_of(message)
    await asyncio.to_thread(services(context).state.reset, chat_id, thread_id)
    await send_text(context.bot, Target.of(message), "Done: I have forgotten this conversation.")


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """What is stored and for how long, in plain words, from the configured retention."""
    state = services(context).settings.state
    doc: Doc = [
        line(bold("What I store")),
        line(
            f"• Your questions, as conversation memory for follow-ups (the last {state.max_turns} per chat or topic)."
        ),
        line("• Questions I could not answer, so the administrators know which articles are missing."),
        line("• Your 👍 / 👎 votes on answers."),
        line("• Daily counts of questions answered and unanswered, with no names."),
        (),
        line(toolkit.CV_PRIVACY),
        (),
        line(f"Everything is deleted after {state.retention_days} days."),
        line("/reset forgets this conversation now; /forget_me deletes everything I store about you."),
    ]
    await send_doc(context.bot, Target.of(message_of(update)), doc)


async def forget_me(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Erase every stored row about the user, in every chat."""
    user_id = _user_id(update)
    deleted = await asyncio.to_thread(services(context).state.forget_user, user_id)
    text = f"Done: I deleted everything I stored about you ({deleted} records)."
    await send_text(context.bot, Target.of(message_of(update)), text)


async def other_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/brief_<role> shortcuts (roles come and go with articles), and a hint for unknown commands."""
    message = message_of(update)
    commands = message.parse_entities([MessageEntity.BOT_COMMAND])
    first = next((value for entity, value in commands.items() if entity.offset == 0), None)
    if first is None:
        return
    name, _, bot_name = first[1:].partition("@")
    if bot_name and bot_name.lower() != context.bot.username.lower():
        return  # another bot's command in a group
    shortcut = BRIEF_SHORTCUT.match(name)
    if shortcut:
        await send_brief(context, _user_id(update), Target.of(message), shortcut.group(1).upper())
    elif is_private(message):
        await send_text(context.bot, Target.of(message), "I don't know that command. /help lists what I can do.")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎, Sources, suggested questions and role-brief buttons."""
    query = update.callback_query
    if query is None:
        return
    press = parse(query.data)
    message = query.message if isinstance(query.message, Message) else None
    if press is None or message is None:
        await answer_button(query, EXPIRED)
        return
    svc = services(context)
    user_id = query.from_user.id
    private = is_private(message)
    target = Target(message.chat_id, topic_id(message), None if private else message.message_id)
    if press.kind == "fb":
        from_bot = message.from_user is not None and message.from_user.id == context.bot.id
        if from_bot:
            value = 1 if press.arg == "+" else -1
            await asyncio.to_thread(svc.state.add_feedback, user_id, message.chat_id, message.message_id, value)
        await answer_button(query, "Thanks for the feedback!")
        return
    await answer_button(query)
    if press.kind == "brief":
        await send_brief(context, user_id, target, press.arg)
    elif press.kind == "kit":
        await toolkit.send_kit(context, user_id, target, press.arg)
    elif press.kind == "card":
        await toolkit.send_scorecard(context, user_id, target, press.arg)
    elif press.kind == "jd":
        await toolkit.send_jd(context, user_id, target, press.arg)
    elif press.kind == "src":
        articles = await asyncio.to_thread(svc.advisor.articles)
        await send_doc(context.bot, target, full_sources_doc(list(press.sources), articles))
    else:
        await answer_question(context, Asker(user_id, target, conversation_of(message), private), press.arg)
