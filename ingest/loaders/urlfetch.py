"""SSRF-safe fetching of one web page for the admin command /ingest_url.

An admin can be tricked into pasting a URL that points inside the hospital, so every hop goes
through the URL policy (ingest.loaders.urlpolicy: scheme, credentials, every resolved address,
the connected peer) and connects only through the pinned transport (ingest.loaders.pinned), which
never uses an address the policy did not vet. This module runs the fetch itself: redirects one hop
at a time, and size, content type and total time limited, the body read only up to the limit.

Refused URLs cause no connection attempt at all. Every refusal is one line for the admin.
"""

from __future__ import annotations

import asyncio
import logging
import re
import zlib
from dataclasses import dataclass

import httpcore
import httpx

from ingest.articles import slugify
from ingest.loaders.pinned import PinnedBackend, PinnedTransport, ssl_context
from ingest.loaders.urlpolicy import UrlRefused, address_refusal, parse_url, peer_refusal, vet_url

# UrlRefused and address_refusal are part of this module's API (the bot and the CLI import them here).
__all__ = ["CONTENT_TYPES", "FetchedPage", "UrlRefused", "address_refusal", "fetch_url", "suggested_name"]

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


@dataclass(frozen=True)
class FetchedPage:
    """One fetched document, ready to be saved into the knowledge folder as `suggested_name`."""

    url: str
    final_url: str
    content_type: str
    body: bytes
    suggested_name: str


# -- reading the body -------------------------------------------------------------------------------


class _Inflater:
    """gzip/deflate decoding that never produces more than asked for (no decompression bombs)."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(wbits=47)  # 32 + 15: zlib or gzip header, detected

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decompress a chunk, producing at most limit bytes."""
        return self._z.decompress(data, limit)

    def finish(self, limit: int) -> bytes:
        """The last decompressed bytes (at most limit); zlib.error if the stream is truncated."""
        tail = self._z.decompress(b"", limit) if self._z.unconsumed_tail else b""
        if len(tail) < limit and not self._z.eof:
            raise zlib.error("the compressed body is truncated")
        return tail


def _limit_text(max_bytes: int) -> str:
    """The byte limit in an admin's words ('5 MB')."""
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
    """The fetch itself: each hop vetted, connected through the pinned transport, redirects followed by hand."""
    current = parse_url(url)
    host, port, addresses = await vet_url(current, allow_loopback, "")  # refused: no client, no socket
    backend = PinnedBackend(allow_loopback)
    headers = {
        "User-Agent": _USER_AGENT,
        "Accept": ", ".join(CONTENT_TYPES),
        "Accept-Encoding": "gzip, identity",
    }
    async with httpx.AsyncClient(
        transport=PinnedTransport(backend, await ssl_context()),
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
            host, port, addresses = await vet_url(current, allow_loopback, f" (redirected from {host})")
    raise UrlRefused(f"refused: more than {max_redirects} redirects")


async def _get(
    client: httpx.AsyncClient, current: httpx.URL, url: str, host: str, allow_loopback: bool, max_bytes: int
) -> FetchedPage | httpx.URL:
    """One hop: the fetched page, or the URL a redirect points to (not yet checked)."""
    async with client.stream("GET", current) as response:
        stream = response.extensions.get("network_stream")
        reason = (
            peer_refusal(stream, host, allow_loopback)
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
            return parse_url(location, base=current)
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
