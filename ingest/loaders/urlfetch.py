"""SSRF-safe fetching of one web page for the admin command /ingest_url.

The bot runs next to things an outsider must never reach through it (cloud metadata at
169.254.169.254, the Chroma server on loopback, the hospital's private network), and an admin can be
tricked into pasting a URL. So, for the first request and for every redirect hop:

1. only http and https URLs without credentials are accepted;
2. the host is resolved with getaddrinfo, which also turns numeric tricks (2130706433, 0x7f000001,
   127.1) into the real address, and the fetch is refused if ANY resolved address is not globally
   routable (IPv4-mapped, NAT64, 6to4 and Teredo forms are unwrapped first);
3. the connection goes only to an address vetted in step 2 (a pinned network backend under
   httpx), so a DNS answer that changes between check and connect (rebinding) is never used, and
   the socket's peer address is checked again right after connecting, before any byte is sent;
4. size, content type and total time are limited, and the body is read only up to the limit.

Refused URLs cause no connection attempt at all. Every refusal is one line for the admin.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import re
import socket
import ssl
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from ingest.articles import slugify

log = logging.getLogger(__name__)

CONTENT_TYPES: dict[str, str] = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "text/plain": ".txt",
    "text/markdown": ".md",
    "application/pdf": ".pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}
"""The media types the knowledge base can ingest, and the file extension each one is saved with."""

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_NAME_CHARS = 80
_USER_AGENT = "HiringAdvisor/0.1 (admin /ingest_url)"


class UrlRefused(Exception):  # noqa: N818 - the name is part of the agreed API
    """The fetch was refused or failed; `reason` is one line that tells the admin what and why."""

    def __init__(self, reason: str) -> None:
        self.reason = _one_line(reason)
        super().__init__(self.reason)


@dataclass(frozen=True)
class FetchedPage:
    """One fetched document, ready to be saved into the knowledge folder as `suggested_name`."""

    url: str
    final_url: str
    content_type: str
    body: bytes
    suggested_name: str


def _one_line(text: str, limit: int = 300) -> str:
    """Control characters from a hostile server or URL must not break the admin's chat message."""
    clean = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


# -- which addresses may be reached -----------------------------------------------------------------


def _nets4(*pairs: tuple[str, str]) -> tuple[tuple[ipaddress.IPv4Network, str], ...]:
    return tuple((ipaddress.IPv4Network(net), label) for net, label in pairs)


def _nets6(*pairs: tuple[str, str]) -> tuple[tuple[ipaddress.IPv6Network, str], ...]:
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
    for net, label in _BLOCKED_V4:
        if ip in net:
            return label
    return None if ip.is_global else _NOT_GLOBAL


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
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
    try:
        return ipaddress.ip_address(host) == ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False


# -- checking a URL before any connection -----------------------------------------------------------


def _parse(url: str | httpx.URL, base: httpx.URL | None = None) -> httpx.URL:
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


async def _vet(url: httpx.URL, allow_loopback: bool, note: str) -> tuple[str, int, list[str]]:
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


# -- connecting only where we checked ---------------------------------------------------------------


def _peer_refusal(stream: httpcore.AsyncNetworkStream, host: str, allow_loopback: bool) -> str | None:
    peer = stream.get_extra_info("server_addr")
    if not isinstance(peer, tuple) or not peer or not isinstance(peer[0], str):
        return f"refused: could not verify which address {host} connected to"
    reason = address_refusal(peer[0], allow_loopback)
    if reason is not None:
        return f"refused: the connection to {host} reached {peer[0]}, {reason}"
    return None


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer, restricted to the addresses this fetch vetted for each (host, port)."""

    def __init__(self, allow_loopback: bool) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_loopback = allow_loopback
        self.vetted: dict[tuple[str, int], list[str]] = {}

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = self.vetted.get((host, port))
        if not addresses:
            raise UrlRefused(f"refused: {host}:{port} was not checked before connecting")
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            reason = _peer_refusal(stream, host, self._allow_loopback)
            if reason is not None:
                await stream.aclose()
                raise UrlRefused(reason)
            return stream
        raise failure or UrlRefused(f"refused: no address to connect to for {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise UrlRefused("refused: Unix sockets are never used for fetching")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """certifi's CA bundle, loaded once: building a context costs ~50 ms per fetch otherwise."""
    return httpx.create_ssl_context(trust_env=False)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (request/response mapping, error mapping) over the pinned backend."""

    def __init__(self, backend: _PinnedBackend) -> None:
        super().__init__(trust_env=False, retries=0)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=4,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )


# -- reading the body -------------------------------------------------------------------------------


class _Inflater:
    """gzip/deflate decoding that never produces more than asked for (no decompression bombs)."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(wbits=47)  # 32 + 15: zlib or gzip header, detected

    def feed(self, data: bytes, limit: int) -> bytes:
        return self._z.decompress(data, limit)

    def finish(self, limit: int) -> bytes:
        tail = self._z.decompress(b"", limit) if self._z.unconsumed_tail else b""
        if len(tail) < limit and not self._z.eof:
            raise zlib.error("the compressed body is truncated")
        return tail


def _limit_text(max_bytes: int) -> str:
    return f"{max_bytes / 1_000_000:g} MB" if max_bytes >= 100_000 else f"{max_bytes} bytes"


