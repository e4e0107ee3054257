"""The one error handler: log first, then tell the user briefly, never with details.

PTB calls it for any exception a handler raises; it is the only place errors are caught broadly.
The log record carries ids only (the logging filter redacts the token from tracebacks).
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answer.advisor import STORE_DOWN, UNAVAILABLE
from bot.telegram.conversation import topic_id

log = logging.getLogger(__name__)

__all__ = ["SOMETHING_WRONG", "UNAVAILABLE", "on_error"]
SOMETHING_WRONG = "Sorry, something went wrong. Please try again."


def _where(update: object) -> str:
    if not isinstance(update, Update):
        return "outside an update"
    chat = update.effective_chat
    user = update.effective_user
    return f"update {update.update_id} (user {user.id if user else None}, chat {chat.id if chat else None})"


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log first (ids only), then a short notice; details stay in the log."""
    error = context.error
    if isinstance(error, STORE_DOWN):
        # The cause only (host, port, version): never the user's text, and no traceback for an outage.
        log.warning("knowledge store unavailable while handling %s: %s", _where(update), error)
        text = UNAVAILABLE
    else:
        log.error("error while handling %s", _where(update), exc_info=error)
        text = SOMETHING_WRONG
    if not isinstance(update, Update):
        return
    query = update.callback_query
    if query is not None:
        try:
            await query.answer()  # stop the button's spinner; the message below says what happened
        except TelegramError as exc:  # already answered by the handler before it failed
            log.debug("callback query already answered: %s", exc)
    message = update.effective_message
    if message is None:
        return
    try:
        await context.bot.send_message(message.chat_id, text, message_thread_id=topic_id(message))
    except TelegramError as exc:  # e.g. the user blocked the bot, or Telegram itself is failing
        log.info("could not tell the user about the error: %s", exc)
