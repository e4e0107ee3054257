"""What the /ingest_url fetcher brings back from a server it may reach: the body, its type, the final URL
after redirects and the file name it suggests; its arguments and the form of its refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ingest.loaders.urlfetch import UrlRefused, fetch_url, suggested_name
from tests.urlfetch_harness import (
    PAGE,
    Server,
    connections_fixture,  # noqa: F401
    fetch,
    recorder_fixture,  # noqa: F401
    refused,
    server_fixture,  # noqa: F401
)


async def test_fetches_a_page(server: Server, connections: list[Any]) -> None:
    page = await fetch(server.url("/page"))
    assert page.body == PAGE
    assert page.content_type == "text/html"
    assert page.url == page.final_url == server.url("/page")
    assert page.suggested_name == "127-0-0-1-page.html"
    assert connections and all(address[0] == "127.0.0.1" for address in connections), "the recorder works"


@pytest.mark.parametrize(
    ("path", "content_type", "name"),
    [
        ("/doc", "application/pdf", "127-0-0-1-doc.pdf"),
        ("/articles/The%20CMIO%20Role.pdf", "application/pdf", "127-0-0-1-articles-the-cmio-role.pdf"),
        ("/text", "text/plain", "127-0-0-1-text.txt"),
    ],
)
async def test_document_types(server: Server, path: str, content_type: str, name: str) -> None:
    page = await fetch(server.url(path))
    assert (page.content_type, page.suggested_name) == (content_type, name)


async def test_redirects_are_followed_and_rechecked(server: Server, connections: list[Any]) -> None:
    page = await fetch(server.url("/relative"))
    assert page.final_url == server.url("/page")
    page = await fetch(server.url("/to-other"))
    assert page.body == b"the other server"
    assert page.final_url == f"http://127.0.0.1:{server.other_port}/page"
    assert "more than 2 redirects" in await refused(server.url("/loop"), max_redirects=2)
    assert server.requests.count("/loop") == 3


@pytest.mark.parametrize(
    ("url", "content_type", "name"),
    [
        ("https://www.Example.org/Some/Article.html?x=1#top", "text/html", "example-org-some-article.html"),
        ("https://example.org/", "application/xhtml+xml", "example-org.html"),
        ("https://example.org/cmio-guide", "text/markdown", "example-org-cmio-guide.md"),
        ("https://exämple.org/caf%C3%A9/r%C3%B4le", "text/plain", "xn-exmple-cua-org-cafe-role.txt"),
        (
            "https://example.org/" + "very-long-segment/" * 20,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ("example-org-" + "very-long-segment-" * 4)[:75].rstrip("-") + ".docx",
        ),
        ("https://example.org/../../etc/passwd", "text/plain", "example-org-etc-passwd.txt"),
        ("http://[::1]/", "text/plain", "1.txt"),
    ],
)
def test_suggested_name(url: str, content_type: str, name: str) -> None:
    result = suggested_name(httpx.URL(url), content_type)
    assert result == name
    stem, _, ext = result.rpartition(".")
    assert len(result) <= 80 and ext in ("html", "pdf", "txt", "md", "docx")
    assert stem and all(ch.isascii() and (ch.isdigit() or ch.islower() or ch == "-") for ch in stem)


def test_reason_is_one_line() -> None:
    assert UrlRefused("refused: a\nb\r\x00c\u2028d").reason == "refused: a b c d"
    assert len(UrlRefused("refused: " + "x" * 1000).reason) == 300


async def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        await fetch_url("http://example.org/", max_bytes=0, timeout_s=1)
