"""Sending rendered documents: split into safe parts, HTML, no link previews, in the right topic.

Link previews stay off on every message: Telegram fetches previews server-side, so a link smuggled
into an answer could otherwise leak that the message exists without anyone clicking it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import TelegramError

from bot.telegram.conversation import is_private, topic_id
from bot.telegram.render import Line, text_doc, to_messages

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_EVERY_S = 4.5
"""Telegram shows a chat action for about 5 seconds; renew it a little earlier."""


@dataclass(frozen=True)
class Target:
    """Where a reply goes: the chat, the forum topic (None outside topics), the message to reply to."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None

    @classmethod
    def of(cls, message: Message) -> Target:
        """Reply in the message's chat and topic; in groups, quote it so the asker sees which answer is theirs."""
        return cls(message.chat_id, topic_id(message), None if is_private(message) else message.message_id)

    def reply_parameters(self) -> ReplyParameters | None:
        """Quote the asker's message, but still answer if it was deleted meanwhile."""
        if self.reply_to is None:
            return None
        return ReplyParameters(self.reply_to, allow_sending_without_reply=True)


async def send_doc(
    bot: Bot, target: Target, doc: Sequence[Line], markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send the document as one or more messages; the keyboard goes under the last one."""
    parts = to_messages(doc)
    sent: list[Message] = []
    for i, part in enumerate(parts):
        first, last = i == 0, i == len(parts) - 1
        reply = target.reply_parameters() if first else None
        sent.append(
            await bot.send_message(
                target.chat_id,
                part,
                parse_mode=ParseMode.HTML,
                link_preview_options=NO_PREVIEW,
                message_thread_id=target.thread_id,
                reply_parameters=reply,
                reply_markup=markup if last else None,
            )
        )
    return sent


async def send_text(bot: Bot, target: Target, text: str, markup: InlineKeyboardMarkup | None = None) -> list[Message]:
    """Plain text (escaped like everything else)."""
    return await send_doc(bot, target, text_doc(text), markup)


async def _keep_typing(bot: Bot, target: Target) -> None:
    while True:
        try:
            await bot.send_chat_action(target.chat_id, ChatAction.TYPING, message_thread_id=target.thread_id)
        except TelegramError as exc:  # a missing "typing…" must never cost the user their answer
            log.debug("chat action failed: %s", exc)
        await asyncio.sleep(TYPING_EVERY_S)


@contextlib.asynccontextmanager
async def typing(bot: Bot, target: Target) -> AsyncIterator[None]:
    """Show "typing…" in the chat for as long as the body runs."""
    task = asyncio.create_task(_keep_typing(bot, target))
    await asyncio.sleep(0)  # let the first chat action go out before the work starts
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
