"""Inline mode: `@bot cto` in any chat offers role briefs (and an answer for free text) to share.

Recruiters forward these to candidates and colleagues, so results are complete, cited HTML messages
with previews off. Briefs are cached per live version because clients query on every keystroke.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.answer.advisor import UnknownRoleError
from bot.answer.known_roles import matching_roles
from bot.answer.roles import full_title
from bot.telegram.answering import advise, cached_brief, rate_wait
from bot.telegram.render import answer_doc, brief_doc, first_message
from bot.telegram.send import NO_PREVIEW, answer_query
from bot.telegram.services import services

log = logging.getLogger(__name__)

CACHE_TIME_S = 30
MIN_ANSWER_WORDS = 3


def _result_id(kind: str, text: str) -> str:
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def _article(result_id: str, title: str, description: str, html_text: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        id=result_id,
        title=title,
        description=description[:120],
        input_message_content=InputTextMessageContent(
            html_text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
        ),
    )


async def on_inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Briefs for the roles the query names, plus a cited answer when it reads like a question."""
    query = update.inline_query
    if query is None:
        return
    svc = services(context)
    text = " ".join(query.query.split())[:256]
    roles = await asyncio.to_thread(svc.advisor.roles)
    results: list[InlineQueryResultArticle] = []
    if len(text.split()) >= MIN_ANSWER_WORDS and rate_wait(svc, query.from_user.id) is None:
        answer = await advise(svc, text)
        if answer.in_scope:
            results.append(
                _article(_result_id("answer", text), f"Answer: {text}", answer.lead, first_message(answer_doc(answer)))
            )
    for role in matching_roles(text, roles)[:10]:
        try:
            brief = await cached_brief(svc, role)
        except UnknownRoleError:
            continue
        description = "What the role owns, what to look for, background, watch-outs"
        title = f"Role brief: {full_title(role)}"
        results.append(_article(_result_id("brief", role), title, description, first_message(brief_doc(brief))))
    log.info("inline query from user %s: %d results", query.from_user.id, len(results))
    # With an allow-list, Telegram must not serve these results from its shared cache to anyone else.
    personal = bool(svc.settings.telegram.allowed_ids)
    await answer_query(
        "answerInlineQuery", lambda: query.answer(results, cache_time=CACHE_TIME_S, is_personal=personal)
    )
