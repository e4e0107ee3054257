"""A fake OpenAI Chat Completions server, so tests drive the real LangChain/openai client over HTTP.

It runs on the test's own event loop (aiohttp.web on 127.0.0.1, a free port) and answers in the
wire shapes of api.openai.com: chat completions (plain JSON and SSE streaming), the models list,
and errors as ``{"error": {"message", "type", "param", "code"}}``. Tests steer it through plain
attributes (``reply``, ``delay_s``, ``fail_with``) between awaits and read back ``requests``.

    srv = FakeOpenAI(api_key="test-key"); await srv.start()
    srv.reply = "text"  # or a callable(messages) -> str
    ...
    await srv.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

JSONDict = dict[str, Any]
Messages = list[JSONDict]
Reply = str | Callable[[Messages], str]
#: HTTP status codes answered with an OpenAI error body, or a transport-level failure:
#: "drop" closes the connection before any response; "drop_mid_stream" sends part of the answer and then
#: closes it; "stall_mid_stream" sends part of the answer and then goes silent; "malformed" answers 200 with
#: an HTML page (what a misconfigured proxy returns); "null_choices" answers 200 with JSON whose "choices" is
#: null (what some OpenAI-compatible servers send on internal errors).
FailMode = int | Literal["drop", "drop_mid_stream", "stall_mid_stream", "malformed", "null_choices"] | None

_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("invalid_request_error", "We could not parse the JSON body of your request.", None),
    401: ("invalid_request_error", "Incorrect API key provided.", "invalid_api_key"),
    403: ("invalid_request_error", "You are not allowed to sample from this model.", "model_not_allowed"),
    404: ("invalid_request_error", "The model does not exist or you do not have access to it.", "model_not_found"),
    # The live API reports rate limits with type "requests" (or "tokens"), not an *_error type.
    429: ("requests", "Rate limit reached for requests. Please try again in 20ms.", "rate_limit_exceeded"),
    500: ("server_error", "The server had an error while processing your request. Sorry about that!", None),
    503: ("server_error", "The engine is currently overloaded, please try again later.", None),
}


def error_body(
    status: int, message: str | None = None, *, param: str | None = None, code: str | None = None
) -> JSONDict:
    """OpenAI's error envelope for `status`; unknown codes map to server_error/invalid_request_error."""
    kind, default_message, default_code = _ERRORS.get(
        status, ("server_error" if status >= 500 else "invalid_request_error", "Request failed.", None)
    )
    return {
        "error": {
            "message": message or default_message,
            "type": kind,
            "param": param,
            "code": code if code is not None else default_code,
        }
    }


