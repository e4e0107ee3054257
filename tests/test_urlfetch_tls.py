"""HTTPS through the pinned address: the certificate is checked against the URL's host name, and the TLS
context is built once, off the event loop."""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from ingest.loaders import pinned, urlpolicy
from tests.urlfetch_harness import (
    PAGE,
    Server,
    connections_fixture,  # noqa: F401
    fetch,
    recorder_fixture,  # noqa: F401
    refused,
    server_fixture,  # noqa: F401
)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for pinned.test (EC, so generating it is quick)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pinned.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("pinned.test")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


@pytest.fixture
async def tls_server(tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[int]:
    cert_file, key_file = tls_files
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    app = web.Application()

    async def page(_: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    app.router.add_get("/page", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context, shutdown_timeout=1.0)
    await site.start()

    async def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    monkeypatch.setattr(urlpolicy, "_resolve", resolve)
    monkeypatch.setattr(pinned, "_build_ssl_context", lambda: ssl.create_default_context(cafile=str(cert_file)))
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def test_https_through_the_pinned_address(tls_server: int, connections: list[Any]) -> None:
    page = await fetch(f"https://pinned.test:{tls_server}/page")
    assert page.body == PAGE
    assert page.suggested_name == "pinned-test-page.html"
    assert connections == [("127.0.0.1", tls_server)]


async def test_https_certificate_must_match_the_url_host(tls_server: int) -> None:
    reason = await refused(f"https://impostor.test:{tls_server}/page")
    assert reason.startswith("refused: could not fetch from impostor.test (ConnectError:")
    assert "certificate" in reason.lower() or "hostname" in reason.lower()


async def test_the_tls_context_is_built_off_the_event_loop(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading the CA bundle blocks for tens of milliseconds: a fetch builds it in a worker thread."""
    builders: list[threading.Thread] = []

    def build() -> ssl.SSLContext:
        builders.append(threading.current_thread())
        return ssl.create_default_context()

    monkeypatch.setattr(pinned, "_build_ssl_context", build)
    await fetch(server.url("/page"))
    assert builders, "the fetch asked for the TLS context"
    assert all(thread is not threading.current_thread() for thread in builders), "built on the event loop"


async def test_the_tls_context_is_built_once() -> None:
    assert await pinned.ssl_context() is await pinned.ssl_context()
