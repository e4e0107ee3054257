"""The fixtures of the bot.answer.llm tests, which import them by their function names (pytest finds a fixture
by the name it is registered under): the fake OpenAI server on 127.0.0.1, and an answerer talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.answer.llm import LLMAnswerer
from tests.fakes import FakeOpenAI
from tests.llm_cases import KEY, make_answerer


@pytest.fixture(name="srv")
async def srv_fixture() -> AsyncIterator[FakeOpenAI]:
    """The fake OpenAI server, accepting KEY."""
    server = FakeOpenAI(api_key=KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(name="answerer")
def answerer_fixture(srv: FakeOpenAI) -> LLMAnswerer:
    return make_answerer(srv)
