"""The gateway's HTTP client for an upstream: one pooled aiohttp session, used directly. Its
connection pool and C HTTP parser cost a fraction of httpx2's per request, and httpx2's
request and response objects on top of it cost about a fifth of a relayed request's CPU time
(the template's benchmarks/client_choice.py and request_cost.py).

Failures are raised as httpx2's exceptions, the taxonomy upstream_errors.py answers from.
As httpx2 would, it takes the proxy from HTTPS_PROXY/HTTP_PROXY/NO_PROXY, verifies TLS (with
upstream.py's context, which honours SSL_CERT_FILE) and decompresses answers (in bounded
pieces); an answer closed before its end closes its connection, so the upstream sees the
client go.
"""

import functools
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar

import aiohttp
import anyio
import httpx2
import yarl
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.tracing import Trace

# Whether the request being sent (in this task) opened a connection of its own.
opened_connection: ContextVar[bool] = ContextVar("opened_connection", default=False)


class UpstreamClient:
    """Sends requests to one upstream (`base_url`) with a pooled aiohttp session (opened on
    the first request, inside the event loop)."""

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
        self.base_url, self.headers, self.ssl_context = base_url, dict(headers), ssl_context
        url = urllib.parse.urlsplit(base_url)
        self.proxy = proxy_for(url.scheme, url.hostname or "")
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.pool_timeout, self.keepalive_expiry = pool_timeout, keepalive_expiry
        # The pool's bound, waited for within the pool timeout (then PoolTimeout: 503).
        self.slots = anyio.Semaphore(max_connections)
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        # Each path's URL, parsed once: aiohttp would parse the string on every request.
        self.urls: dict[str, yarl.URL] = {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self.headers,
                connector=NotingConnector(
                    limit=self.max_connections,
                    keepalive_timeout=self.keepalive_expiry,
                    ssl=self.ssl_context,
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=self.connect_timeout, sock_read=self.read_timeout
                ),
                # Not aiohttp's trust_env: it reads the proxy variables and ~/.netrc (in a
                # thread) on every request; `proxy_for` reads the variables once per host.
                trust_env=False,
                # An upstream's cookies are not the gateway's to keep (nor to send back).
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> "UpstreamResponse":
        """Send a request; return once the answer's status and headers are in. An idle pooled
        connection that the upstream closed as the request went out on it is retried once,
        on a fresh one; a request that had a connection of its own is not (the upstream may
        have read it: a POST must not run twice)."""
        try:
            self.slots.acquire_nowait()
        except anyio.WouldBlock:
            await self.wait_for_slot()
        opened_connection.set(False)
        try:
            try:
                response = await self._request(method, path, body, headers)
            except aiohttp.ServerDisconnectedError:
                if opened_connection.get():
                    raise
                response = await self._request(method, path, body, headers)
        except BaseException as error:
            self.slots.release()
            if isinstance(error, aiohttp.ClientError | TimeoutError):
                raise httpx2_error(error) from error
            raise
        return UpstreamResponse(response, self.slots)

    async def _request(
        self,
        method: str,
        path: str,
        body: bytes | None,
        headers: Mapping[str, str],
    ) -> aiohttp.ClientResponse:
        url = self.urls.get(path)
        if url is None:
            url = self.urls[path] = yarl.URL(self.base_url + path)
        return await self.session().request(
            method,
            url,
            data=body,
            headers=headers,
            allow_redirects=False,
            proxy=self.proxy,
        )

    async def wait_for_slot(self) -> None:
        try:
            with anyio.fail_after(self.pool_timeout):
                await self.slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("No pooled connection was free.") from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class UpstreamResponse:
    """An answer's status and headers; its body read piece by piece as it arrives (decompressed).
    Closing it before its end drops the connection."""

    def __init__(self, response: aiohttp.ClientResponse, slots: anyio.Semaphore) -> None:
        self.response, self.slots = response, slots
        self.status_code = response.status
        self.headers: Mapping[str, str] = response.headers
        self.closed = False

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self.response.content.iter_any():
                yield piece
        except (aiohttp.ClientError, TimeoutError) as error:
            raise httpx2_error(error) from error

    async def aclose(self) -> None:
        if not self.closed:
            self.closed = True
            self.response.release()  # back to the pool when read to its end, else closed
            self.slots.release()


@functools.cache
def proxy_for(scheme: str, host: str) -> str | None:
    """The proxy HTTPS_PROXY/HTTP_PROXY/ALL_PROXY name for `host`, unless NO_PROXY exempts it
    (the environment as the process started: a gateway talks to a few hosts)."""
    proxies = urllib.request.getproxies_environment()
    if urllib.request.proxy_bypass(host):  # NO_PROXY (and on macOS its system settings)
        return None
    return proxies.get(scheme) or proxies.get("all")


class NotingConnector(aiohttp.TCPConnector):
    """aiohttp's connector, noting (in `opened_connection`) that a request opens a connection
    rather than taking one from the pool: cheaper than aiohttp's tracing, whose signals cost
    about 15 µs per request even with one hook."""

    async def _create_connection(
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's signature
    ) -> ResponseHandler:
        opened_connection.set(True)  # the request's own task: its context is the caller's
        return await super()._create_connection(req, traces, timeout)


def httpx2_error(error: BaseException) -> httpx2.RequestError:
    """aiohttp's error as the httpx2 error the gateway answers (upstream_errors.py)."""
    message = str(error) or type(error).__name__
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx2.ConnectTimeout(message)
    if isinstance(error, TimeoutError):  # aiohttp's SocketTimeoutError: no byte in time
        return httpx2.ReadTimeout(message)
    if isinstance(error.__cause__, ContentEncodingError):
        return httpx2.DecodingError(message)  # a corrupt compressed body
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx2.ConnectError(message)
    if isinstance(error, aiohttp.ClientOSError):
        return httpx2.ReadError(message)
    return httpx2.RemoteProtocolError(message)
