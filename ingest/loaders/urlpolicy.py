"""Which URLs and addresses a fetch may reach: the SSRF policy, checked before and after connecting.

The bot runs next to things an outsider must never reach through it (cloud metadata at
169.254.169.254, the Chroma server on loopback, the hospital's private network), and an admin can be
tricked into pasting a URL. So, for the first request and for every redirect hop:

1. only http and https URLs without credentials are accepted;
2. the host is resolved with getaddrinfo, which also turns numeric tricks (2130706433, 0x7f000001,
   127.1) into the real address, and the fetch is refused if ANY resolved address is not globally
   routable (IPv4-mapped, NAT64, 6to4 and Teredo forms are unwrapped first);
3. once connected, the socket's peer address is checked again (peer_refusal), before any byte is sent.

Refused URLs cause no connection attempt at all. Every refusal is one line for the admin.
The transport that connects only to vetted addresses is ingest.loaders.pinned.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpcore
import httpx


class UrlRefused(Exception):  # noqa: N818 - the name is part of the agreed API
    """The fetch was refused or failed; `reason` is one line that tells the admin what and why."""

    def __init__(self, reason: str) -> None:
        self.reason = _one_line(reason)
        super().__init__(self.reason)


def _one_line(text: str, limit: int = 300) -> str:
    """Control characters from a hostile server or URL must not break the admin's chat message."""
    clean = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


# -- which addresses may be reached -----------------------------------------------------------------


def _nets4(*pairs: tuple[str, str]) -> tuple[tuple[ipaddress.IPv4Network, str], ...]:
    """IPv4 networks with the words a refusal uses for them."""
    return tuple((ipaddress.IPv4Network(net), label) for net, label in pairs)


def _nets6(*pairs: tuple[str, str]) -> tuple[tuple[ipaddress.IPv6Network, str], ...]:
    """IPv6 networks with the words a refusal uses for them."""
    return tuple((ipaddress.IPv6Network(net), label) for net, label in pairs)


_BLOCKED_V4 = _nets4(
    ("0.0.0.0/32", "an unspecified address"),
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("192.0.0.0/24", "an IETF protocol assignment address"),
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay anycast address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "a broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
)

_BLOCKED_V6 = _nets6(
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::ffff:0:0:0/96", "an IPv4-translated address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("100::/64", "a discard-only address"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)

_V4_COMPAT = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_GLOBAL_UNICAST_V6 = ipaddress.IPv6Network("2000::/3")
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")
_NOT_GLOBAL = "an address that is not globally routable"


def _v4_refusal(ip: ipaddress.IPv4Address) -> str | None:
    """Why an IPv4 address may not be reached, or None if it is globally routable."""
    for net, label in _BLOCKED_V4:
        if ip in net:
            return label
    return None if ip.is_global else _NOT_GLOBAL


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    """The IPv4 address in an IPv6 address's last 32 bits (IPv4-compatible, NAT64)."""
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)


def _v6_refusal(ip: ipaddress.IPv6Address) -> str | None:
    """IPv6 forms that carry an IPv4 address are judged by that address, then the v6 ranges apply."""
    mapped = ip.ipv4_mapped
    if mapped is not None:
        inner = _v4_refusal(mapped)
        return None if inner is None else f"an IPv4-mapped form of {mapped}, {inner}"
    if ip in _V4_COMPAT and int(ip) > 1:
        return f"a deprecated IPv4-compatible form of {_embedded_v4(ip)}"
    if ip in _NAT64:
        inner = _v4_refusal(_embedded_v4(ip))
        return None if inner is None else f"a NAT64 form of {_embedded_v4(ip)}, {inner}"
    if ip.sixtofour is not None:
        inner = _v4_refusal(ip.sixtofour)
        if inner is not None:
            return f"a 6to4 address embedding {ip.sixtofour}, {inner}"
    if ip.teredo is not None:
        for embedded in ip.teredo:
            inner = _v4_refusal(embedded)
            if inner is not None:
                return f"a Teredo address embedding {embedded}, {inner}"
    for net, label in _BLOCKED_V6:
        if ip in net:
            return label
    if ip not in _GLOBAL_UNICAST_V6:
        return "a reserved address"
    return None if ip.is_global else _NOT_GLOBAL


