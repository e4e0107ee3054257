"""What the fetcher refuses to download from a server it may reach: too large (declared, streamed or
decompressed), too slow, an HTTP error, or a type it cannot load."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.urlfetch_harness import (
    HUGE_TOTAL,
    PAGE,
    Server,
    fetch,
    refused,
    server_fixture,  # noqa: F401
)


async def test_size_limit_is_inclusive(server: Server) -> None:
    assert (await fetch(server.url("/page"), max_bytes=len(PAGE))).body == PAGE
    reason = await refused(server.url("/page"), max_bytes=len(PAGE) - 1)
    assert reason == f"refused: the document from 127.0.0.1 is larger than the {len(PAGE) - 1} bytes limit"


async def test_gzip_is_decoded_and_bombs_are_stopped(server: Server) -> None:
    assert (await fetch(server.url("/gzip"))).body == PAGE
    assert "larger than the 1 MB limit" in await refused(server.url("/bomb"))
    assert "unsupported content encoding (br)" in await refused(server.url("/brotli"))


async def test_huge_body_is_refused_without_reading_the_rest(server: Server) -> None:
    assert await refused(server.url("/huge")) == "refused: the document from 127.0.0.1 is larger than the 1 MB limit"
    await asyncio.wait_for(server.huge_done.wait(), 5)
    assert server.huge_written < HUGE_TOTAL / 4, "the client hung up instead of draining the body"


async def test_declared_length_is_refused_before_reading(server: Server) -> None:
    assert "larger than the 1 MB limit" in await refused(server.url("/declared"))


@pytest.mark.parametrize("path", ["/slow", "/slow-headers"])
async def test_total_time_limit(server: Server, path: str) -> None:
    started = time.monotonic()
    reason = await refused(server.url(path), timeout_s=0.5)
    assert time.monotonic() - started < 5, "our limit ended the fetch, not the server's 5 s"
    assert reason in (
        "refused: the fetch did not finish within 0.5 s",
        "refused: 127.0.0.1 did not answer within 0.5 s",
    )


async def test_http_errors_are_refused(server: Server) -> None:
    assert await refused(server.url("/missing")) == "refused: the server answered HTTP 404"
    assert "without a Location" in await refused(server.url("/no-location"))


@pytest.mark.parametrize("path", ["/json", "/untyped"])
async def test_other_content_types_are_refused(server: Server, path: str) -> None:
    reason = await refused(server.url(path))
    assert "not HTML, text, Markdown, PDF or DOCX" in reason
    assert ("application/json" in reason) == (path == "/json")
