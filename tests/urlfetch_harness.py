"""What the test_urlfetch_* modules share: the recorder of connection attempts, the loopback test servers,
and `fetch`/`refused`, the fetcher with the tests' defaults.

Connection attempts are recorded with an audit hook on "socket.connect". While a test records, the
hook also blocks any connection that is not to 127.0.0.1, so a bug can never reach another host.
A test module imports recorder_fixture, connections_fixture and server_fixture for the fixtures its tests
ask for as recorder, connections and server (pytest finds a fixture by the name it is registered under).
"""

from __future__ import annotations

import asyncio
import gzip
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from ingest.loaders.urlfetch import FetchedPage, UrlRefused, fetch_url
from tests.localweb import start_local

PAGE = b"<html><head><title>CMIO</title></head><body>What a CMIO does.</body></html>"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HUGE_TOTAL = 64 * 1024 * 1024
LIMIT = 1_000_000


# -- recording connection attempts --------------------------------------------------------------------


class ConnectRecorder:
    """Audit hooks cannot be removed, so the one hook only acts while `active` is set."""

    def __init__(self) -> None:
        self.active = False
        self.attempts: list[Any] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "socket.connect" or not self.active:
            return
        address = args[1]
        self.attempts.append(address)
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            raise ConnectionRefusedError(f"test guard: a connection to {address!r} was blocked")


_RECORDER: ConnectRecorder | None = None


@pytest.fixture(scope="session", name="recorder")
def recorder_fixture() -> ConnectRecorder:
    """Installed once per session."""
    global _RECORDER
    if _RECORDER is None:
        _RECORDER = ConnectRecorder()
        sys.addaudithook(_RECORDER)
    return _RECORDER


@pytest.fixture(name="connections")
def connections_fixture(recorder: ConnectRecorder) -> Iterator[list[Any]]:
    recorder.attempts.clear()
    recorder.active = True
    try:
        yield recorder.attempts
    finally:
        recorder.active = False


# -- the test servers (127.0.0.1 only) ----------------------------------------------------------------


@dataclass
class Server:
    port: int
    other_port: int
    requests: list[str] = field(default_factory=list)
    huge_written: int = 0
    huge_done: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def build_app(server: Server) -> web.Application:
    @web.middleware
    async def log_requests(request: web.Request, handler: Any) -> web.StreamResponse:
        server.requests.append(request.path)
        response: web.StreamResponse = await handler(request)
        return response

    async def page(_: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html", charset="utf-8")

    async def doc(_: web.Request) -> web.Response:
        return web.Response(body=PDF, content_type="application/pdf")

    async def text(_: web.Request) -> web.Response:
        return web.Response(text="plain words", content_type="text/plain")

    async def json(_: web.Request) -> web.Response:
        return web.Response(text="{}", content_type="application/json")

    async def untyped(_: web.Request) -> web.Response:
        response = web.Response(body=b"???")
        response.headers.popall("Content-Type", None)
        return response

    def gzipped(body: bytes) -> web.Response:
        return web.Response(body=gzip.compress(body), headers={"Content-Type": "text/html", "Content-Encoding": "gzip"})

    async def compressed(_: web.Request) -> web.Response:
        return gzipped(PAGE)

    async def bomb(_: web.Request) -> web.Response:
        return gzipped(b"\0" * (20 * LIMIT))

    async def brotli(_: web.Request) -> web.Response:
        return web.Response(body=b"xx", headers={"Content-Type": "text/html", "Content-Encoding": "br"})

    def redirect(location: str, status: int = 302) -> Any:
        async def handler(_: web.Request) -> web.Response:
            return web.Response(status=status, headers={"Location": location})

        return handler

    async def no_location(_: web.Request) -> web.Response:
        return web.Response(status=302)

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        chunk = b"x" * 65536
        try:
            while server.huge_written < HUGE_TOTAL:
                await response.write(chunk)
                server.huge_written += len(chunk)
        except ConnectionError:
            pass  # the client hung up, as it should
        finally:
            server.huge_done.set()
        return response

    async def declared(_: web.Request) -> web.Response:
        return web.Response(body=b"y" * (2 * LIMIT), content_type="text/plain")

    async def slow(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            await response.write(b"<html>")
            for _step in range(100):  # a byte every 50 ms, for at most 5 s
                if server.stop.is_set():
                    break
                await asyncio.sleep(0.05)
                await response.write(b" ")
        except ConnectionError:
            pass
        return response

    async def slow_headers(_: web.Request) -> web.Response:
        for _step in range(100):
            if server.stop.is_set():
                break
            await asyncio.sleep(0.05)
        return web.Response(body=PAGE, content_type="text/html")

    async def missing(_: web.Request) -> web.Response:
        return web.Response(status=404, text="no such page")

    app = web.Application(middlewares=[log_requests])
    routes = {
        "/page": page,
        "/articles/The CMIO Role.pdf": doc,
        "/doc": doc,
        "/text": text,
        "/json": json,
        "/untyped": untyped,
        "/gzip": compressed,
        "/bomb": bomb,
        "/brotli": brotli,
        "/relative": redirect("/page", 301),
        "/to-other": redirect(f"http://127.0.0.1:{server.other_port}/page"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-private": redirect("http://10.0.0.1/admin"),
        "/to-mapped": redirect(f"http://[::ffff:127.0.0.1]:{server.port}/page"),
        "/to-file": redirect("file:///etc/passwd"),
        "/loop": redirect("/loop", 307),
        "/no-location": no_location,
        "/huge": huge,
        "/declared": declared,
        "/slow": slow,
        "/slow-headers": slow_headers,
        "/missing": missing,
    }
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    return app


@pytest.fixture(name="server")
async def server_fixture() -> AsyncIterator[Server]:
    other = web.Application()

    async def other_page(_: web.Request) -> web.Response:
        return web.Response(text="the other server", content_type="text/plain")

    other.router.add_get("/page", other_page)
    other_runner, other_port = await start_local(other)
    srv = Server(port=0, other_port=other_port)
    runner, srv.port = await start_local(build_app(srv))
    try:
        yield srv
    finally:
        srv.stop.set()
        await runner.cleanup()
        await other_runner.cleanup()


async def fetch(url: str, **kwargs: Any) -> FetchedPage:
    options: dict[str, Any] = {"max_bytes": LIMIT, "timeout_s": 5.0, "allow_loopback": True}
    options.update(kwargs)
    return await fetch_url(url, **options)


async def refused(url: str, **kwargs: Any) -> str:
    with pytest.raises(UrlRefused) as info:
        await fetch(url, **kwargs)
    reason = info.value.reason
    assert reason.startswith("refused: ") and "\n" not in reason and len(reason) <= 300
    return reason
