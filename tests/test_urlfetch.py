"""The /ingest_url fetcher: what it fetches, what it refuses, and that refusals never connect.

Connection attempts are recorded with an audit hook on "socket.connect". While a test records, the
hook also blocks any connection that is not to 127.0.0.1, so a bug can never reach another host.
"""

from __future__ import annotations

import asyncio
import datetime
import gzip
import socket
import ssl
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from aiohttp import web

from ingest.loaders import pinned, urlpolicy
from ingest.loaders.urlfetch import FetchedPage, UrlRefused, address_refusal, fetch_url, suggested_name
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


@pytest.fixture(scope="session")
def recorder() -> ConnectRecorder:
    """Installed once per session."""
    global _RECORDER
    if _RECORDER is None:
        _RECORDER = ConnectRecorder()
        sys.addaudithook(_RECORDER)
    return _RECORDER


@pytest.fixture
def connections(recorder: ConnectRecorder) -> Iterator[list[Any]]:
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


@pytest.fixture
async def server() -> AsyncIterator[Server]:
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


# -- fetching from the (allowed-in-test) loopback server ----------------------------------------------


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


async def test_redirects_are_followed_and_rechecked(server: Server, connections: list[Any]) -> None:
    page = await fetch(server.url("/relative"))
    assert page.final_url == server.url("/page")
    page = await fetch(server.url("/to-other"))
    assert page.body == b"the other server"
    assert page.final_url == f"http://127.0.0.1:{server.other_port}/page"
    assert "more than 2 redirects" in await refused(server.url("/loop"), max_redirects=2)
    assert server.requests.count("/loop") == 3


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/to-metadata", "refused: 169.254.169.254 is a link-local address (redirected from 127.0.0.1)"),
        ("/to-private", "refused: 10.0.0.1 is a private address (redirected from 127.0.0.1)"),
        ("/to-file", "refused: the file: scheme is not allowed (only http and https)"),
        ("/to-mapped", "refused: ::ffff:127.0.0.1 is an IPv4-mapped form of 127.0.0.1, a loopback address"),
    ],
)
async def test_redirect_to_a_forbidden_target(server: Server, connections: list[Any], path: str, reason: str) -> None:
    assert (await refused(server.url(path))).startswith(reason)
    assert connections == [("127.0.0.1", server.port)], "only the first, allowed hop connected"


async def test_allow_loopback_still_refuses_private_addresses(connections: list[Any]) -> None:
    for url in ("http://169.254.169.254/", "http://10.0.0.1/", "http://192.168.1.1/", "http://[fe80::1]/"):
        await refused(url, allow_loopback=True)
    assert connections == []


# -- refusals with allow_loopback=False: zero connection attempts -------------------------------------

REFUSED = [
    ("http://127.0.0.1:{port}/page", "refused: 127.0.0.1 is a loopback address"),
    ("http://[::1]:{port}/page", "refused: ::1 is a loopback address"),
    ("http://2130706433:{port}/page", "refused: 2130706433 resolves to 127.0.0.1, a loopback address"),
    ("http://0x7f000001:{port}/page", "refused: 0x7f000001 resolves to 127.0.0.1, a loopback address"),
    ("http://127.1:{port}/page", "refused: 127.1 resolves to 127.0.0.1, a loopback address"),
    ("http://0177.0.0.1:{port}/page", "refused: not a valid URL"),
    ("http://[::ffff:127.0.0.1]:{port}/page", "refused: ::ffff:127.0.0.1 is an IPv4-mapped form of 127.0.0.1"),
    ("http://[::127.0.0.1]:{port}/page", "refused: ::127.0.0.1 is a deprecated IPv4-compatible form of 127.0.0.1"),
    ("http://localhost:{port}/page", "refused: localhost resolves to 127.0.0.1, a loopback address"),
    ("http://0.0.0.0:{port}/page", "refused: 0.0.0.0 is an unspecified address"),
    ("http://[::]:{port}/page", "refused: :: is an unspecified address"),
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254 is a link-local address"),
    ("http://10.0.0.1/", "refused: 10.0.0.1 is a private address"),
    ("http://172.16.5.4/", "refused: 172.16.5.4 is a private address"),
    ("http://192.168.1.1/", "refused: 192.168.1.1 is a private address"),
    ("http://100.64.0.1/", "refused: 100.64.0.1 is a carrier-grade NAT address"),
    ("http://224.0.0.1/", "refused: 224.0.0.1 is a multicast address"),
    ("http://240.0.0.1/", "refused: 240.0.0.1 is a reserved address"),
    ("http://[fe80::1]/", "refused: fe80::1 is a link-local address"),
    ("http://[fd00::1]/", "refused: fd00::1 is a unique-local address"),
    ("http://[ff02::1]/", "refused: ff02::1 is a multicast address"),
    ("http://[2002:a9fe:a9fe::1]/", "refused: 2002:a9fe:a9fe::1 is a 6to4 address embedding 169.254.169.254"),
    (
        "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",
        "refused: 2001:0:4136:e378:8000:63bf:f5ff:fffe is a Teredo address embedding 10.0.0.1, a private address",
    ),
    ("http://[64:ff9b::a9fe:a9fe]/", "refused: 64:ff9b::a9fe:a9fe is a NAT64 form of 169.254.169.254"),
    ("file:///etc/passwd", "refused: the file: scheme is not allowed (only http and https)"),
    ("ftp://x/", "refused: the ftp: scheme is not allowed (only http and https)"),
    ("javascript:alert(1)", "refused: the javascript: scheme is not allowed"),
    ("data:text/html,<h1>hi</h1>", "refused: the data: scheme is not allowed"),
    ("gopher://127.0.0.1:{port}/", "refused: the gopher: scheme is not allowed"),
    ("127.0.0.1:{port}/page", "refused: a URL without http:// or https:// is not allowed"),
    ("//127.0.0.1:{port}/page", "refused: a URL without http:// or https:// is not allowed"),
    ("http:///page", "refused: the URL has no host"),
    ("http://user:secret@example.org/", "refused: URLs with a user name or password are not accepted"),
    ("http://127.0.0.1:{port}/to-other", "refused: 127.0.0.1 is a loopback address"),
]


