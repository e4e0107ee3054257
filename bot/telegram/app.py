"""Entry point of the Telegram front end: builds and wires the Application, nothing else.

As in python-telegram-bot's own rules-bot: services are built here, resources are opened in
post_init and closed in post_shutdown, handlers live in their own modules and find the services in
bot_data, and one error handler catches what they raise.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import re
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.answer.advisor import Advisor
from bot.env import TELEGRAM_TOKEN, load_secrets, revealed
from bot.settings import Settings
from bot.telegram import admin, cv_check, handlers, inline, toolkit
from bot.telegram.access import gate
from bot.telegram.buttons_file import ButtonsFile, buttons_path
from bot.telegram.errors import on_error
from bot.telegram.follow import follow_live
from bot.telegram.menu import complete_menu, publish_commands
from bot.telegram.ordering import ChatOrderedProcessor
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.send import NO_PREVIEW
from bot.telegram.services import SERVICES_KEY, Services
from bot.telegram.state import StateStore
from bot.toolkit.service import Toolkit
from ingest.changes import KnowledgeChanges
from ingest.errors import IngestError
from ingest.logs import redactor

log = logging.getLogger(__name__)

TelegramApp = Application[Any, Any, Any, Any, Any, Any]

ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
MAX_ACTIVE_UPDATES = 16
"""Updates handled at once (across conversations); the embedding work itself runs in threads."""
EXIT_CONFIG = 2
MENU_RETRY_MIN_S = 0.5
"""The menu's retry follows store.refresh_seconds, but never spins."""
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class WebhookConfigError(ValueError):
    """Webhook mode is configured but cannot start safely; the message says what to fix."""


@dataclass(frozen=True)
class WebhookConfig:
    """What `run_webhook` / `Updater.start_webhook` need, derived from settings and the environment."""

    listen: str
    port: int
    url_path: str
    webhook_url: str
    secret_token: str


def webhook_config(settings: Settings) -> WebhookConfig:
    """Webhook parameters; the secret token is REQUIRED, or anyone who finds the URL could post updates."""
    tg = settings.telegram
    if not tg.webhook_url:
        raise WebhookConfigError("telegram.webhook_url is not set")
    token = revealed(load_secrets(settings).webhook_secret)
    if token is None:
        raise WebhookConfigError(
            f"webhook mode needs a secret token: set the {tg.webhook_secret_env} environment variable "
            "(1-256 characters of A-Z, a-z, 0-9, _ and -)"
        )
    if not _SECRET_TOKEN.match(token):
        raise WebhookConfigError(f"{tg.webhook_secret_env} may only hold 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return WebhookConfig(
        tg.webhook_listen, tg.webhook_port, urlsplit(tg.webhook_url).path.strip("/"), tg.webhook_url, token
    )


def _services(app: TelegramApp) -> Services:
    found = app.bot_data.get(SERVICES_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("the Application was not built by build_application")
    return found


async def _post_init(app: TelegramApp) -> None:
    """Open the state store, apply retention, publish the command menu, warm the model up."""
    svc = _services(app)
    if svc.state_store is None:
        cfg = svc.settings.state
        svc.state_store = await asyncio.to_thread(StateStore, cfg.path, cfg.retention_days, cfg.max_turns)
    purged = await asyncio.to_thread(svc.state.purge_expired)
    log.info("state store open (%d expired rows purged)", purged)
    try:
        await asyncio.to_thread(svc.advisor.warm_up)
    except IngestError as exc:  # the bot still starts; users get "temporarily unavailable" until it is back
        log.warning("knowledge base not ready at start-up: %s", exc)
    # Even then: /start, /help and the rest work without the store; the role shortcuts follow when it is back.
    if not await publish_commands(app.bot, svc):
        every_s = max(svc.settings.store.refresh_seconds, MENU_RETRY_MIN_S)
        svc.menu_task = asyncio.create_task(complete_menu(app.bot, svc, every_s), name="complete-menu")
    if svc.settings.store.mode == "embedded":  # where opening a version costs most: a verified private copy
        svc.follow_task = asyncio.create_task(follow_live(svc.advisor), name="follow-live")
    # What is loaded by now (torch, the model, Chroma, the index: ~0.5 M objects) lives as long as the bot.
    # Frozen, the cycle collector stops re-scanning it: under load a full collection held the loop (and
    # the GIL) for 0.4 s of CPU, 1.5 s on a busy machine (tests/test_load.py); now it scans only newer objects.
    gc.freeze()


async def _post_stop(app: TelegramApp) -> None:
    """Stop what post_init started in the background, while the bot can still make requests."""
    svc = _services(app)
    for task in (svc.menu_task, svc.follow_task):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    svc.menu_task = svc.follow_task = None


async def _post_shutdown(app: TelegramApp) -> None:
    """Close only what post_init opened; a store passed in belongs to the caller."""
    gc.unfreeze()  # what post_init froze is the collector's again (a process may start another Application)
    svc = _services(app)
    await svc.advisor.aclose()  # the LLM client's connections belong to this loop, which is about to close
    if svc.owns_state and svc.state_store is not None:
        await asyncio.to_thread(svc.state_store.close)
        svc.state_store = None


def _register(app: TelegramApp) -> None:
    """Order matters within group 0: commands first, then other commands, documents, plain text."""
    only_new = filters.UpdateType.MESSAGE  # an edited message is not a new question
    app.add_handler(TypeHandler(Update, gate), group=-1)
    commands = {
        "start": handlers.start,
        "help": handlers.help_command,
        "ask": handlers.ask,
        "brief": handlers.brief,
        "compare": handlers.compare,
        "interview": toolkit.interview,
        "scorecard": toolkit.scorecard,
        "jd": toolkit.jd,
        "screen": cv_check.screen,
        "sources": handlers.sources,
        "reset": handlers.reset,
        "privacy": handlers.privacy,
        "forget_me": handlers.forget_me,
        "ingest": admin.ingest,
        "ingest_url": admin.ingest_url,
        "remove": admin.remove,
        "stats": admin.stats,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=only_new))
    app.add_handler(MessageHandler(filters.COMMAND & only_new, handlers.other_command))
    # CVs for /screen first; every other document goes on to admin.on_document.
    app.add_handler(MessageHandler(filters.Document.ALL & only_new, cv_check.on_document))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & only_new, handlers.on_text))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(InlineQueryHandler(inline.on_inline_query))
    app.add_error_handler(on_error)


