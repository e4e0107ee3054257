"""Admin journeys: add an article (upload or URL), re-ingest or repair, remove an article, usage stats.

Every change goes through ingest.changes, the service `python -m ingest add|remove` uses too, and so
through the versioned ingest (the live version switches only when the new one is complete), one at a
time: in this process by a lock, across processes by the ingest's own file lock. A non-admin gets a
refusal before anything is read, saved or run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.answer.advisor import UNAVAILABLE
from bot.telegram.access import ADMIN_ONLY, is_admin
from bot.telegram.conversation import addressed, command_argument, is_private, message_of
from bot.telegram.menu import publish_commands
from bot.telegram.render import Doc, bold, code, line, quoted, text_doc
from bot.telegram.send import Target, send_doc, send_text, typing
from bot.telegram.services import Services, services
from ingest.articles import (
    UploadRefused,
    max_upload_bytes,
    suffix_of,
)
from ingest.changes import Change, fetch_page
from ingest.errors import IngestError, LockedError, StoreUnavailableError
from ingest.loaders.urlfetch import UrlRefused
from ingest.report import IngestReport
from ingest.store.repair import RepairReport

log = logging.getLogger(__name__)

BUSY = "Another ingest is running, try again shortly."
T = TypeVar("T")
_MB = 1024 * 1024


async def _admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> bool:
    """True for admins; anyone else is refused (and logged by id) before anything happens."""
    user = update.effective_user
    if is_admin(services(context).settings, user.id if user else None):
        return True
    message = message_of(update)
    log.info("refused admin action %s from user %s in chat %s", action, user.id if user else None, message.chat_id)
    await send_text(context.bot, Target.of(message), ADMIN_ONLY)
    return False


@dataclass(frozen=True)
class _Command:
    """An admin command that passed the admin check: the services, where to answer, what follows it."""

    svc: Services
    message: Message
    target: Target
    argument: str


async def _admin_command(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> _Command | None:
    """The preamble every admin command shares; None when the sender was refused (and told so)."""
    if not await _admin_only(update, context, action):
        return None
    message = message_of(update)
    return _Command(services(context), message, Target.of(message), command_argument(message))


async def _busy(context: ContextTypes.DEFAULT_TYPE, svc: Services, target: Target) -> bool:
    """True (and the admin is told) while another change runs in this process; they go one at a time."""
    if not svc.ingest_lock.locked():
        return False
    await send_text(context.bot, target, BUSY)
    return True


async def _change(
    context: ContextTypes.DEFAULT_TYPE, svc: Services, run: Callable[[], T], refused: str = "Not done"
) -> T | str:
    """Run one knowledge change off the event loop; a message for the admin if it could not run.

    The service has already undone a change that did not go in, so what the admin reads is true.
    """
    try:
        outcome = await asyncio.to_thread(run)
    except LockedError:
        return BUSY
    except StoreUnavailableError as exc:
        # Said here, not by the error handler: the admin must know nothing was changed.
        log.warning("knowledge change not made, the store is unavailable: %s", exc)
        return f"{refused}: {UNAVAILABLE} Nothing changed; try again when it is back."
    except IngestError as exc:
        log.warning("knowledge change from chat failed: %s", exc)
        return f"The ingest failed: {exc}"
    report = outcome.report if isinstance(outcome, Change) else outcome
    report = report.ingest if isinstance(report, RepairReport) else report
    if isinstance(report, IngestReport) and report.status == "activated":
        log.info("knowledge change from chat: version %s is live", report.version)
        await publish_commands(context.bot, svc)
    return outcome


async def _add_article(context: ContextTypes.DEFAULT_TYPE, target: Target, name: str, data: bytes) -> None:
    svc = services(context)
    outcome = await _change(context, svc, lambda: svc.changes.add(name, data), "Not added")
    await _tell(context, target, outcome)


async def _tell(context: ContextTypes.DEFAULT_TYPE, target: Target, outcome: Change | str) -> None:
    """A change's outcome: the article's id set as code, then the ingest's summary."""
    if isinstance(outcome, str):
        await send_text(context.bot, target, outcome)
        return
    if not outcome.done or outcome.report is None or outcome.article is None:
        await send_text(context.bot, target, outcome.summary())
        return
    verb = outcome.message.split(" ", 1)[0]  # "Added as x." / "Removed x."
    head = line(f"{verb} as " if verb == "Added" else f"{verb} ", code(outcome.article), ".")
    await send_doc(context.bot, target, [head, *text_doc(outcome.report.summary())])


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's upload becomes an article; in groups only when the bot is addressed."""
    message = message_of(update)
    if not addressed(message, context.bot.username, context.bot.id):
        return
    if not await _admin_only(update, context, "upload"):
        return
    svc = services(context)
    target = Target.of(message)
    document = message.document
    if document is None:
        return
    limit = max_upload_bytes(svc.settings)
    try:
        suffix_of(document.file_name or "")
    except UploadRefused as exc:
        await send_text(context.bot, target, f"Not added: {exc.reason}")
        return
    if document.file_size is not None and document.file_size > limit:
        await send_text(context.bot, target, f"Not added: the file is larger than {limit // _MB} MB.")
        return
    if await _busy(context, svc, target):
        return
    async with svc.ingest_lock, typing(context.bot, target):
        data = bytes(await (await document.get_file()).download_as_bytearray())
        if len(data) > limit:
            await send_text(context.bot, target, f"Not added: the file is larger than {limit // _MB} MB.")
            return
        await _add_article(context, target, document.file_name or "", data)


