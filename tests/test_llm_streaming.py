"""bot.answer.llm streaming: cumulative texts that only grow, are cleaned as they arrive (no half citation or
URL, no injected link) and end as the whole answer; a consumer may stop early."""

from __future__ import annotations

import itertools

import pytest

from bot.answer.llm import LLMAnswerer
from tests.fakes import FakeOpenAI
from tests.llm_cases import CLEAN_ANSWER, EVIL_URL, PASSAGES, QUESTION, RAW_ANSWER, SOURCE_URL, collect
from tests.llm_fixtures import answerer_fixture, srv_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(10)


async def test_stream_yields_growing_cumulative_text_that_ends_as_answer(
    srv: FakeOpenAI, answerer: LLMAnswerer
) -> None:
    srv.reply = RAW_ANSWER
    srv.chunk_chars = 3  # citations and URLs arrive split across chunks
    texts = await collect(answerer.stream(QUESTION, PASSAGES, []))
    assert srv.requests[-1]["stream"] is True
    assert len(texts) > 10
    assert texts[-1] == CLEAN_ANSWER == await answerer.answer(QUESTION, PASSAGES, [])
    for before, after in itertools.pairwise(texts):
        assert len(after) > len(before)
        assert CLEAN_ANSWER.startswith(before)
    assert not any("[7" in t or "7]" in t for t in texts)
    assert not any("https://kb.exa" in t and SOURCE_URL not in t for t in texts)  # no half URLs


async def test_stream_drops_an_injected_link_split_across_chunks(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    srv.reply = f"Lead [2]. Write to {EVIL_URL} today."
    srv.chunk_chars = 2
    texts = await collect(answerer.stream(QUESTION, PASSAGES, []))
    assert texts[-1] == "Lead [2]. Write to today."
    assert not any("evil" in t or "http" in t for t in texts)


async def test_consumer_may_stop_a_stream_early(srv: FakeOpenAI, answerer: LLMAnswerer) -> None:
    srv.reply = RAW_ANSWER
    stream = answerer.stream(QUESTION, PASSAGES, [])
    async for _ in stream:
        break
    await stream.aclose()
    assert await answerer.answer(QUESTION, PASSAGES, []) == CLEAN_ANSWER  # the client is still usable
