"""The hiring toolkit in Telegram: /interview, /scorecard and /jd ROLE, and the role brief's toolkit buttons.

Every document is built by bot.toolkit's service in a worker thread, holding one of the CPU slots and
counted by the rate limit, as briefs are; the handlers only pick the role, the chat and the rendering.
"""

from __future__ import annotations

import asyncio
import functools
import html
import logging
from collections.abc import Callable
from typing import TypeVar

from telegram import Bot, Message, Update
from telegram.ext import ContextTypes

from bot.answer.advisor import UnknownRoleError
from bot.telegram.answering import computing, within_rate
from bot.telegram.conversation import command_argument, message_of
from bot.telegram.keyboards import RoleKind, roles_keyboard
from bot.telegram.send import Target, deliver, send_doc, send_text, typing
from bot.telegram.services import services
from bot.telegram.toolkit_render import jd_doc, kit_doc, scorecard_doc
from bot.toolkit.documents import jd_docx, scorecard_docx
from bot.toolkit.jd import JobDescription
from bot.toolkit.scorecard import Scorecard
from ingest.articles import slugify

log = logging.getLogger(__name__)

T = TypeVar("T")
TOOLKIT_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("interview", "An interview kit for a role: /interview ROLE", "an interview kit: questions, probes, red flags"),
    ("scorecard", "A scorecard to rate candidates: /scorecard ROLE", "a scorecard: a Word table to rate candidates"),
    ("jd", "A job-description draft: /jd ROLE", "a job-description draft to edit, with a Word copy"),
    ("screen", "Check a CV against a role (private): /screen ROLE", "a CV's evidence per criterion (private chats)"),
)
"""(command, its line in the command menu, what /help says it gives): the toolkit as users find it."""
CV_PRIVACY = (
    "CVs sent for /screen (private chats only) are read in memory for the reply alone: never stored, "
    "never logged, gone once I have answered."
)
"""What /privacy says of CVs (bot.telegram.cv_check holds to it)."""
INLINE_SHARES = "a kit, “jd” for a draft"
"""What inline mode offers besides briefs (inline.py), as /help names it."""
MAX_ROLE_CHARS = 120
"""A role is a word or a title; a longer argument is not one (and is not echoed back)."""


def user_id_of(update: Update) -> int:
    user = update.effective_user
    if user is None:
        raise RuntimeError("an update without a user reached a user handler")
    return user.id


async def role_argument(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: RoleKind, command: str) -> str | None:
    """The role after the command; with none, a role picker whose buttons do the same (and None)."""
    message = message_of(update)
    role = command_argument(message)
    if role and len(role) <= MAX_ROLE_CHARS:
        return role
    roles = await asyncio.to_thread(services(context).advisor.roles)
    text = f"Which role? Tap one, or send /{command} ROLE."
    await send_text(context.bot, Target.of(message), text, roles_keyboard(roles, kind))
    return None


async def built(
    context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target, build: Callable[[str], T], role: str
) -> T | None:
    """`build(role)` in a worker thread holding a CPU slot, rate-limited like a brief; None (and the user
    told which roles there are) when no article is about the role."""
    if not await within_rate(context, user_id, target):
        return None
    svc = services(context)
    try:
        async with typing(context.bot, target), computing(svc):
            return await asyncio.to_thread(build, role)
    except UnknownRoleError as exc:
        await send_text(context.bot, target, str(exc))
        return None


async def send_kit(context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target, role: str) -> None:
    """The role's interview kit, split between lines when it is longer than one message."""
    svc = services(context)
    kit = await built(context, user_id, target, svc.toolkit.kit, role)
    if kit is None:
        return
    kit = await svc.toolkit.phrased(kit)  # LLM mode: the model phrases the questions; templates otherwise
    log.info(
        "interview kit for %s (%d competencies) to user %s in chat %s",
        kit.criteria.role,
        len(kit.competencies),
        user_id,
        target.chat_id,
    )
    await send_doc(context.bot, target, kit_doc(kit))


async def interview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/interview ROLE, or a role picker; in groups too, for the hiring committee."""
    role = await role_argument(update, context, "kit", "interview")
    if role is not None:
        await send_kit(context, user_id_of(update), Target.of(message_of(update)), role)


def file_name(kind: str, role: str) -> str:
    """'scorecard-cto.docx': the role as a file name can hold it, whatever an article calls it."""
    slug = slugify(role)[:40].strip("-") or "role"
    return f"{kind}-{slug}.docx"


async def send_file(bot: Bot, target: Target, data: bytes, name: str, caption: str) -> Message:
    """A document from bytes in memory (nothing is written to disk), retried like every message."""
    return await deliver(
        "sendDocument",
        functools.partial(
            bot.send_document,
            target.chat_id,
            data,
            filename=name,
            caption=html.escape(caption, quote=False),
            message_thread_id=target.thread_id,
        ),
    )


def _scorecard_file(svc_scorecard: Callable[[str], Scorecard], role: str) -> tuple[Scorecard, bytes]:
    card = svc_scorecard(role)
    return card, scorecard_docx(card)


def _jd_file(svc_jd: Callable[[str], JobDescription], role: str) -> tuple[JobDescription, bytes]:
    draft = svc_jd(role)
    return draft, jd_docx(draft)


async def send_scorecard(context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target, role: str) -> None:
    """A short summary, then the scorecard as a Word document (built in memory)."""
    build = functools.partial(_scorecard_file, services(context).toolkit.scorecard)
    made = await built(context, user_id, target, build, role)
    if made is None:
        return
    card, data = made
    log.info("scorecard for %s (%d criteria) to user %s in chat %s", card.role, len(card.rows), user_id, target.chat_id)
    await send_doc(context.bot, target, scorecard_doc(card))
    await send_file(context.bot, target, data, file_name("scorecard", card.role), card.heading)


async def send_jd(context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target, role: str) -> None:
    """The draft as a message to read, then as a Word document to edit."""
    made = await built(context, user_id, target, functools.partial(_jd_file, services(context).toolkit.jd), role)
    if made is None:
        return
    draft, data = made
    log.info("job-description draft for %s to user %s in chat %s", draft.role, user_id, target.chat_id)
    await send_doc(context.bot, target, jd_doc(draft))
    await send_file(context.bot, target, data, file_name("job-description", draft.role), draft.heading)


async def scorecard(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/scorecard ROLE, or a role picker; in groups too, for the hiring committee."""
    role = await role_argument(update, context, "card", "scorecard")
    if role is not None:
        await send_scorecard(context, user_id_of(update), Target.of(message_of(update)), role)


async def jd(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/jd ROLE, or a role picker."""
    role = await role_argument(update, context, "jd", "jd")
    if role is not None:
        await send_jd(context, user_id_of(update), Target.of(message_of(update)), role)