def build_application(
    settings: Settings,
    advisor: Advisor,
    token: str | None = None,
    *,
    state: StateStore | None = None,
    changes: KnowledgeChanges | None = None,
) -> TelegramApp:
    """The Application for this bot; the token defaults to TELEGRAM_BOT_TOKEN from the environment.

    `state` lets a caller share a store (then the caller closes it).
    """
    token = token or revealed(load_secrets(settings).telegram_token)
    if not token:
        raise ValueError(f"{TELEGRAM_TOKEN} is not set")
    redactor().add(token)
    cv_check.withhold_cv_calls()
    tg = settings.telegram
    changes = changes or KnowledgeChanges(settings)  # its own model, loaded at the first change, unless shared
    services = Services(
        settings,
        advisor,
        RateLimiter(tg.rate_limit_per_minute),
        changes,
        Toolkit(advisor),
        state_store=state,
        owns_state=state is None,
    )
    app: TelegramApp = (
        ApplicationBuilder()
        .token(token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=tg.max_retries))
        .concurrent_updates(ChatOrderedProcessor(MAX_ACTIVE_UPDATES))
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW))
        # Buttons carry their request server-side (keyboards.py), saved across restarts as JSON.
        .arbitrary_callback_data(True)
        .persistence(ButtonsFile(buttons_path(settings)))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data[SERVICES_KEY] = services
    _register(app)
    return app


def run_telegram(settings: Settings, advisor: Advisor, token: str, changes: KnowledgeChanges | None = None) -> int:
    """Run until stopped: long polling, or a webhook server when telegram.webhook_url is set."""
    redactor().add(token)
    hook: WebhookConfig | None = None
    if settings.telegram.webhook_url:
        try:
            hook = webhook_config(settings)
        except WebhookConfigError as exc:
            log.error("not starting the Telegram bot: %s", exc)
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        redactor().add(hook.secret_token)
    app = build_application(settings, advisor, token, changes=changes)
    try:
        if hook is None:
            log.info("Telegram bot starting (long polling)")
            app.run_polling(allowed_updates=ALLOWED_UPDATES)
        else:
            log.info("Telegram bot starting (webhook on %s:%d)", hook.listen, hook.port)
            app.run_webhook(
                listen=hook.listen,
                port=hook.port,
                url_path=hook.url_path,
                webhook_url=hook.webhook_url,
                secret_token=hook.secret_token,
                allowed_updates=ALLOWED_UPDATES,
            )
    except InvalidToken:
        # PTB's message quotes the whole token, and an uncaught traceback goes to stderr past the log filter.
        log.error("not starting the Telegram bot: the server rejected the token in %s", TELEGRAM_TOKEN)
        print(f"error: the Telegram server rejected the bot token ({TELEGRAM_TOKEN})", file=sys.stderr)
        return EXIT_CONFIG
    return 0


__all__ = ["ALLOWED_UPDATES", "build_application", "run_telegram", "webhook_config"]
