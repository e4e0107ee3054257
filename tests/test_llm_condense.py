"""bot.answer.llm condensing: a follow-up rewritten as a standalone question from the history, tidied, and
unavailable (one attempt, our timeout) when the LLM fails."""

from __future__ import annotations

from typing import Any

import pytest

from bot.answer.llm import LLMAnswerer
from bot.answer.prompts import CONDENSE_PROMPT
from tests.fakes import FakeOpenAI
from tests.llm_cases import assert_unavailable, make_answerer
from tests.llm_fixtures import answerer_fixture, srv_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(10)


async def test_condense_sends_history_and_returns_rewrite(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    history = ["What should a health-system CTO own?", "Who should the CTO report to?"]

    def rewrite(messages: list[dict[str, Any]]) -> str:
        assert messages[0] == {"role": "system", "content": CONDENSE_PROMPT}
        return "Who should the CMIO report to?\n"

    srv.reply = rewrite
    assert await answerer.condense("and for CMIOs?", history) == "Who should the CMIO report to?"
    content = srv.requests[0]["messages"][1]["content"]
    assert content.index(history[0]) < content.index(history[1]) < content.index("Follow-up: and for CMIOs?")


async def test_condense_without_history_makes_no_call(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    assert await answerer.condense("What does a CMIO do?", []) == "What does a CMIO do?"
    assert srv.requests == []


async def test_condense_tidies_labels_and_quotes(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    srv.reply = 'Standalone question: "What does a CMIO earn?"\nThis rewrite resolves "they".'
    assert await answerer.condense("what do they earn?", ["Tell me about CMIOs"]) == "What does a CMIO earn?"
    srv.reply = "   "
    assert await answerer.condense("what do they earn?", ["Tell me about CMIOs"]) == "what do they earn?"


async def test_condense_failure_is_unavailable(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    srv.fail_with = 500
    await assert_unavailable(srv, lambda: answerer.condense("and CMIOs?", ["CTO pay?"]))


async def test_slow_condense_times_out(srv: FakeOpenAI) -> None:
    answerer = make_answerer(srv, timeout_s=0.4)
    srv.delay_s = 5.0
    await assert_unavailable(srv, lambda: answerer.condense("and CMIOs?", ["CTO pay?"]))
