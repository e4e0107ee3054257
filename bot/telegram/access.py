"""Who may use the bot and who may change it.

One gate runs before every handler (group -1) so a handler can never forget the check; a refused
attempt is logged with ids only, never with what was written.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.settings import Settings
from bot.telegram.conversation import addressed, topic_id
from bot.telegram.send import answer_button, answer_query
from bot.telegram.services import services

log = logging.getLogger(__name__)

REFUSAL = "Sorry, this bot is private. Ask an administrator to give you access."
ADMIN_ONLY = "Sorry, only administrators can do that."


def is_admin(settings: Settings, user_id: int | None) -> bool:
    """Admins are listed by user id only: a chat id must never grant write access."""
    return user_id is not None and user_id in settings.telegram.admin_ids


def is_allowed(settings: Settings, user_id: int | None, chat_id: int | None) -> bool:
    """Admins always; otherwise everyone when allowed_ids is empty, else a listed user or chat."""
    if user_id is None:
        return False
    allowed = settings.telegram.allowed_ids
    if is_admin(settings, user_id) or not allowed:
        return True
    return user_id in allowed or (chat_id is not None and chat_id in allowed)


def _kind(update: Update) -> str:
    for kind in ("message", "edited_message", "callback_query", "inline_query"):
        if getattr(update, kind) is not None:
            return kind
    return "update"


async def gate(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop every update from someone not allowed; tell them briefly when they addressed the bot."""
    if not isinstance(update, Update):
        return
    settings = services(context).settings
    user = update.effective_user
    chat = update.effective_chat
    if is_allowed(settings, user.id if user else None, chat.id if chat else None):
        return
    log.info(
        "refused %s from user %s in chat %s (not in telegram.allowed_ids)",
        _kind(update),
        user.id if user else None,
        chat.id if chat else None,
    )
    if update.callback_query is not None:
        await answer_button(update.callback_query, REFUSAL, show_alert=True)
    elif update.inline_query is not None:
        inline = update.inline_query
        await answer_query("answerInlineQuery", lambda: inline.answer([], cache_time=0, is_personal=True))
    elif update.message is not None and addressed(update.message, context.bot.username, context.bot.id):
        await context.bot.send_message(update.message.chat_id, REFUSAL, message_thread_id=topic_id(update.message))
    raise ApplicationHandlerStop
