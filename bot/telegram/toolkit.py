"""The hiring toolkit in Telegram: /interview ROLE (and the role brief's toolkit buttons).

Every document is built by bot.toolkit's service in a worker thread, holding one of the CPU slots and
counted by the rate limit, as briefs are; the handlers only pick the role, the chat and the rendering.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from telegram import Update
from telegram.ext import ContextTypes

from bot.answer.advisor import UnknownRoleError
from bot.telegram.answering import cached_brief, computing, within_rate
from bot.telegram.conversation import command_argument, message_of
from bot.telegram.keyboards import RoleKind, roles_keyboard, tools_keyboard
from bot.telegram.render import brief_doc
from bot.telegram.send import Target, send_doc, send_text, typing
from bot.telegram.services import services
from bot.telegram.toolkit_render import kit_doc

log = logging.getLogger(__name__)

T = TypeVar("T")
TOOLKIT_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("interview", "An interview kit for a role: /interview ROLE", "an interview kit: questions, probes, red flags"),
)
"""(command, its line in the command menu, what /help says it gives): the toolkit as users find it."""
BRIEF_TOOLS: tuple[RoleKind, ...] = ("kit",)
"""The toolkit's buttons under a role brief."""
INLINE_SHARES = "a kit"
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
    kit = await built(context, user_id, target, services(context).toolkit.kit, role)
    if kit is None:
        return
    log.info(
        "interview kit for %s (%d competencies) to user %s in chat %s",
        kit.criteria.role,
        len(kit.competencies),
        user_id,
        target.chat_id,
    )
    await send_doc(context.bot, target, kit_doc(kit))


async def send_role_brief(context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target, role: str) -> None:
    """A role brief, with the toolkit for that role one tap away under it."""
    if not await within_rate(context, user_id, target):
        return
    try:
        async with typing(context.bot, target):
            brief = await cached_brief(services(context), role)
    except UnknownRoleError as exc:
        await send_text(context.bot, target, str(exc))
        return
    await send_doc(context.bot, target, brief_doc(brief), tools_keyboard(brief.role, BRIEF_TOOLS))


async def interview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/interview ROLE, or a role picker; in groups too, for the hiring committee."""
    role = await role_argument(update, context, "kit", "interview")
    if role is not None:
        await send_kit(context, user_id_of(update), Target.of(message_of(update)), role)