async def _read_body(response: httpx.Response, host: str, max_bytes: int) -> bytes:
    """Stream the body, stopping (and refusing) as soon as it, raw or decoded, passes max_bytes."""
    too_big = f"refused: the document from {host} is larger than the {_limit_text(max_bytes)} limit"
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise UrlRefused(too_big)
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        inflater: _Inflater | None = _Inflater()
    elif encoding in ("", "identity"):
        inflater = None
    else:
        raise UrlRefused(f"refused: {host} sent an unsupported content encoding ({encoding})")
    chunks: list[bytes] = []
    raw_total = total = 0
    try:
        async for chunk in response.aiter_raw():
            raw_total += len(chunk)
            if raw_total > max_bytes:
                raise UrlRefused(too_big)
            data = chunk if inflater is None else inflater.feed(chunk, max_bytes - total + 1)
            total += len(data)
            if total > max_bytes:
                raise UrlRefused(too_big)
            chunks.append(data)
        if inflater is not None:
            data = inflater.finish(max_bytes - total + 1)
            total += len(data)
            if total > max_bytes:
                raise UrlRefused(too_big)
            chunks.append(data)
    except zlib.error as exc:
        raise UrlRefused(f"refused: could not decode the {encoding} body from {host} ({exc})") from None
    return b"".join(chunks)


# -- naming -----------------------------------------------------------------------------------------


def suggested_name(final_url: httpx.URL, content_type: str) -> str:
    """A safe file name from the URL: host and path as [a-z0-9-], at most 80 characters in all."""
    ext = CONTENT_TYPES.get(content_type, ".txt")
    host = final_url.raw_host.decode("ascii", "ignore").lower().removeprefix("www.")
    path = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", final_url.path.rstrip("/"))
    stem = slugify(f"{host} {path}")[: MAX_NAME_CHARS - len(ext)].strip("-") or "page"
    return stem + ext


# -- the fetch --------------------------------------------------------------------------------------


async def fetch_url(
    url: str,
    *,
    max_bytes: int,
    timeout_s: float,
    allow_loopback: bool = False,
    max_redirects: int = 5,
) -> FetchedPage:
    """Fetch one document for ingestion, or raise UrlRefused with a one-line reason."""
    if max_bytes < 1 or timeout_s <= 0 or max_redirects < 0:
        raise ValueError("max_bytes and timeout_s must be positive, max_redirects not negative")
    try:
        async with asyncio.timeout(timeout_s):
            return await _fetch(url, max_bytes, timeout_s, allow_loopback, max_redirects)
    except TimeoutError:
        raise UrlRefused(f"refused: the fetch did not finish within {timeout_s:g} s") from None


async def _fetch(url: str, max_bytes: int, timeout_s: float, allow_loopback: bool, max_redirects: int) -> FetchedPage:
    current = _parse(url)
    host, port, addresses = await _vet(current, allow_loopback, "")  # refused: no client, no socket
    backend = _PinnedBackend(allow_loopback)
    headers = {
        "User-Agent": _USER_AGENT,
        "Accept": ", ".join(CONTENT_TYPES),
        "Accept-Encoding": "gzip, identity",
    }
    async with httpx.AsyncClient(
        transport=_PinnedTransport(backend),
        follow_redirects=False,
        trust_env=False,
        timeout=httpx.Timeout(timeout_s),
        headers=headers,
    ) as client:
        for _ in range(max_redirects + 1):
            backend.vetted[(host, port)] = addresses
            try:
                page = await _get(client, current, url, host, allow_loopback, max_bytes)
            except httpx.TimeoutException:
                raise UrlRefused(f"refused: {host} did not answer within {timeout_s:g} s") from None
            except httpx.HTTPError as exc:
                raise UrlRefused(f"refused: could not fetch from {host} ({type(exc).__name__}: {exc})") from None
            if isinstance(page, FetchedPage):
                log.info("urlfetch: fetched %d bytes of %s from %s", len(page.body), page.content_type, host)
                return page
            current = page
            host, port, addresses = await _vet(current, allow_loopback, f" (redirected from {host})")
    raise UrlRefused(f"refused: more than {max_redirects} redirects")


async def _get(
    client: httpx.AsyncClient, current: httpx.URL, url: str, host: str, allow_loopback: bool, max_bytes: int
) -> FetchedPage | httpx.URL:
    """One hop: the fetched page, or the URL a redirect points to (not yet checked)."""
    async with client.stream("GET", current) as response:
        stream = response.extensions.get("network_stream")
        reason = (
            _peer_refusal(stream, host, allow_loopback)
            if isinstance(stream, httpcore.AsyncNetworkStream)
            else f"refused: could not verify which address {host} connected to"
        )
        if reason is not None:
            raise UrlRefused(reason)
        status = response.status_code
        if status in REDIRECT_STATUSES:
            location = response.headers.get("location")
            if not location:
                raise UrlRefused(f"refused: {host} answered HTTP {status} without a Location")
            return _parse(location, base=current)
        if not 200 <= status < 300:
            raise UrlRefused(f"refused: the server answered HTTP {status}")
        media = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media not in CONTENT_TYPES:
            raise UrlRefused(
                f"refused: {host} sent {media or 'no content type'}, not HTML, text, Markdown, PDF or DOCX"
            )
        body = await _read_body(response, host, max_bytes)
    return FetchedPage(
        url=url,
        final_url=str(current),
        content_type=media,
        body=body,
        suggested_name=suggested_name(current, media),
    )
