"""A reverse proxy (as nginx would be) in front of the Chroma server answering 502 while the server behind it
is stopped: users hear "temporarily unavailable", not "something went wrong", and answers resume after.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.answer.advisor import STORE_DOWN, Advisor
from ingest.embedding.factory import Embedder
from ingest.errors import StoreUnavailableError
from ingest.store.index import KnowledgeIndex
from tests.conftest import ChromaServer
from tests.emulator.faults import NGINX_502
from tests.outage_fixtures import CTO_Q, server_fixture, up_fixture, world_fixture  # noqa: F401
from tests.telegram_harness import World

pytestmark = pytest.mark.timeout(240)


class Proxy(http.server.ThreadingHTTPServer):
    """A reverse proxy on 127.0.0.1 in front of the real server, as nginx would be; while `down` it
    answers every request with nginx's 502 page, as nginx does when the server behind it is stopped."""

    daemon_threads = True

    def __init__(self, upstream: int) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = httpx.Client(base_url=f"http://127.0.0.1:{upstream}", timeout=10)
        self.down = False

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Forward(http.server.BaseHTTPRequestHandler):
    server: Proxy
    protocol_version = "HTTP/1.1"

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.down:
            status, content, kind = 502, NGINX_502.encode(), "text/html"
        else:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
            got = self.server.upstream.request(self.command, self.path, content=body, headers=headers)
            status, content, kind = got.status_code, got.content, got.headers.get("content-type", "")
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward  # noqa: N815 - http.server's names

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads its outcome from the reader, not from an access log."""


@pytest.fixture
def proxy(up: ChromaServer) -> Iterator[Proxy]:
    server = Proxy(up.port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    server.upstream.close()


def test_a_proxy_answering_502_reads_as_unavailable(world: World, proxy: Proxy, embedder: Embedder) -> None:
    """chromadb raises a plain Exception with the page as its text for a non-JSON error answer; users
    must hear "temporarily unavailable", not "something went wrong", and answers resume after."""
    store = world.settings.store.model_copy(update={"port": proxy.port, "refresh_seconds": 0.0})
    settings = world.settings.model_copy(update={"store": store})
    index = KnowledgeIndex(settings, embedder)
    advisor = Advisor(settings, index)
    assert advisor.ask_sync(CTO_Q).in_scope
    proxy.down = True
    with pytest.raises(StoreUnavailableError, match="answered with an HTTP error") as caught:
        index.search(CTO_Q, 3)
    assert "<html>" not in str(caught.value)  # the page itself is not the message
    with pytest.raises(STORE_DOWN):
        advisor.ask_sync(CTO_Q)
    with pytest.raises(StoreUnavailableError, match="answered HTTP 502"):  # a reader starting meanwhile
        KnowledgeIndex(settings, embedder).version()
    proxy.down = False
    assert advisor.ask_sync(CTO_Q).in_scope  # the same reader, no restart
    index.close()