async def ingest_url(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Add a web page as an article; the fetch refuses private and metadata addresses (SSRF)."""
    command = await _admin_command(update, context, "ingest_url")
    if command is None:
        return
    svc, target, url = command.svc, command.target, command.argument
    if not url:
        await send_text(context.bot, target, "Usage: /ingest_url https://example.org/article")
        return
    if await _busy(context, svc, target):
        return
    async with svc.ingest_lock, typing(context.bot, target):
        try:
            page = await fetch_page(svc.settings, url)
        except UrlRefused as exc:
            await send_text(context.bot, target, f"Not added: {exc.reason}")
            return
        await _add_article(context, target, page.suggested_name, page.body)


async def ingest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Re-run the ingest, e.g. after files were changed on disk; `/ingest repair` as `--repair` does."""
    command = await _admin_command(update, context, "ingest")
    if command is None:
        return
    svc, target = command.svc, command.target
    if command.argument not in ("", "repair"):
        await send_text(context.bot, target, "Usage: /ingest, or /ingest repair to drop damaged versions and rebuild.")
        return
    if await _busy(context, svc, target):
        return
    run: Callable[[], IngestReport | RepairReport] = (
        svc.changes.repair if command.argument == "repair" else svc.changes.reingest
    )
    async with svc.ingest_lock, typing(context.bot, target):
        outcome = await _change(context, svc, run)
    await send_text(context.bot, target, outcome if isinstance(outcome, str) else outcome.summary())


async def remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remove an article by its id as /sources shows it; put back if the ingest cannot run."""
    command = await _admin_command(update, context, "remove")
    if command is None:
        return
    svc, target, doc_id = command.svc, command.target, command.argument
    articles = await asyncio.to_thread(svc.advisor.articles)
    if not doc_id or doc_id not in {a.path for a in articles}:
        await send_text(context.bot, target, "Usage: /remove DOC, with DOC an article id as /sources lists them.")
        return
    if await _busy(context, svc, target):
        return
    async with svc.ingest_lock, typing(context.bot, target):
        outcome = await _change(context, svc, lambda: svc.changes.remove(doc_id), "Not removed")
    await _tell(context, target, outcome)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Usage and gaps; private chats only, since gaps are other users' questions."""
    command = await _admin_command(update, context, "stats")
    if command is None:
        return
    svc, target = command.svc, command.target
    if not is_private(command.message):
        await send_text(context.bot, target, "Please use /stats in a private chat with me.")
        return
    numbers = await asyncio.to_thread(svc.state.stats)
    health = await asyncio.to_thread(svc.advisor.health)
    doc: Doc = [line(bold("Knowledge base"))]
    if health.serving is not None:
        doc.append(line(f"Articles: {health.articles} · chunks: {health.chunks} · answering from: {health.serving}"))
    if health.damage is not None:
        doc.append(line("⚠️ ", health.damage, ". Run ", code("/ingest repair"), " to rebuild from the articles."))
    if svc.state.recovered is not None:
        doc.append(line("⚠️ ", svc.state.recovered))
    doc += [
        (),
        line(bold(f"Questions (last {svc.settings.state.retention_days} days)")),
        line(f"Asked: {numbers.questions} · answered: {numbers.answered} · unanswered: {numbers.unanswered}"),
        line(f"Feedback: 👍 {numbers.feedback_up} · 👎 {numbers.feedback_down}"),
        (),
        line(bold("Gaps (unanswered, most asked first)")),
    ]
    doc += [line("• ", *quoted(text), f" (×{count})") for text, count in numbers.gaps] or [line("None so far.")]
    await send_doc(context.bot, target, doc)
