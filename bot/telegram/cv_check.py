"""CV evidence checks in Telegram (/screen ROLE): private chats only, the CV held in memory for one reply.

A CV is personal data of someone who is not a user. So a group gets a refusal before anything is
downloaded; the file's bytes live in this handler's locals only (never the state database, the disk or
the logs, not even the file's name at INFO) and are dropped once the reply is sent. "Send me the CV"
is remembered in memory only (the role, for PENDING_S), per chat and user.

python-telegram-bot logs every Bot API call's parameters and result at DEBUG, which would put the
reply's quotes from the CV in the logs: `Withheld` blanks those records while a CV is being checked
(a context variable, so every other chat's calls are logged as usual).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.answer.advisor import UnknownRoleError
from bot.answer.roles import full_title
from bot.telegram import admin
from bot.telegram.answering import computing, within_rate
from bot.telegram.conversation import command_argument, is_private, message_of
from bot.telegram.send import Target, send_doc, send_text, typing
from bot.telegram.services import Services, services
from bot.telegram.toolkit import MAX_ROLE_CHARS, user_id_of
from bot.telegram.toolkit_render import screening_doc
from bot.toolkit.cvtext import CVRefused
from ingest.articles import max_upload_bytes

log = logging.getLogger(__name__)

PENDING_S = 600.0
"""How long "/screen ROLE" waits for its CV file."""
PRIVATE_ONLY = (
    "CV checks are private: a CV is someone's personal data. Please send /screen ROLE to me in a private chat."
)
PRIVACY = "I read the CV in memory for the reply only: never stored, never logged, gone once I have answered."
ASK_FOR_CV = (
    "Send me the candidate's CV (PDF, DOCX, TXT or Markdown, up to {mb} MB) for the {title} check within "
    "{minutes} minutes, or send the file with the caption /screen ROLE. " + PRIVACY
)
USAGE = "Which role? Send /screen ROLE (e.g. /screen {example}), then the CV; or the CV with the caption /screen ROLE."
PTB_LOGGERS = ("telegram.Bot", "telegram.ext.ExtBot")
"""The loggers python-telegram-bot dumps Bot API parameters and results to, at DEBUG."""
_MB = 1024 * 1024
_CHECKING: ContextVar[bool] = ContextVar("checking_a_cv", default=False)


class Withheld(logging.Filter):
    """Blanks python-telegram-bot's records of Bot API calls made while a CV is being checked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _CHECKING.get():
            record.msg, record.args = "Bot API call during a CV check (parameters withheld)", None
        return True


def withhold_cv_calls() -> None:
    """Install the filter on python-telegram-bot's loggers (once per process)."""
    for name in PTB_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, Withheld) for f in logger.filters):
            logger.addFilter(Withheld())


@contextlib.contextmanager
def checking() -> Iterator[None]:
    token = _CHECKING.set(True)
    try:
        yield
    finally:
        _CHECKING.reset(token)


def _pending(svc: Services, message: Message, user_id: int) -> str | None:
    """The role a "/screen ROLE" in this private chat waits a CV for (and forget it: one file per request)."""
    now = time.monotonic()
    svc.cv_requests = {k: v for k, v in svc.cv_requests.items() if v[0] > now}
    found = svc.cv_requests.pop((message.chat_id, user_id), None)
    return found[1] if found else None


def _caption_command(message: Message, bot_name: str) -> str | None:
    """The role of a "/screen ROLE" caption ("" with none), or None when the caption is no /screen for us."""
    parts = (message.caption or "").split(maxsplit=1)
    if not parts or not parts[0].startswith("/"):
        return None
    name, _, addressee = parts[0][1:].partition("@")
    if name.lower() != "screen" or (addressee and addressee.lower() != bot_name.lower()):
        return None
    return parts[1].strip() if len(parts) > 1 else ""


async def screen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/screen ROLE: in a private chat, wait for the CV; in a group, refuse."""
    message = message_of(update)
    target = Target.of(message)
    svc = services(context)
    if not is_private(message):
        await send_text(context.bot, target, PRIVATE_ONLY)
        return
    role = command_argument(message)
    if not role or len(role) > MAX_ROLE_CHARS:
        roles = await asyncio.to_thread(svc.advisor.roles)
        await send_text(context.bot, target, USAGE.format(example=roles[0] if roles else "CTO"))
        return
    try:
        resolved = await asyncio.to_thread(svc.advisor.role, role)
    except UnknownRoleError as exc:
        await send_text(context.bot, target, str(exc))
        return
    svc.cv_requests[(message.chat_id, user_id_of(update))] = (time.monotonic() + PENDING_S, resolved)
    limit = max_upload_bytes(svc.settings) // _MB
    text = ASK_FOR_CV.format(mb=limit, title=full_title(resolved), minutes=int(PENDING_S // 60))
    await send_text(context.bot, target, text)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A CV (captioned /screen ROLE, or after /screen ROLE in this private chat) is checked; any other
    document is an admin's upload (admin.on_document)."""
    message = message_of(update)
    svc = services(context)
    role = _caption_command(message, context.bot.username)
    if role is None and is_private(message):
        role = _pending(svc, message, user_id_of(update))
    if role is None:
        await admin.on_document(update, context)
        return
    target = Target.of(message)
    if not is_private(message):
        await send_text(context.bot, target, PRIVATE_ONLY)
    elif not role or len(role) > MAX_ROLE_CHARS:
        await send_text(context.bot, target, USAGE.format(example="CTO"))
    else:
        await _check(context, message, user_id_of(update), role)


async def _check(context: ContextTypes.DEFAULT_TYPE, message: Message, user_id: int, role: str) -> None:
    """Download the CV into memory, check it in a worker thread, reply; nothing of it outlives the reply."""
    svc = services(context)
    target = Target.of(message)
    document = message.document
    limit = max_upload_bytes(svc.settings)
    too_large = f"Not read: the file is larger than {limit // _MB} MB."
    if document is None:
        return
    if document.file_size is not None and document.file_size > limit:
        await send_text(context.bot, target, too_large)
        return
    if not await within_rate(context, user_id, target):
        return
    with checking():
        try:
            async with typing(context.bot, target):
                data = bytes(await (await document.get_file()).download_as_bytearray())
                if len(data) > limit:
                    await send_text(context.bot, target, too_large)
                    return
                async with computing(svc):
                    screening = await asyncio.to_thread(svc.toolkit.screen, role, data, document.file_name or "")
        except CVRefused as exc:
            log.info("CV check for user %s refused the file", user_id)
            await send_text(context.bot, target, f"Not read: {exc.reason}")
            return
        except UnknownRoleError as exc:
            await send_text(context.bot, target, str(exc))
            return
        finally:
            data = b""
        found = sum(1 for f in screening.findings if f.evidence)
        log.info(
            "CV check for %s to user %s: %d criteria, %d with evidence",
            screening.criteria.role,
            user_id,
            len(screening.findings),
            found,
        )
        await send_doc(context.bot, target, screening_doc(screening))
