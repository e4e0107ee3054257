"""Builds the advisor and its dependencies from settings: the one wiring point for every front end."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.answer.advisor import Advisor
from bot.env import load_secrets, revealed
from bot.settings import Settings
from ingest.store.index import KnowledgeIndex

if TYPE_CHECKING:
    from bot.answer.llm import LLMAnswerer

log = logging.getLogger(__name__)


def build_advisor(settings: Settings, index: KnowledgeIndex | None = None) -> Advisor:
    """The advisor on the live index; with `llm.enabled`, an LLM answerer (key from the environment),
    built on the first question: with `llm.enabled: false` nothing LLM-related is ever imported."""
    index = index or KnowledgeIndex(settings)
    if not settings.llm.enabled:
        return Advisor(settings, index)
    api_key = revealed(load_secrets(settings).llm_api_key)
    if api_key is None:
        log.warning(
            "llm.enabled but %s is not set (fallback: no_api_key); answering extractively", settings.llm.api_key_env
        )
        return Advisor(settings, index, llm_fallback="no_api_key")

    def build() -> LLMAnswerer:
        from bot.answer.llm import LLMAnswerer, build_chat_model

        return LLMAnswerer(build_chat_model(settings.llm, api_key), settings.llm)

    return Advisor(settings, index, llm_factory=build)
