"""Sending rendered documents: split into safe parts, HTML, no link previews, in the right topic.

Link previews stay off on every message: Telegram fetches previews server-side, so a link smuggled
into an answer could otherwise leak that the message exists without anyone clicking it.

Every message is retried on transient failures (`deliver`): flood control beyond what
AIORateLimiter already absorbed (it retries RetryAfter `telegram.max_retries` times), 5xx answers,
dropped connections and timeouts, with exponential backoff. Delivery is at least once: when the
connection drops AFTER Telegram applied a sendMessage (or a read times out), the bot cannot tell
(the Bot API has no idempotency key), and the retry shows the user the message twice. A lost
answer is the worse failure for someone waiting on it; the duplicate is rare and harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError

from bot.telegram.conversation import is_private, topic_id
from bot.telegram.render import Line, text_doc, to_messages

log = logging.getLogger(__name__)

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
TYPING_EVERY_S = 4.5
"""Telegram shows a chat action for about 5 seconds; renew it a little earlier."""
SEND_ATTEMPTS = 8
"""Tries per message: with backoff that is about 30 s of Telegram trouble before an answer is given up."""
BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
NOT_MODIFIED = "message is not modified"
QUERY_TOO_OLD = "query is too old"
"""Telegram's BadRequest for an answer to a button press or inline query that came too late (or twice)."""

T = TypeVar("T")


def _retry_after_s(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is whole seconds, or a timedelta when PTB_TIMEDELTA is set."""
    value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def deliver(what: str, call: Callable[[], Awaitable[T]]) -> T:
    """`call()` (one Bot API request), retried while Telegram fails transiently; see the module doc.

    Hand-written rather than tenacity: that is only a transitive dependency here, and the policy
    (which TelegramErrors are transient, Telegram's own retry_after) is the part that matters.
    A 400 (BadRequest, itself a NetworkError subclass) or 403 is final and raised at once.
    """
    backoff = BACKOFF_S
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            return await call()
        except BadRequest:
            raise
        except RetryAfter as exc:  # flood control outlasted AIORateLimiter's own retries
            if attempt == SEND_ATTEMPTS:
                raise
            wait = _retry_after_s(exc) + 0.1
            log.info("%s flood-limited, retry %d in %.1f s", what, attempt, wait)
        except NetworkError as exc:  # 5xx, dropped connection, timeout: Telegram or the path to it failed
            if attempt == SEND_ATTEMPTS:
                raise
            wait = backoff * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
            backoff = min(backoff * 2, MAX_BACKOFF_S)
            log.info("%s failed (%s), retry %d in %.1f s", what, type(exc).__name__, attempt, wait)
        await asyncio.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def answer_query(what: str, call: Callable[[], Awaitable[object]]) -> bool:
    """Answer a button press or an inline query, retried like `deliver`; False when it came too late.

    Telegram takes such an answer only for a few seconds after the press (about 15 s) and refuses a
    late or repeated one. Under a backlog that is expected, not an error: it must not cost the user
    what the press asked for (a brief, an answer), nor send them "something went wrong".
    """
    try:
        await deliver(what, call)
    except BadRequest as exc:
        if QUERY_TOO_OLD not in exc.message.lower():
            raise
        log.info("%s not taken: too late, or already answered", what)
        return False
    return True


async def answer_button(query: CallbackQuery, text: str | None = None, *, show_alert: bool = False) -> bool:
    """Stop a button's spinner, optionally with a short notice; see `answer_query`."""
    return await answer_query("answerCallbackQuery", functools.partial(query.answer, text, show_alert=show_alert))


async def edit_html(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace a message's text, retried like `deliver`; "not modified" after a retry means the
    earlier attempt was applied, so it counts as done."""
    retried = False

    async def edit() -> None:
        nonlocal retried
        try:
            await message.edit_text(
                text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW, reply_markup=markup
            )
        except BadRequest as exc:
            if not (retried and NOT_MODIFIED in str(exc).lower()):
                raise
        finally:
            retried = True

    await deliver("editMessageText", edit)


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


async def send_html(
    bot: Bot, target: Target, html_text: str, markup: InlineKeyboardMarkup | None = None, *, quote: bool = True
) -> Message:
    """One rendered message (HTML, no preview, in the target's topic), delivered with retries."""
    return await deliver(
        "sendMessage",
        functools.partial(
            bot.send_message,
            target.chat_id,
            html_text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
            message_thread_id=target.thread_id,
            reply_parameters=target.reply_parameters() if quote else None,
            reply_markup=markup,
        ),
    )


async def send_doc(
    bot: Bot, target: Target, doc: Sequence[Line], markup: InlineKeyboardMarkup | None = None
) -> list[Message]:
    """Send the document as one or more messages; the keyboard goes under the last one."""
    parts = to_messages(doc)
    last = len(parts) - 1
    return [
        await send_html(bot, target, part, markup if i == last else None, quote=i == 0) for i, part in enumerate(parts)
    ]


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
