"""The transport of /ingest_url fetches: httpx over an httpcore pool that connects only to vetted addresses.

httpx resolves host names itself, so a DNS answer that changes between our check and its connect
(rebinding) would reach an address nobody checked. Here httpcore's documented network-backend hook
(AsyncConnectionPool(network_backend=...)) pins each (host, port) to the addresses the URL policy
(ingest.loaders.urlpolicy) vetted, and the peer address is checked again before any byte is sent.
httpx's own AsyncHTTPTransport cannot take a network backend, so PinnedTransport is a custom
transport (httpx.AsyncBaseTransport, the documented extension point) that owns its pool.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

from ingest.loaders.urlpolicy import UrlRefused, peer_refusal

# httpcore's errors as httpx's, so callers catch httpx.HTTPError as with any httpx transport.
# Hand-written because httpx's own table (map_httpcore_exceptions) is private; the most specific
# class wins, by walking the raised error's MRO.
_HTTPX_ERRORS: dict[type[Exception], type[httpx.HTTPError]] = {
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}
_HTTPCORE_ERRORS: tuple[type[Exception], ...] = tuple(_HTTPX_ERRORS)


@contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """Re-raise an httpcore error as its httpx counterpart; anything else (UrlRefused) passes unchanged."""
    try:
        yield
    except _HTTPCORE_ERRORS as exc:
        raise _httpx_error(exc) from exc


def _httpx_error(exc: Exception) -> httpx.HTTPError:
    """The httpx error for the most specific httpcore class the error is an instance of."""
    for cls in type(exc).__mro__:
        if cls in _HTTPX_ERRORS:
            return _HTTPX_ERRORS[cls](str(exc))
    return httpx.TransportError(str(exc))


class PinnedBackend(httpcore.AsyncNetworkBackend):
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
        """Connect to the first vetted address that answers, refusing if the peer is not the one asked for."""
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
            reason = peer_refusal(stream, host, self._allow_loopback)
            if reason is not None:
                await stream.aclose()
                raise UrlRefused(reason)
            return stream
        raise failure or UrlRefused(f"refused: no address to connect to for {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Never: a fetch goes to a vetted TCP address only."""
        raise UrlRefused("refused: Unix sockets are never used for fetching")

    async def sleep(self, seconds: float) -> None:
        """httpcore's retry pause, left to the real backend."""
        await self._inner.sleep(seconds)


class _ResponseStream(httpx.AsyncByteStream):
    """An httpcore response body as an httpx stream, with httpcore's errors mapped on every read."""

    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        """Release the connection back to the pool (httpcore's streams close, plain iterables need not)."""
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            await close()


class PinnedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over its own httpcore pool, whose connections go through a PinnedBackend."""

    def __init__(self, backend: PinnedBackend, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=4,
            http1=True,
            http2=False,
            retries=0,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the pool; the response streams (the body is read by the caller)."""
        if not isinstance(request.stream, httpx.AsyncByteStream):
            raise TypeError("PinnedTransport needs an async request body")
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _as_httpx_errors():
            response = await self._pool.handle_async_request(core_request)
        if not isinstance(response.stream, AsyncIterable):
            raise TypeError("httpcore returned a synchronous body from an async pool")
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close the pool's connections."""
        with _as_httpx_errors():
            await self._pool.aclose()


@functools.cache
def _build_ssl_context() -> ssl.SSLContext:
    """certifi's CA bundle, loaded once: building a context costs ~50 ms per fetch otherwise."""
    return httpx.create_ssl_context(trust_env=False)


async def ssl_context() -> ssl.SSLContext:
    """The shared TLS context, built (the first time) in a worker thread.

    Loading the CA bundle blocks for tens of milliseconds; on the event loop that would stall every
    other chat the bot is serving. Later calls find it cached (the thread hop is then negligible).
    """
    return await asyncio.to_thread(_build_ssl_context)
