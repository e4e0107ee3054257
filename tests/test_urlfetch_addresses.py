"""Where the fetcher never connects: loopback, private and other non-public addresses in any spelling,
other schemes, and the redirects and DNS answers that lead there; a refusal makes no connection."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpcore
import pytest

from ingest.loaders import urlpolicy
from ingest.loaders.urlfetch import address_refusal
from tests.urlfetch_harness import (
    PAGE,
    Server,
    connections_fixture,  # noqa: F401
    fetch,
    recorder_fixture,  # noqa: F401
    refused,
    server_fixture,  # noqa: F401
)


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
