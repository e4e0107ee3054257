"""The command menu (setMyCommands): user commands for everyone, plus admin commands in admins' chats.

Re-published after every ingest that goes live, since /brief_<role> shortcuts follow the roles
the articles are about.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.telegram.handlers import user_commands
from bot.telegram.services import Services
from ingest.errors import IngestError

log = logging.getLogger(__name__)

ADMIN_COMMANDS: tuple[tuple[str, str], ...] = (
    ("ingest", "Admin: re-run the ingest"),
    ("ingest_url", "Admin: add a web page: /ingest_url URL"),
    ("remove", "Admin: remove an article: /remove DOC"),
    ("stats", "Admin: usage, gaps and feedback"),
)


async def publish_commands(bot: Bot, svc: Services) -> None:
    """Best effort: a menu that fails to update must not turn a successful ingest into an error."""
    try:
        roles = await asyncio.to_thread(svc.advisor.roles)
    except IngestError as exc:  # the store is down: the menu without /brief_<role> beats no menu at all
        log.warning("command menu published without role shortcuts: %s", exc)
        roles = []
    commands = user_commands(roles)
    try:
        await bot.set_my_commands(commands)
    except TelegramError as exc:
        log.warning("could not update the command menu: %s", exc)
        return
    admin = commands + [BotCommand(name, text) for name, text in ADMIN_COMMANDS]
    for admin_id in svc.settings.telegram.admin_ids:
        try:
            await bot.set_my_commands(admin, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # e.g. the admin has not opened a chat with the bot yet
            log.info("admin commands not shown to %s yet: %s", admin_id, exc)
