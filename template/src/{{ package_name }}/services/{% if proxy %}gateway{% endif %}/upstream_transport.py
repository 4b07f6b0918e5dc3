"""The gateway's HTTP client for an upstream, chosen once per upstream: its own small HTTP/1.1
client when it reaches the upstream directly (direct_client.py: the client's CPU time is paid
on every relayed request, and this one costs about half of aiohttp's), aiohttp when a proxy
stands between them (proxied_client.py: tunnelling through a proxy is aiohttp's, well tried,
and not worth a second implementation).

As httpx2 would, it takes the proxy from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY/NO_PROXY, verifies
TLS (with upstream.py's context, which honours SSL_CERT_FILE) and decompresses answers (in
bounded pieces); failures are raised as httpx2's exceptions (upstream_errors.py answers them).
"""

import functools
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Mapping

import anyio
import httpx2

from .direct_client import ClientOptions, DirectClient, DirectResponse
from .proxied_client import ProxiedClient, ProxiedResponse


class UpstreamClient:
    """Sends requests to one upstream (`base_url`), at most `max_connections` at a time."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        connect_timeout: float,
        read_timeout: float,
        pool_timeout: float,
        max_connections: int,
        keepalive_expiry: float,
        ssl_context: ssl.SSLContext,
    ) -> None:
        options = ClientOptions(
            base_url,
            dict(headers),
            connect_timeout,
            read_timeout,
            max_connections,
            keepalive_expiry,
            ssl_context,
        )
        url = urllib.parse.urlsplit(base_url)
        proxy = proxy_for(url.scheme, url.hostname or "")
        self.client = DirectClient(options) if proxy is None else ProxiedClient(options, proxy)
        self.pool_timeout = pool_timeout
        # The pool's bound, waited for within the pool timeout (then PoolTimeout: 503).
        self.slots = anyio.Semaphore(max_connections)

    async def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> "UpstreamResponse":
        """Send a request; return once the answer's status and headers are in. An idle pooled
        connection that the upstream closed as the request went out on it is retried once,
        on a fresh one (never a request that had a connection of its own: the upstream may
        have read it, and a POST must not run twice)."""
        try:
            self.slots.acquire_nowait()
        except anyio.WouldBlock:
            await self.wait_for_slot()
        try:
            return UpstreamResponse(await self.client.send(method, path, body, headers), self.slots)
        except BaseException:
            self.slots.release()
            raise

    async def wait_for_slot(self) -> None:
        try:
            with anyio.fail_after(self.pool_timeout):
                await self.slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("No pooled connection was free.") from None

    async def aclose(self) -> None:
        await self.client.aclose()


class UpstreamResponse:
    """An answer's status and headers; its body read piece by piece as it arrives (decompressed).
    Closing it before its end closes its connection, so the upstream sees the client go."""

    def __init__(self, answer: DirectResponse | ProxiedResponse, slots: anyio.Semaphore) -> None:
        self.answer, self.slots = answer, slots
        self.status_code = answer.status_code
        self.headers: Mapping[str, str] = answer.headers
        self.closed = False

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        return self.answer.aiter_bytes()

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            await self.answer.aclose()
            self.slots.release()


@functools.cache
def proxy_for(scheme: str, host: str) -> str | None:
    """The proxy HTTPS_PROXY/HTTP_PROXY/ALL_PROXY name for `host`, unless NO_PROXY exempts it
    (the environment as the process started: a gateway talks to a few hosts)."""
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass(host):  # NO_PROXY (and on macOS its system settings)
        return None
    return proxies.get(scheme) or proxies.get("all")
