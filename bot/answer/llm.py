"""The optional LLM answerer: a LangChain chat model phrases the answer from retrieved passages.

Everything here is best effort. Any failure of the model client (HTTP error, rate limit, dropped
connection, timeout, malformed response) becomes `LLMUnavailable`, and the caller falls back to the
extractive answer, so the LLM can never take the bot down. The model only ever sees the numbered
passages (bot.answer.prompts); its output is cleaned so that it cites only those numbers and links only
to the sources' own URLs (bot.answer.hygiene: passages are untrusted text that might carry prompt injections).

This module does not import telegram and does not read environment variables.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator
from typing import Any

import httpx
import openai
from langchain.chat_models import init_chat_model
from langchain_core.exceptions import ModelError
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from bot.answer.hygiene import AnswerCleaner, StreamCleaner, clean_answer
from bot.answer.prompts import answer_messages, condense_messages, tidy_condensed
from bot.answer.settings import LLMSettings
from bot.answer.types import Passage

log = logging.getLogger(__name__)

#: A rewrite longer than this is the model rambling, not a question: the original question is kept.
MAX_CONDENSED_CHARS = 500


class LLMUnavailable(Exception):  # noqa: N818 - the name says what the caller does about it: fall back
    """The LLM failed or timed out; the caller falls back to the extractive answer."""


def _client_errors() -> tuple[type[BaseException], ...]:
    """The exceptions that mean "the model client failed", as opposed to a bug in our code.

    openai>=3 runs on httpx2, whose exceptions are not httpx's, so both are listed when installed.
    """
    errors: list[type[BaseException]] = [
        openai.OpenAIError,  # APIStatusError (401/429/500...), APIConnectionError, APITimeoutError, ...
        ModelError,  # LangChain's provider-neutral classification (its OpenAI* errors subclass both)
        httpx.HTTPError,  # transport errors that escape an SDK unwrapped
        TimeoutError,  # our own asyncio.timeout deadline (asyncio.TimeoutError is the same class)
        # What LangChain raises for a malformed 200 from an OpenAI-compatible server: ValueError for an HTML
        # page, an "error" key or an empty stream; TypeError for missing/null "choices"; KeyError for a raw dict
        # without them. (A choice without a "message" still escapes as AttributeError, deliberately not caught.)
        ValueError,
        KeyError,
        TypeError,
    ]
    try:
        import httpx2
    except ImportError:  # openai<3 uses httpx itself
        pass
    else:
        errors.append(httpx2.HTTPError)
    return tuple(errors)


_CLIENT_ERRORS = _client_errors()


def build_chat_model(settings: LLMSettings, api_key: str | None) -> BaseChatModel:
    """The configured chat model, without retries: a failed call must fall back fast, not retry for a minute.

    The caller reads the key named by settings.api_key_env (bot/env.py); None leaves it to the provider's default.
    """
    kwargs: dict[str, Any] = {
        "temperature": settings.temperature,
        "max_tokens": settings.max_tokens,
        "timeout": settings.timeout_s,
        "max_retries": 0,
    }
    if settings.base_url:
        kwargs["base_url"] = settings.base_url
    if api_key is not None:
        kwargs["api_key"] = api_key
    if settings.provider == "openai":
        # langchain-openai otherwise shares one cached async client per base URL across the whole process, and a
        # connection pooled on one event loop breaks a call on the next (langchain-ai/langchain#35783).
        kwargs["http_async_client"] = openai.DefaultAsyncHttpxClient()
    model = init_chat_model(model=settings.model, model_provider=settings.provider, **kwargs)
    if not isinstance(model, BaseChatModel):  # only a configurable_fields call returns anything else
        raise TypeError(f"init_chat_model returned {type(model).__name__}, not a chat model")
    return model


def _describe(exc: BaseException) -> str:
    """Class and status of a failure, never its message (which may echo the model's output)."""
    status = getattr(exc, "status_code", None)
    return f"{type(exc).__name__}" + (f" (HTTP {status})" if status is not None else "")


# ---- the answerer ------------------------------------------------------------------------------------------


class LLMAnswerer:
    """Phrases answers and condenses follow-ups with a chat model, cleaning its output and bounding its time."""

    def __init__(self, chat_model: BaseChatModel, settings: LLMSettings) -> None:
        self._model = chat_model
        self._settings = settings

    @property
    def timeout_s(self) -> float:
        """How long one call, or the wait for one streamed chunk, may take before we fall back."""
        return self._settings.timeout_s

    async def aclose(self) -> None:
        """Close the HTTP client that build_chat_model gave the model (its `http_async_client`), so its pooled
        connections go with the event loop that opened them instead of at interpreter exit."""
        client = getattr(self._model, "http_async_client", None)
        aclose = getattr(client, "aclose", None)  # httpx's or, with openai>=3, httpx2's AsyncClient
        if aclose is not None:
            await aclose()

    def _unavailable(self, op: str, exc: BaseException, started: float) -> LLMUnavailable:
        """Log a client failure (never its message) and turn it into the fallback signal."""
        log.warning("LLM %s failed after %.2fs: %s", op, time.monotonic() - started, _describe(exc))
        return LLMUnavailable(f"LLM {op} failed: {_describe(exc)}")

    async def _complete(self, op: str, messages: list[BaseMessage]) -> str:
        """One bounded model call's raw text; LLMUnavailable on any client failure."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout_s):
                reply = await self._model.ainvoke(messages)
        except _CLIENT_ERRORS as exc:
            raise self._unavailable(op, exc, started) from exc
        text = str(reply.text)
        log.debug("LLM %s: %d chars in %.2fs", op, len(text), time.monotonic() - started)
        return text

    async def answer(self, question: str, passages: list[Passage], history: list[str]) -> str:
        """The model's answer, citing only the given passages and linking only to their sources."""
        raw = await self._complete("answer", answer_messages(question, passages, history))
        text = clean_answer(raw, passages)
        if not text:
            log.warning("LLM answer was empty after cleaning")
            raise LLMUnavailable("LLM answer was empty")
        return text

    async def stream(self, question: str, passages: list[Passage], history: list[str]) -> AsyncGenerator[str, None]:
        """Yield the cleaned answer so far, growing, for throttled message edits; the last yield is the full answer.

        An async generator, so a caller that stops early can `aclose()` it and free the connection at once.

        timeout_s bounds the wait for each chunk (the first one included), so a stalled stream fails as fast as
        a stalled request while a long, steadily streaming answer is not cut off.
        """
        started = time.monotonic()
        source = self._model.astream(answer_messages(question, passages, history))
        cleaner = StreamCleaner(AnswerCleaner(passages))
        shown = ""
        try:
            while True:
                try:
                    async with asyncio.timeout(self.timeout_s):
                        chunk = await anext(source)
                except StopAsyncIteration:
                    break
                except _CLIENT_ERRORS as exc:
                    raise self._unavailable("stream", exc, started) from exc
                text = cleaner.feed(str(chunk.text))
                if text and text != shown:
                    shown = text
                    yield text
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()
        raw = cleaner.raw
        final = clean_answer(raw, passages)  # in one piece: exactly what a one-shot answer would show
        log.debug("LLM stream: %d chars in %.2fs", len(raw), time.monotonic() - started)
        if not final:
            log.warning("LLM streamed answer was empty after cleaning")
            raise LLMUnavailable("LLM answer was empty")
        if final != shown:
            yield final

    async def write(self, op: str, instructions: str, request: str) -> str:
        """The model's raw text for a task of our own (e.g. the toolkit phrasing interview questions); the
        caller checks what comes back. LLMUnavailable on any client failure."""
        return await self._complete(op, [SystemMessage(instructions), HumanMessage(request)])

    async def condense(self, question: str, history: list[str]) -> str:
        """A standalone version of a follow-up ("and for CMIOs?"), so retrieval sees the whole question."""
        if not any(turn.strip() for turn in history):
            return question
        rewritten = tidy_condensed(await self._complete("condense", condense_messages(question, history)))
        if not rewritten or len(rewritten) > MAX_CONDENSED_CHARS:
            log.warning("LLM condense gave no usable question; keeping the original")
            return question
        return rewritten
