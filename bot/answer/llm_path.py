"""The LLM half of answering: the chat model built once on first use, its answer checked sentence by
sentence against the passages it cites, and the extractive answer whenever the model fails or strays.

The advisor decides what is asked and whether the articles cover it (the same in both modes); this
module only decides whether the model's wording may be shown under the authors' names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from langchain_core.documents import Document

from bot.answer.followup import Resolved
from bot.answer.grounding import Guard
from bot.answer.hygiene import cited_numbers
from bot.answer.passages import numbered_by_article
from bot.answer.roles import find_roles
from bot.answer.types import Answer, Final, Partial, sources_footer

if TYPE_CHECKING:
    from bot.answer.llm import LLMAnswerer

log = logging.getLogger(__name__)


class LLMPath:
    """The configured chat model (or why there is none), and the guarded way its answers are made."""

    def __init__(
        self,
        guard: Guard,
        history_turns: int,
        llm: LLMAnswerer | None = None,
        factory: Callable[[], LLMAnswerer] | None = None,
        fallback: str | None = None,
    ) -> None:
        """`factory` builds the answerer on the first question instead (its import costs seconds that a
        command which never asks should not pay). `fallback`: why an LLM the settings enable cannot be
        used (e.g. "no_api_key"); every answer then says so."""
        self.guard = guard
        self.history_turns = history_turns
        self._llm = llm
        self._factory = factory
        self._lock = threading.Lock()
        self.fallback = fallback

    @property
    def enabled(self) -> bool:
        """Whether answers go through the model (front ends stream drafts only then)."""
        return self._llm is not None or self._factory is not None

    def built(self) -> LLMAnswerer | None:
        """The answerer, built once on first use (blocking: call it in a thread from async code)."""
        with self._lock:
            if self._llm is None and self._factory is not None:
                factory, self._factory = self._factory, None
                try:
                    self._llm = factory()
                except (ImportError, ValueError, TypeError) as exc:  # unknown provider, missing package
                    self.fallback = "not_configured"
                    log.warning("LLM could not be built (fallback: not_configured): %s", exc)
            if self._llm is not None:
                self.guard.warm()  # the parser loads while the model writes; only a model's answer is guarded
            return self._llm

    async def aclose(self) -> None:
        """Close the answerer's connections if it was ever built; one that never was holds none."""
        with self._lock:
            llm = self._llm
        if llm is not None:
            await llm.aclose()

    async def condensed(
        self, llm: LLMAnswerer, question: str, history: Sequence[str], resolved: Resolved, roles: list[str]
    ) -> Resolved:
        """A follow-up rewritten by the model into a question that stands alone; the deterministic
        resolution when the model fails."""
        from bot.answer.llm import LLMUnavailable  # the client loads only when an LLM is configured

        try:
            condensed = await llm.condense(question, list(history)[-self.history_turns :])
        except LLMUnavailable:
            log.warning("LLM condense failed; using the deterministic follow-up resolution")
            return resolved
        return Resolved(condensed, tuple(find_roles(condensed, roles)) or resolved.roles, True)

    async def write(
        self, llm: LLMAnswerer, resolved: Resolved, extractive: Answer, docs: list[Document], history: Sequence[str]
    ) -> AsyncGenerator[Partial | Final, None]:
        """The model's growing drafts, then one Final: its guarded answer, or `extractive` with the reason."""
        from bot.answer.llm import LLMUnavailable

        passages, sources = numbered_by_article(docs)
        text = ""
        try:
            async with contextlib.aclosing(llm.stream(resolved.question, passages, list(history))) as stream:
                async for text in stream:
                    yield Partial(text)
        except LLMUnavailable:
            log.warning("LLM answer failed (fallback: unavailable); answering extractively")
            yield Final(replace(extractive, fallback="unavailable"))
            return
        # The drafts above may show a sentence the guard now removes; the final answer is the guarded one.
        grounded = await asyncio.to_thread(self.guard.check, text, passages, resolved.question)
        grounding = {"kept": grounded.kept, "removed": grounded.removed}
        if grounded.ungrounded():
            log.warning(
                "LLM answer ungrounded (fallback: ungrounded): %d of %d sentences unsupported; answering extractively",
                grounded.removed,
                grounded.kept + grounded.removed,
            )
            yield Final(replace(extractive, fallback="ungrounded", grounding=grounding))
            return
        if grounded.removed:
            log.info("groundedness guard removed %d unsupported sentence(s)", grounded.removed)
        numbers = cited_numbers(grounded.text)
        cited = [s for s in sources if s.n in numbers] or sources
        yield Final(
            Answer(
                extractive.question,
                resolved.question,
                grounded.text.split("\n", 1)[0],
                [],
                cited,
                True,
                f"{grounded.text.rstrip()}\n\n{sources_footer(cited)}",
                "llm",
                extractive.suggestions,
                extractive.roles,
                grounding=grounding,
            )
        )
