"""Builds the advisor and its dependencies from settings: the one wiring point for every front end."""

from __future__ import annotations

import logging

from bot.answer.advisor import Advisor
from bot.env import load_secrets, revealed
from bot.settings import Settings
from ingest.store.index import KnowledgeIndex

log = logging.getLogger(__name__)


def build_advisor(settings: Settings, index: KnowledgeIndex | None = None) -> Advisor:
    """The advisor on the live index; with `llm.enabled`, an LLM answerer (key from the environment)."""
    index = index or KnowledgeIndex(settings)
    llm = None
    if settings.llm.enabled:
        from bot.answer.llm import LLMAnswerer, build_chat_model

        api_key = revealed(load_secrets(settings).llm_api_key)
        if api_key is None:
            log.warning("llm.enabled but %s is not set; answering extractively", settings.llm.api_key_env)
        else:
            llm = LLMAnswerer(build_chat_model(settings.llm, api_key), settings.llm)
    return Advisor(settings, index, llm)
