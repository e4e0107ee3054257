"""The question journey shared by text messages, /ask and suggestion buttons: rate limit, memory,
"typing…", the answer (streamed in LLM mode), the keyboard under it, and what gets recorded.

Memory is per conversation (chat, forum topic); declined questions are recorded as gaps for /stats.

Answers are computed in worker threads, at most one per CPU at a time (`computing`). Under load,
more would not answer faster (the work is CPU-bound), but every extra thread running Python code
competes with the event loop for the GIL. With 200 chats asking at once on 2 CPUs
(tests/test_load.py), one answer per CPU instead of one per active update (16) cut the loop's
stalls over 50 ms three- to tenfold, at the same or a better throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from telegram import Bot, Message
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answer.advisor import UnknownRoleError
from bot.answer.briefs import Brief
from bot.answer.types import Answer, Final
from bot.telegram.conversation import Conversation
from bot.telegram.keyboards import BRIEF_TOOLS, Offer, answer_keyboard, tools_keyboard
from bot.telegram.render import answer_doc, brief_doc, first_message, streaming_doc, to_messages
from bot.telegram.send import NO_PREVIEW, Target, edit_html, send_doc, send_html, send_text, typing
from bot.telegram.services import Services, services

log = logging.getLogger(__name__)

RATE_LIMITED = "You are asking faster than I can keep up with. Please try again in {wait}."
EMPTY_QUESTION = "Ask me anything about hiring a health-system CTO or CMIO, e.g. “What should I look for in a CTO?”"
MAX_SUGGESTIONS = 2


@dataclass(frozen=True)
class Asker:
    """Who asks, where the answer goes, and which conversation's memory applies."""

    user_id: int
    target: Target
    conversation: Conversation
    private: bool


def rate_wait(svc: Services, user_id: int) -> int | None:
    """None if the user may ask now (and counts the question), else whole seconds to wait."""
    if svc.limiter.allow(user_id):
        return None
    log.info("rate limited user %s", user_id)
    return max(1, math.ceil(svc.limiter.retry_after(user_id)))


async def within_rate(context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target) -> bool:
    """Tell the user when they may ask again instead of silently dropping the question."""
    wait = rate_wait(services(context), user_id)
    if wait is None:
        return True
    await send_text(context.bot, target, RATE_LIMITED.format(wait="1 second" if wait == 1 else f"{wait} seconds"))
    return False


@contextlib.asynccontextmanager
async def computing(svc: Services) -> AsyncIterator[None]:
    """Hold one of the CPU slots while an answer, brief or comparison is computed (see the module doc)."""
    async with svc.answer_slots:
        yield


async def advise(svc: Services, question: str, history: Sequence[str] = ()) -> Answer:
    """The extractive answer, computed in a CPU slot."""
    async with computing(svc):
        return await svc.advisor.ask(question, history)


async def answer_question(context: ContextTypes.DEFAULT_TYPE, asker: Asker, question: str) -> None:
    """Answer in the asker's conversation and remember the turn for follow-ups."""
    svc = services(context)
    question = question.strip()
    if not question:
        await send_text(context.bot, asker.target, EMPTY_QUESTION)
        return
    if not await within_rate(context, asker.user_id, asker.target):
        return
    await svc.purge_if_due()
    chat_id, thread_id = asker.conversation
    history = await asyncio.to_thread(svc.state.history, chat_id, thread_id)
    async with typing(context.bot, asker.target):
        if not svc.advisor.uses_llm:
            answer = await advise(svc, question, history)
            placeholder = None
        else:
            answer, placeholder = await _stream(context.bot, svc, asker, question, history)
    await asyncio.to_thread(svc.state.add_turn, chat_id, thread_id, asker.user_id, question)
    # A gap (on topic, the articles silent) is unanswered too: it is what the admins' gaps list is for.
    answered = answer.in_scope and answer.coverage == "full"
    await asyncio.to_thread(svc.state.record_question, asker.user_id, answered, question)
    log.info(
        "answered user %s in chat %s (mode=%s, in_scope=%s, %d sources)",
        asker.user_id,
        chat_id,
        answer.mode,
        answer.in_scope,
        len(answer.sources),
    )
    await send_answer(context, asker.target, answer, placeholder)


async def send_answer(
    context: ContextTypes.DEFAULT_TYPE, target: Target, answer: Answer, placeholder: Message | None = None
) -> None:
    """The rendered answer with 👍/👎, Sources and suggestion buttons; replaces a streamed placeholder."""
    offer = Offer(tuple(answer.suggestions[:MAX_SUGGESTIONS]), tuple(answer.sources))
    markup = answer_keyboard(offer)
    doc = answer_doc(answer)
    if placeholder is None:
        await send_doc(context.bot, target, doc, markup)
        return
    parts = to_messages(doc)
    head, rest = parts[0], parts[1:]
    await edit_html(placeholder, head, None if rest else markup)
    for i, part in enumerate(rest):
        await send_html(context.bot, target, part, markup if i == len(rest) - 1 else None, quote=False)


async def _stream(
    bot: Bot, svc: Services, asker: Asker, question: str, history: list[str]
) -> tuple[Answer, Message | None]:
    """Show the LLM answer as it grows: drafts in private chats, a throttled edited message elsewhere.

    Returns the final answer and the message to replace with it (None when nothing was posted yet).
    """
    interval = svc.settings.telegram.stream_edit_interval_s
    draft_id = secrets.randbelow(2**31 - 2) + 1
    drafts = asker.private
    placeholder: Message | None = None
    shown = ""
    last = -math.inf
    async with contextlib.aclosing(svc.advisor.ask_stream(question, history)) as events:
        async for event in events:
            if isinstance(event, Final):
                return event.answer, placeholder
            html_text = first_message(streaming_doc(event.text))
            if html_text == shown or time.monotonic() - last < interval:
                continue
            last, shown = time.monotonic(), html_text
            if drafts:
                try:
                    await bot.send_message_draft(
                        asker.target.chat_id,
                        draft_id,
                        html_text,
                        message_thread_id=asker.target.thread_id,
                        parse_mode=ParseMode.HTML,
                    )
                except TelegramError as exc:  # drafts are a nicety: fall back to an edited message
                    log.info("message drafts unavailable (%s); streaming by edits", exc)
                    drafts = False
                else:
                    continue
            if placeholder is None:
                placeholder = await send_html(bot, asker.target, html_text)
                continue
            try:
                await placeholder.edit_text(html_text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW)
            except TelegramError as exc:  # a missed partial is superseded by the next one or the final answer
                log.debug("streamed edit failed: %s", exc)
    raise RuntimeError("ask_stream ended without a Final answer")


async def cached_brief(svc: Services, role: str) -> Brief:
    """The role's brief (the advisor caches it per live version), computed in a CPU slot."""
    async with computing(svc):
        return await svc.advisor.brief(role)


async def send_brief(context: ContextTypes.DEFAULT_TYPE, user_id: int, target: Target, role: str) -> None:
    """A role brief for recruiters, with the toolkit for that role one tap away under it; an unknown role
    gets the list of roles there are."""
    if not await within_rate(context, user_id, target):
        return
    svc = services(context)
    try:
        async with typing(context.bot, target):
            brief = await cached_brief(svc, role)
    except UnknownRoleError as exc:
        await send_text(context.bot, target, str(exc))
        return
    await send_doc(context.bot, target, brief_doc(brief), tools_keyboard(brief.role, BRIEF_TOOLS))
