"""The fake OpenAI server (tests/fakes) speaks OpenAI's shapes: completions, the model list, errors and the
event stream validate against the openai SDK's own types, and the real SDK parses its stream."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from openai.types import Model
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tests.fakes import FakeOpenAI
from tests.llm_cases import KEY
from tests.llm_fixtures import srv_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(10)


async def test_fake_completion_matches_openai_schema(srv: FakeOpenAI) -> None:
    srv.reply = "Hello"
    async with httpx.AsyncClient(base_url=srv.base_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        resp = await http.post(
            "/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        )
        assert resp.status_code == 200
        data = resp.json()
        assert set(data) == {"id", "object", "created", "model", "choices", "usage", "system_fingerprint"}
        assert data["choices"][0] == {
            "index": 0,
            "message": {"role": "assistant", "content": "Hello", "refusal": None},
            "logprobs": None,
            "finish_reason": "stop",
        }
        assert ChatCompletion.model_validate(data).usage is not None

        models = await http.get("/models")
        assert [Model.model_validate(m).id for m in models.json()["data"]] == ["gpt-4o-mini"]

        bad = await http.post("/chat/completions", json={"model": "m"})
        assert bad.status_code == 400
        assert bad.json()["error"]["param"] == "messages"

    async with httpx.AsyncClient(base_url=srv.base_url, headers={"Authorization": "Bearer wrong-key-123"}) as http:
        denied = await http.get("/models")
        assert denied.status_code == 401
        assert denied.json() == {
            "error": {
                "message": "Incorrect API key provided: wro*****23.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        }


async def test_fake_stream_matches_openai_schema(srv: FakeOpenAI) -> None:
    srv.reply = "Hello there"
    body = {
        "model": "m",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "hi"}],
    }
    async with httpx.AsyncClient(base_url=srv.base_url, headers={"Authorization": f"Bearer {KEY}"}) as http:
        resp = await http.post("/chat/completions", json=body)
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = [line.removeprefix("data: ") for line in resp.text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    chunks = [ChatCompletionChunk.model_validate(json.loads(e)) for e in events[:-1]]
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[0].choices[0].delta.content == ""
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Hello there"
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens

    # The real SDK parses the same stream.
    client = openai.AsyncOpenAI(base_url=srv.base_url, api_key=KEY, max_retries=0)
    stream = await client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True}
    )
    parts = [chunk async for chunk in stream]
    assert "".join(p.choices[0].delta.content or "" for p in parts if p.choices) == "Hello there"
