"""Inline mode: `@bot cto` in any chat offers role briefs (and an answer for free text) to share;
`@bot cto kit` offers the role's interview kit too, `@bot cto jd` its job-description draft.

Recruiters forward these to candidates and colleagues, so results are complete, cited HTML messages
with previews off. Briefs are cached per live version because clients query on every keystroke; the
toolkit's documents for SHARE_TTL_S (a new article shows in them within that time), and built only
when the query asks for them by a word (SHARES), so a plain role name costs no more than before.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineQueryResultArticle, InputTextMessageContent, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.answer.advisor import UnknownRoleError
from bot.answer.known_roles import matching_roles
from bot.answer.roles import full_title
from bot.telegram.answering import advise, cached_brief, computing, rate_wait
from bot.telegram.render import Doc, answer_doc, brief_doc, first_message
from bot.telegram.send import NO_PREVIEW, answer_query
from bot.telegram.services import Services, services
from bot.telegram.toolkit_render import jd_doc, kit_doc

log = logging.getLogger(__name__)

CACHE_TIME_S = 30
MIN_ANSWER_WORDS = 3
SHARE_TTL_S = 60.0


@dataclass(frozen=True)
class Share:
    """A toolkit document inline mode offers for a role, when the query holds one of its words."""

    kind: str
    words: re.Pattern[str]
    title: str
    description: str
    build: Callable[[Services, str], Doc]


SHARES = (
    Share(
        "kit",
        re.compile(r"\b(?:kits?|interview(?:s|ing)?|questions?|toolkit)\b", re.IGNORECASE),
        "Interview kit: {title}",
        "Competencies, questions, probes and red flags, each criterion cited",
        lambda svc, role: kit_doc(svc.toolkit.kit(role)),
    ),
    Share(
        "jd",
        re.compile(r"\b(?:jds?|job descriptions?|drafts?|postings?|job ads?)\b", re.IGNORECASE),
        "Job description draft: {title}",
        "Summary, responsibilities, qualifications, experience: a cited draft to edit",
        lambda svc, role: jd_doc(svc.toolkit.jd(role)),
    ),
)


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


async def _shared(svc: Services, share: Share, role: str) -> str:
    """The document's first message (cut with "…" if longer), built in a CPU slot or taken from the cache."""
    key = (share.kind, role)
    found = svc.shares.get(key)
    if found is not None and time.monotonic() - found[0] < SHARE_TTL_S:
        return found[1]
    async with computing(svc):
        doc = await asyncio.to_thread(share.build, svc, role)
    html_text = first_message(doc)
    svc.shares[key] = (time.monotonic(), html_text)
    return html_text


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
        for share in SHARES:
            if share.words.search(text):
                html_text = await _shared(svc, share, role)
                results.append(
                    _article(
                        _result_id(share.kind, role),
                        share.title.format(title=full_title(role)),
                        share.description,
                        html_text,
                    )
                )
    log.info("inline query from user %s: %d results", query.from_user.id, len(results))
    # With an allow-list, Telegram must not serve these results from its shared cache to anyone else.
    personal = bool(svc.settings.telegram.allowed_ids)
    await answer_query(
        "answerInlineQuery", lambda: query.answer(results, cache_time=CACHE_TIME_S, is_personal=personal)
    )
