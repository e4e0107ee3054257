"""bot.answer.llm when the LLM fails: every error, slow start or stall is LLMUnavailable after one attempt and
within our timeout (the caller falls back to the extractive answer), and the logs carry no prompt or answer."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import openai
import pytest

from bot.answer.llm import LLMAnswerer, LLMUnavailable
from tests.fakes import FakeOpenAI
from tests.llm_cases import CLEAN_ANSWER, PASSAGES, QUESTION, RAW_ANSWER, assert_unavailable, collect, make_answerer
from tests.llm_fixtures import answerer_fixture, srv_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(10)


FAILURES: list[Any] = [500, 429, "drop", "malformed", "null_choices"]


@pytest.mark.parametrize("fail", FAILURES)
async def test_answer_failure_is_unavailable(srv: FakeOpenAI, answerer: LLMAnswerer, fail: Any) -> None:
    srv.fail_with = fail
    await assert_unavailable(srv, lambda: answerer.answer(QUESTION, PASSAGES, []))


@pytest.mark.parametrize("fail", [*FAILURES, "drop_mid_stream"])
async def test_stream_failure_is_unavailable(srv: FakeOpenAI, answerer: LLMAnswerer, fail: Any) -> None:
    srv.fail_with = fail
    srv.reply = RAW_ANSWER
    await assert_unavailable(srv, lambda: collect(answerer.stream(QUESTION, PASSAGES, [])))


async def test_status_errors_surface_as_openai_classes(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    srv.fail_with = 429
    with pytest.raises(LLMUnavailable) as info:
        await answerer.answer(QUESTION, PASSAGES, [])
    assert isinstance(info.value.__cause__, openai.RateLimitError)
    srv.fail_with = 500
    with pytest.raises(LLMUnavailable) as info:
        await answerer.answer(QUESTION, PASSAGES, [])
    assert isinstance(info.value.__cause__, openai.InternalServerError)
    srv.fail_with = "drop"
    with pytest.raises(LLMUnavailable) as info:
        await answerer.answer(QUESTION, PASSAGES, [])
    assert isinstance(info.value.__cause__, openai.APIConnectionError)


async def test_wrong_api_key_is_unavailable(srv: FakeOpenAI) -> None:
    answerer = make_answerer(srv, api_key="sk-wrong-key")
    err = await assert_unavailable(srv, lambda: answerer.answer(QUESTION, PASSAGES, []))
    assert isinstance(err.__cause__, openai.AuthenticationError)
    assert "sk-wrong-key" not in str(err)


async def test_slow_answer_times_out(srv: FakeOpenAI) -> None:
    answerer = make_answerer(srv, timeout_s=0.4)
    srv.delay_s = 5.0
    err = await assert_unavailable(srv, lambda: answerer.answer(QUESTION, PASSAGES, []))
    assert isinstance(err.__cause__, TimeoutError | openai.APITimeoutError)


async def test_slow_stream_start_times_out(srv: FakeOpenAI) -> None:
    answerer = make_answerer(srv, timeout_s=0.4)
    srv.delay_s = 5.0
    await assert_unavailable(srv, lambda: collect(answerer.stream(QUESTION, PASSAGES, [])))


async def test_stalled_stream_times_out_after_partial_text(srv: FakeOpenAI) -> None:
    answerer = make_answerer(srv, timeout_s=0.4)
    srv.reply = RAW_ANSWER
    srv.fail_with = "stall_mid_stream"
    seen: list[str] = []
    with pytest.raises(LLMUnavailable) as info:
        async for text in answerer.stream(QUESTION, PASSAGES, []):
            seen.append(text)
    assert isinstance(info.value.__cause__, TimeoutError | openai.APITimeoutError), "our timeout ended the stall"
    assert seen and CLEAN_ANSWER.startswith(seen[-1])


async def test_slow_but_steady_stream_is_not_cut_off(srv: FakeOpenAI) -> None:
    answerer = make_answerer(srv, timeout_s=0.3)
    srv.reply = "Lead [1].\n- A point [2]."
    srv.chunk_chars = 2
    srv.chunk_delay_s = 0.05  # the whole stream takes longer than timeout_s, each gap does not
    texts = await collect(answerer.stream(QUESTION, PASSAGES, []))
    assert texts[-1] == "Lead [1].\n- A point [2]."


async def test_caller_cancellation_is_not_swallowed(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    srv.delay_s = 5.0
    task = asyncio.create_task(answerer.answer(QUESTION, PASSAGES, []))
    while not srv.requests:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_logs_carry_no_prompt_or_answer_text(
    srv: FakeOpenAI, answerer: LLMAnswerer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.answer.llm")
    srv.reply = "Secret answer words [1]."
    await answerer.answer(QUESTION, PASSAGES, [])
    srv.fail_with = "malformed"
    with pytest.raises(LLMUnavailable):
        await answerer.answer(QUESTION, PASSAGES, [])
    records = [r for r in caplog.records if r.name == "bot.answer.llm"]
    assert any(r.levelno == logging.WARNING for r in records)
    for record in records:
        message = record.getMessage()
        assert "Secret answer" not in message and "CMIO" not in message and "502 Bad Gateway" not in message
