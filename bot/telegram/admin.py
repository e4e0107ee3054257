"""Admin journeys: add an article (upload or URL), re-ingest, remove an article, usage stats.

Every change goes through the same versioned ingest as `make ingest` (the live version switches only
when the new one is complete), one at a time: in this process by a lock, across processes by the
ingest's own file lock. A non-admin gets a refusal before anything is read, saved or run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.advisor import UNAVAILABLE
from bot.telegram.access import ADMIN_ONLY, is_admin
from bot.telegram.conversation import addressed, is_private
from bot.telegram.menu import publish_commands
from bot.telegram.render import Doc, bold, code, line, quoted, text_doc
from bot.telegram.send import Target, send_doc, send_text, typing
from bot.telegram.services import Services, services
from bot.telegram.uploads import (
    UploadRefused,
    article_path,
    hide,
    load_limits,
    max_upload_bytes,
    safe_name,
    store,
    suffix_of,
    unhide,
)
from bot.urlfetch import UrlRefused, fetch_url
from ingest.errors import IngestError, LockedError, StoreUnavailableError
from ingest.pipeline import Ingestor
from ingest.report import IngestReport

log = logging.getLogger(__name__)

BUSY = "Another ingest is running, try again shortly."
_MB = 1024 * 1024


def _message(update: Update) -> Message:
    message = update.effective_message
    if message is None:
        raise RuntimeError("an admin handler got an update without a message")
    return message


async def _admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> bool:
    """True for admins; anyone else is refused (and logged by id) before anything happens."""
    user = update.effective_user
    if is_admin(services(context).settings, user.id if user else None):
        return True
    message = _message(update)
    log.info("refused admin action %s from user %s in chat %s", action, user.id if user else None, message.chat_id)
    await send_text(context.bot, Target.of(message), ADMIN_ONLY)
    return False


def _argument(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


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
    message = _message(update)
    return _Command(services(context), message, Target.of(message), _argument(message))


async def _busy(context: ContextTypes.DEFAULT_TYPE, svc: Services, target: Target) -> bool:
    """True (and the admin is told) while another change runs in this process; they go one at a time."""
    if not svc.ingest_lock.locked():
        return False
    await send_text(context.bot, target, BUSY)
    return True


async def _ingest(context: ContextTypes.DEFAULT_TYPE, svc: Services, repair: bool = False) -> IngestReport | str:
    """Run the versioned ingest (or a repair) off the event loop; a message for the admin if it could not run.

    The caller tells the admin only after it has tidied up, so what they read is already true.
    """
    ingestor = Ingestor(svc.settings, svc.advisor.index.embedder)
    try:
        if repair:
            repaired = await asyncio.to_thread(ingestor.repair)
            log.info("repair from chat: %d damaged parts found", len(repaired.found))
            if repaired.ingest is not None and repaired.ingest.status == "activated":
                await publish_commands(context.bot, svc)
            return repaired.summary()
        report = await asyncio.to_thread(ingestor.run)
    except LockedError:
        return BUSY
    except StoreUnavailableError:
        raise  # the error handler's "temporarily unavailable"
    except IngestError as exc:
        log.warning("ingest from chat failed: %s", exc)
        return f"The ingest failed: {exc}"
    log.info("ingest from chat: %s (version %s)", report.status, report.version)
    if report.status == "activated":
        await publish_commands(context.bot, svc)
    return report


async def _add_article(context: ContextTypes.DEFAULT_TYPE, target: Target, name: str, data: bytes) -> None:
    """Validate and save under a generated name, ingest; the file is removed again unless it went in."""
    svc = services(context)
    try:
        path = await asyncio.to_thread(store, svc.settings.knowledge.dir, name, data, load_limits(svc.settings))
    except UploadRefused as exc:
        await send_text(context.bot, target, f"Not added: {exc.reason}")
        return
    kept = False
    try:
        try:
            outcome = await _ingest(context, svc)
        except StoreUnavailableError as exc:
            # Said here, not by the error handler: the admin must know the file was not kept.
            log.warning("upload not added, the knowledge store is unavailable: %s", exc)
            outcome = f"Not added: {UNAVAILABLE} Nothing changed; send the file again when it is back."
        if isinstance(outcome, IngestReport):
            failed = next((e for e in outcome.errors if e.path == name), None)
            if failed is not None:
                outcome = f"Not added: {failed.reason}"
            elif outcome.status == "gate_failed":
                # Kept, it would fail every later ingest too; the admin gets the gate's reasons.
                outcome = f"Not added: the quality gate refused it.\n{outcome.summary()}"
            else:
                kept = True
    finally:
        if not kept:
            await asyncio.to_thread(Path.unlink, path, True)
    if isinstance(outcome, str):
        await send_text(context.bot, target, outcome)
        return
    doc: Doc = [line("Added as ", code(name), "."), *text_doc(outcome.summary())]
    await send_doc(context.bot, target, doc)


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An admin's upload becomes an article; in groups only when the bot is addressed."""
    message = _message(update)
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
        name = await asyncio.to_thread(safe_name, document.file_name or "", data)  # hashes up to 20 MB
        await _add_article(context, target, name, data)


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
    tg = svc.settings.telegram
    async with svc.ingest_lock, typing(context.bot, target):
        try:
            page = await fetch_url(
                url,
                max_bytes=min(int(tg.url_fetch_max_mb * _MB), max_upload_bytes(svc.settings)),
                timeout_s=tg.url_fetch_timeout_s,
                allow_loopback=tg.url_allow_loopback,
            )
        except UrlRefused as exc:
            await send_text(context.bot, target, f"Not added: {exc.reason}")
            return
        name = await asyncio.to_thread(safe_name, page.suggested_name, page.body)
        await _add_article(context, target, name, page.body)


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
    async with svc.ingest_lock, typing(context.bot, target):
        outcome = await _ingest(context, svc, repair=command.argument == "repair")
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
        try:
            path = await asyncio.to_thread(article_path, svc.settings.knowledge.dir, doc_id)
        except UploadRefused as exc:
            await send_text(context.bot, target, f"Not removed: {exc.reason}")
            return
        hidden = await asyncio.to_thread(hide, path)
        outcome: IngestReport | str = "The ingest did not run."
        try:
            outcome = await _ingest(context, svc)
            if isinstance(outcome, IngestReport) and outcome.status == "gate_failed":
                outcome = f"Not removed: the quality gate refused the new version.\n{outcome.summary()}"
        finally:
            if isinstance(outcome, IngestReport):
                await asyncio.to_thread(Path.unlink, hidden, True)
            else:
                await asyncio.to_thread(unhide, hidden, path)
    if isinstance(outcome, str):
        await send_text(context.bot, target, outcome)
        return
    await send_doc(context.bot, target, [line("Removed ", code(doc_id), "."), *text_doc(outcome.summary())])


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