def count_tokens(text: str) -> int:
    """A rough tokenizer (about four characters a token), enough for plausible usage numbers."""
    return max(1, (len(text) + 3) // 4) if text else 0


def _message_text(message: JSONDict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


class FakeOpenAI:
    """An OpenAI-compatible Chat Completions endpoint on 127.0.0.1 with test-controlled answers and faults."""

    def __init__(self, api_key: str = "test-key", *, model: str = "gpt-4o-mini", chunk_chars: int = 4) -> None:
        self.api_key = api_key
        self.model = model
        #: What the "model" answers: fixed text, or a function of the request's messages.
        self.reply: Reply = "OK"
        #: Seconds to wait before answering (before any header is sent).
        self.delay_s = 0.0
        #: Seconds between streamed chunks.
        self.chunk_delay_s = 0.0
        #: Characters per streamed content chunk (roughly one token).
        self.chunk_chars = chunk_chars
        #: Every following request fails this way until reset to None.
        self.fail_with: FailMode = None
        #: JSON bodies of every chat completion request received (including rejected ones), oldest first.
        self.requests: list[JSONDict] = []
        #: The request headers matching `requests`, lower-cased names.
        self.headers: list[dict[str, str]] = []
        self._ids = itertools.count(1)
        self._inflight: set[asyncio.Task[Any]] = set()
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The URL to hand to the client as its base_url, ending in /v1."""
        if self._port is None:
            raise RuntimeError("FakeOpenAI is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._track])
        app.router.add_post("/v1/chat/completions", self._chat_completions)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/v1/models/{model}", self._model)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # handler_cancellation: a client that gives up (timeout) cancels its handler, as a real server would
        # stop generating; a short shutdown_timeout keeps stop() from waiting on handlers we cancel anyway.
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Cancel whatever is still being answered (delays, stalls) and close the listening socket."""
        for task in list(self._inflight):
            task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @web.middleware
    async def _track(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            return await handler(request)
        finally:
            if task is not None:
                self._inflight.discard(task)

    # ---- helpers ------------------------------------------------------------------------------------------

    def _error(self, status: int, message: str | None = None, **kw: Any) -> web.Response:
        headers = {"x-request-id": f"req_{secrets.token_hex(16)}"}
        if status == 429:
            headers["retry-after"] = "1"
        return web.json_response(error_body(status, message, **kw), status=status, headers=headers)

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {self.api_key}"

    def _unauthorized(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "")
        if not given.startswith("Bearer ") or not given[7:].strip():
            return self._error(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code=None,
            )
        key = given[7:].strip()
        masked = f"{key[:3]}*****{key[-2:]}" if len(key) > 6 else "*****"
        return self._error(401, f"Incorrect API key provided: {masked}.", code="invalid_api_key")

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Close the TCP connection without a (complete) response, as a crashed upstream or proxy would."""
        if request.transport is not None:
            request.transport.abort()
        raise asyncio.CancelledError  # nothing can be written any more; aiohttp treats this as a lost client

    def _answer_text(self, messages: Messages) -> str:
        return self.reply(messages) if callable(self.reply) else self.reply

    # ---- routes ---------------------------------------------------------------------------------------------

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._error(404, f"Invalid URL ({request.method} {request.path})", code=None)

    def _model_obj(self, model_id: str) -> JSONDict:
        return {"id": model_id, "object": "model", "created": 1_700_000_000, "owned_by": "system"}

    async def _models(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized(request)
        return web.json_response({"object": "list", "data": [self._model_obj(self.model)]})

    async def _model(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._unauthorized(request)
        model_id = request.match_info["model"]
        if model_id != self.model:
            return self._error(
                404, f"The model `{model_id}` does not exist or you do not have access to it.", code="model_not_found"
            )
        return web.json_response(self._model_obj(model_id))

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            self.requests.append(body)
            self.headers.append({k.lower(): v for k, v in request.headers.items()})
        if not self._authorized(request):
            return self._unauthorized(request)
        if not isinstance(body, dict):
            return self._error(400)
        if self.delay_s > 0:
            await asyncio.sleep(self.delay_s)

        fail = self.fail_with
        stream = bool(body.get("stream"))
        if fail == "drop" or (fail in ("drop_mid_stream", "stall_mid_stream") and not stream):
            self._drop(request)
        if fail == "malformed":
            return web.Response(text="<html><body>502 Bad Gateway</body></html>", content_type="text/html")
        if fail == "null_choices":
            return web.json_response({"id": "chatcmpl-broken", "object": "chat.completion", "choices": None})
        if isinstance(fail, int):
            return self._error(fail)

        model = body.get("model")
        if not isinstance(model, str) or not model:
            return self._error(400, "you must provide a model parameter", code=None)
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self._error(
                400, "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter"
            )

        text = self._answer_text(messages)
        usage = {
            "prompt_tokens": sum(count_tokens(_message_text(m)) + 4 for m in messages if isinstance(m, dict)),
            "completion_tokens": count_tokens(text),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        completion_id = f"chatcmpl-{next(self._ids):04d}{secrets.token_hex(10)}"
        created = int(time.time())
        if stream:
            return await self._stream(request, body, completion_id, created, model, text, usage)
        return web.json_response(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": usage,
                "system_fingerprint": None,
            },
            headers={"x-request-id": f"req_{secrets.token_hex(16)}"},
        )

    async def _stream(
        self,
        request: web.Request,
        body: JSONDict,
        completion_id: str,
        created: int,
        model: str,
        text: str,
        usage: dict[str, int],
    ) -> web.StreamResponse:
        options = body.get("stream_options")
        include_usage = isinstance(options, dict) and bool(options.get("include_usage"))

        def chunk(delta: JSONDict, finish_reason: str | None = None) -> JSONDict:
            out: JSONDict = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "system_fingerprint": None,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                out["usage"] = None  # every chunk carries a null usage until the last one
            return out

        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "x-request-id": f"req_{secrets.token_hex(16)}",
            }
        )
        await resp.prepare(request)

        async def send(payload: JSONDict | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
            await resp.write(f"data: {data}\n\n".encode())

        await send(chunk({"role": "assistant", "content": "", "refusal": None}))
        step = max(1, self.chunk_chars)
        pieces = [text[i : i + step] for i in range(0, len(text), step)]
        for index, piece in enumerate(pieces):
            if self.fail_with in ("drop_mid_stream", "stall_mid_stream") and index >= len(pieces) // 2:
                if self.fail_with == "stall_mid_stream":
                    await asyncio.Event().wait()  # silent until the client gives up or stop() cancels us
                self._drop(request)
            await send(chunk({"content": piece}))
            if self.chunk_delay_s > 0:
                await asyncio.sleep(self.chunk_delay_s)
        await send(chunk({}, "stop"))
        if include_usage:
            await send(
                {
                    "id": completion_id,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "system_fingerprint": None,
                    "choices": [],
                    "usage": usage,
                }
            )
        await send("[DONE]")
        with contextlib.suppress(ConnectionError):
            await resp.write_eof()
        return resp


@contextlib.contextmanager
def serving_in_thread(fake: FakeOpenAI) -> Iterator[FakeOpenAI]:
    """The fake on a loop and thread of its own, for callers that block: a `python -m bot` process, or
    a CLI function that runs its own event loop. Steer it between calls as usual (`reply`, `fail_with`)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fake-openai", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(10)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