@pytest.mark.parametrize(("template", "reason"), REFUSED)
async def test_refused_without_connecting(server: Server, connections: list[Any], template: str, reason: str) -> None:
    url = template.format(port=server.port)
    assert (await refused(url, allow_loopback=False)).startswith(reason)
    assert connections == []
    assert server.requests == []


# -- DNS: pinning and rebinding -----------------------------------------------------------------------


async def test_any_forbidden_address_refuses_the_host(monkeypatch: pytest.MonkeyPatch, connections: list[Any]) -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.1.2.3"]

    monkeypatch.setattr(urlpolicy, "_resolve", resolve)
    reason = await refused("https://mixed.example/", allow_loopback=False)
    assert reason == "refused: mixed.example resolves to 10.1.2.3, a private address"
    assert connections == []


async def test_connections_go_only_to_the_vetted_address(
    server: Server, monkeypatch: pytest.MonkeyPatch, connections: list[Any]
) -> None:
    """httpx never resolves the name itself: a name the system cannot resolve still works."""
    seen: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        seen.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(urlpolicy, "_resolve", resolve)
    page = await fetch(f"http://pinned.invalid:{server.port}/relative")
    assert page.body == PAGE
    assert seen == ["pinned.invalid", "pinned.invalid"], "every hop is resolved and checked again"
    assert connections and all(address == ("127.0.0.1", server.port) for address in connections)


async def test_peer_address_is_checked_before_sending(
    server: Server, monkeypatch: pytest.MonkeyPatch, connections: list[Any]
) -> None:
    """If the connection lands somewhere else than vetted (rebinding, a hijacked route), nothing is sent."""

    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    original = httpcore.AnyIOBackend.connect_tcp

    async def hijacked(self: httpcore.AnyIOBackend, host: str, port: int, **kwargs: Any) -> Any:
        assert host == "93.184.216.34"
        return await original(self, "127.0.0.1", server.port, **kwargs)

    monkeypatch.setattr(urlpolicy, "_resolve", resolve)
    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", hijacked)
    reason = await refused(f"http://rebind.example:{server.port}/page", allow_loopback=False)
    assert reason == "refused: the connection to rebind.example reached 127.0.0.1, a loopback address"
    assert connections == [("127.0.0.1", server.port)]
    await asyncio.sleep(0.05)
    assert server.requests == [], "no request reached the server"


async def test_unresolvable_host(monkeypatch: pytest.MonkeyPatch, connections: list[Any]) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:  # no real DNS query leaves the test machine
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    reason = await refused("http://no-such-host.invalid/", allow_loopback=False)
    assert reason.startswith("refused: cannot resolve no-such-host.invalid")
    assert connections == []


# -- HTTPS: the certificate is checked against the URL's host name, not the pinned address -----------


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


# -- pure helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "allow_loopback", "expected"),
    [
        ("93.184.216.34", False, None),
        ("2606:2800:220:1:248:1893:25c8:1946", False, None),
        ("::ffff:93.184.216.34", False, None),
        ("64:ff9b::5db8:d822", False, None),
        ("127.0.0.1", True, None),
        ("127.9.9.9", True, None),
        ("::1", True, None),
        ("127.0.0.1", False, "a loopback address"),
        ("::ffff:127.0.0.1", True, "an IPv4-mapped form of 127.0.0.1, a loopback address"),
        ("10.0.0.1", True, "a private address"),
        ("169.254.169.254", True, "a link-local address"),
        ("192.0.2.1", False, "a documentation address"),
        ("198.18.0.1", False, "a benchmarking address"),
        ("255.255.255.255", False, "a broadcast address"),
        ("fe80::1%eth0", False, "a link-local address"),
        ("fec0::1", False, "a site-local address"),
        ("2001:db8::1", False, "a documentation address"),
        ("64:ff9b:1::1", False, "a local-use NAT64 address"),
        ("::ffff:0:a00:1", False, "an IPv4-translated address"),
        ("100::1", False, "a discard-only address"),
        ("4000::1", False, "a reserved address"),
        ("2001:2::1", False, "an address that is not globally routable"),
        ("not-an-ip", False, "not an IP address"),
    ],
)
def test_address_refusal(address: str, allow_loopback: bool, expected: str | None) -> None:
    assert address_refusal(address, allow_loopback) == expected


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
