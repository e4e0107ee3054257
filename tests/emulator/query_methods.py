"""The Bot API methods that answer a user's query: callback queries (button taps) and inline queries."""

from __future__ import annotations

import copy
import time
from typing import Any

from .answers import bad_request
from .entities import normalize_url
from .formatting import format_text
from .params import Params
from .records import PendingQuery, drop_none
from .request_checks import RequestChecks

_INLINE_RESULT_TYPES = frozenset(
    {
        "article", "audio", "contact", "game", "document", "gif", "location", "mpeg4_gif",
        "photo", "venue", "video", "voice", "sticker",
    }
)  # fmt: skip
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class QueryMethods(RequestChecks):
    """answerCallbackQuery and answerInlineQuery, each answerable once and only while the query is fresh."""

    def _take_query(self, store: dict[str, PendingQuery], query_id: str | None, ttl: float) -> None:
        query = store.get(query_id or "")
        if query is None or query.answered or time.monotonic() - query.created > ttl:
            raise bad_request(_QUERY_TOO_OLD)
        query.answered = True

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = params.text("callback_query_id")
        text = params.text("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        url = params.text("url")
        if url is not None and normalize_url(url) is None:
            raise bad_request("URL_INVALID")
        self._take_query(self._callback_queries, query_id, self.callback_query_ttl)
        self.callback_answers.append(
            drop_none(
                {
                    "callback_query_id": query_id,
                    "text": text,
                    "show_alert": params.flag("show_alert") or None,
                    "url": url,
                    "cache_time": params.integer("cache_time"),
                }
            )
        )
        self._bot_fire()
        return True

    async def _answer_inline_query(self, params: Params) -> bool:
        query_id = params.text("inline_query_id")
        results = params.get("results")
        if not isinstance(results, list):
            raise bad_request("can't parse inline query results JSON object")
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            self._check_inline_result(result, seen)
        self._take_query(self._inline_queries, query_id, self.inline_query_ttl)
        self.inline_answers.append(
            drop_none(
                {
                    "inline_query_id": query_id,
                    "results": copy.deepcopy(results),
                    "cache_time": params.integer("cache_time"),
                    "is_personal": params.flag("is_personal") or None,
                    "next_offset": params.text("next_offset"),
                    "button": params.get("button"),
                }
            )
        )
        self._bot_fire()
        return True

    def _check_inline_result(self, result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict):
            raise bad_request("can't parse inline query result JSON object")
        kind, rid = result.get("type"), result.get("id")
        if not isinstance(kind, str) or kind not in _INLINE_RESULT_TYPES:
            raise bad_request("RESULT_TYPE_INVALID")
        if not isinstance(rid, str) or not rid:
            raise bad_request("RESULT_ID_EMPTY")
        if len(rid.encode("utf-8")) > 64:
            raise bad_request("RESULT_ID_INVALID")
        if rid in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(rid)
        content = result.get("input_message_content")
        if kind == "article":
            if not isinstance(result.get("title"), str) or not result["title"]:
                raise bad_request("can't parse InlineQueryResultArticle: title is empty")
            if not isinstance(content, dict):
                raise bad_request("can't parse InlineQueryResultArticle: input_message_content is required")
        if isinstance(content, dict) and "message_text" in content:
            format_text(
                str(content["message_text"]), content.get("parse_mode"), content.get("entities"),
                strict_ampersand=self.strict_ampersand, too_long="MESSAGE_TOO_LONG",
            )  # fmt: skip
        markup = result.get("reply_markup")
        if markup is not None:
            rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
            if not isinstance(rows, list):
                raise bad_request("can't parse inline keyboard markup JSON object")
            for row in rows:
                for button in row if isinstance(row, list) else [None]:
                    self._check_inline_button(button)