def address_refusal(address: str, allow_loopback: bool = False) -> str | None:
    """Why connecting to this IP address is refused (e.g. "a link-local address"), or None if allowed.

    `allow_loopback` (test configurations only) admits 127.0.0.0/8 and ::1, nothing else.
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if allow_loopback and (ip == _LOOPBACK_V6 or (isinstance(ip, ipaddress.IPv4Address) and ip in _LOOPBACK_V4)):
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_refusal(ip)
    return _v6_refusal(ip)


def _is_literal(host: str, address: str) -> bool:
    """True if the URL's host is this very address written as an IP literal."""
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False


# -- checking a URL before any connection -----------------------------------------------------------


def parse_url(url: str | httpx.URL, base: httpx.URL | None = None) -> httpx.URL:
    """The URL (joined to base, for a redirect's Location) as httpx parses it; UrlRefused if it cannot."""
    try:
        parsed = base.join(url) if base is not None else httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UrlRefused(f"refused: not a valid URL ({exc})") from None
    return parsed


def _host_of(url: httpx.URL) -> tuple[str, int]:
    """(host, port) exactly as httpcore will ask the network backend for them."""
    if url.scheme not in ("http", "https"):
        what = f"the {url.scheme}: scheme" if url.scheme else "a URL without http:// or https://"
        raise UrlRefused(f"refused: {what} is not allowed (only http and https)")
    if url.userinfo:
        raise UrlRefused("refused: URLs with a user name or password are not accepted")
    try:
        host = url.raw_host.decode("ascii")
    except UnicodeDecodeError:
        raise UrlRefused("refused: the host name is not valid") from None
    if not host:
        raise UrlRefused("refused: the URL has no host")
    return host, url.port or (443 if url.scheme == "https" else 80)


async def _resolve(host: str, port: int) -> list[str]:
    """All addresses the system resolver gives for host (numeric forms included), in its order."""
    try:
        infos = await asyncio.to_thread(socket.getaddrinfo, host, port, 0, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UrlRefused(f"refused: cannot resolve {host} ({exc.strerror or exc})") from None
    except UnicodeError:
        raise UrlRefused(f"refused: cannot resolve {host} (not a valid host name)") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)))
    if not addresses:
        raise UrlRefused(f"refused: {host} has no IPv4 or IPv6 address")
    return addresses


async def vet_url(url: httpx.URL, allow_loopback: bool, note: str) -> tuple[str, int, list[str]]:
    """Refuse unless every address of the URL's host may be reached; no connection is made here."""
    host, port = _host_of(url)
    addresses = await _resolve(host, port)
    for address in addresses:
        reason = address_refusal(address, allow_loopback)
        if reason is not None:
            if _is_literal(host, address):
                raise UrlRefused(f"refused: {host} is {reason}{note}")
            raise UrlRefused(f"refused: {host} resolves to {address}, {reason}{note}")
    return host, port, addresses


# -- after connecting ------------------------------------------------------------------------------


def peer_refusal(stream: httpcore.AsyncNetworkStream, host: str, allow_loopback: bool) -> str | None:
    """Why the connected socket's peer may not be reached (or cannot be known), or None if it may."""
    peer = stream.get_extra_info("server_addr")
    if not isinstance(peer, tuple) or not peer or not isinstance(peer[0], str):
        return f"refused: could not verify which address {host} connected to"
    reason = address_refusal(peer[0], allow_loopback)
    if reason is not None:
        return f"refused: the connection to {host} reached {peer[0]}, {reason}"
    return None
