"""The command menu (setMyCommands): user commands for everyone, plus admin commands in admins' chats.

Re-published after every ingest that goes live, since /brief_<role> shortcuts follow the roles
the articles are about; and, when the store was down at start-up, as soon as it is back.
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


async def publish_commands(bot: Bot, svc: Services) -> bool:
    """Best effort: a menu that fails to update must not turn a successful ingest into an error.

    False when the roles could not be read, so the menu went out without its role shortcuts.
    """
    try:
        roles = await asyncio.to_thread(svc.advisor.roles)
    except IngestError as exc:  # the store is down: the menu without /brief_<role> beats no menu at all
        log.warning("command menu published without role shortcuts: %s", exc)
        await _publish(bot, svc, [])
        return False
    await _publish(bot, svc, roles)
    return True


async def _publish(bot: Bot, svc: Services, roles: list[str]) -> None:
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


async def complete_menu(bot: Bot, svc: Services, every_s: float) -> None:
    """Run when the store was down at start-up: once the roles can be read again, publish the menu
    with its /brief_<role> shortcuts, rather than leave them missing until the next admin ingest."""
    while True:
        await asyncio.sleep(every_s)
        try:
            roles = await asyncio.to_thread(svc.advisor.roles)
        except IngestError as exc:  # quiet: publish_commands already warned at start-up
            log.debug("store still unavailable for the command menu: %s", exc)
            continue
        await _publish(bot, svc, roles)
        log.info("command menu published with the role shortcuts")
        return
