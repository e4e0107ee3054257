"""The one reach into chromadb's internals (ingest.store.server.bound_timeouts) still works.

chromadb gives its HTTP client no timeout and no public way to set one, so the server store sets
it on the client's session directly. This test is the alarm for a chromadb upgrade that moves it.
"""

from __future__ import annotations

import chromadb
import httpx

from ingest.store.clients import chroma_settings
from ingest.store.server import bound_timeouts
from tests.conftest import ChromaServer


def test_the_chroma_client_takes_our_timeouts(chroma_server: ChromaServer) -> None:
    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port, settings=chroma_settings())
    try:
        assert bound_timeouts(client, httpx.Timeout(5.0, connect=2.0)), (
            f"chromadb {chromadb.__version__} no longer keeps its httpx session at client._server._session: "
            "readers of a hung Chroma server would wait forever. Find where chromadb/api/fastapi.py keeps it "
            "now (or a public timeout setting) and update ingest.store.server.bound_timeouts."
        )
        assert client.heartbeat() > 0, "the client still works with our timeouts"
    finally:
        client.close()  # type: ignore[attr-defined]
