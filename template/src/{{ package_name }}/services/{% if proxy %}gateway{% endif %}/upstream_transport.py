"""httpx2's client on aiohttp's connections: `AiohttpTransport` sends the requests of an
`httpx2.AsyncClient` with an aiohttp session, whose connection pool and C HTTP parser cost a
fraction of httpx2's own per request (the template's benchmarks/client_choice.py).

The rest of the gateway keeps httpx2's requests, responses, decompression and errors: aiohttp's
errors are raised as httpx2's, and answers are handed over as received (still compressed). As
httpx2 would, it takes the proxy from HTTPS_PROXY/HTTP_PROXY/NO_PROXY and verifies TLS (with
upstream.py's context, which honours SSL_CERT_FILE); an answer closed before its end closes its
connection, so the upstream sees the client go.
"""

import functools
import ssl
import urllib.request
from collections.abc import AsyncIterator
from types import SimpleNamespace

import aiohttp
import anyio
import httpx2

# What httpx2 says when a pooled connection was closed by the server while idle (upstream.py
# tries such a request once more).
STALE_CONNECTION = "Server disconnected without sending a response."


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """Sends httpx2's requests with one pooled aiohttp session (opened on the first)."""

    def __init__(
        self,
        connect_timeout: float,
        read_timeout: float,
        pool_timeout: float,
        max_connections: int,
        keepalive_expiry: float,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self.ssl_context = ssl_context
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.pool_timeout, self.keepalive_expiry = pool_timeout, keepalive_expiry
        # The pool's bound, waited for within the pool timeout (then PoolTimeout: 503).
        self.slots = anyio.Semaphore(max_connections)
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            tracing = aiohttp.TraceConfig()
            tracing.on_connection_create_start.append(_note_connect)
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
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
                auto_decompress=False,  # httpx2 decompresses, bounded (Upstream.read)
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),  # httpx2's
                trace_configs=[tracing],
            )
        return self._session

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        try:
            self.slots.acquire_nowait()
        except anyio.WouldBlock:
            await self.wait_for_slot(request)
        try:
            response = await self.session().request(
                request.method,
                str(request.url),
                data=body or None,
                headers=list(request.headers.multi_items()),
                allow_redirects=False,
                proxy=proxy_for(request.url.scheme, request.url.host),
                trace_request_ctx=SimpleNamespace(trace=request.extensions.get("trace")),
            )
        except BaseException as error:
            self.slots.release()
            if isinstance(error, aiohttp.ClientError | TimeoutError):
                raise _httpx2_error(error, request, before_answer=True) from error
            raise
        return httpx2.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=AiohttpStream(response, request, self.slots),
            request=request,
        )

    async def wait_for_slot(self, request: httpx2.Request) -> None:
        try:
            with anyio.fail_after(self.pool_timeout):
                await self.slots.acquire()
        except TimeoutError:
            raise httpx2.PoolTimeout("No pooled connection was free.", request=request) from None

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class AiohttpStream(httpx2.AsyncByteStream):
    """An answer's body, piece by piece as it arrives; closing it early drops the connection."""

    def __init__(
        self, response: aiohttp.ClientResponse, request: httpx2.Request, slots: anyio.Semaphore
    ) -> None:
        self.response, self.request, self.slots = response, request, slots
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self.response.content.iter_any():
                yield piece
        except (aiohttp.ClientError, TimeoutError) as error:
            raise _httpx2_error(error, self.request, before_answer=False) from error

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


async def _note_connect(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: object
) -> None:
    """Tell httpx2's trace (upstream.py) that the request has a connection of its own."""
    trace = context.trace_request_ctx.trace
    if trace is not None:
        await trace("connection.connect_tcp.started", {})


def _httpx2_error(
    error: BaseException, request: httpx2.Request, before_answer: bool
) -> httpx2.TransportError:
    """aiohttp's error as the httpx2 error the gateway answers (upstream_errors.py)."""
    message = str(error) or type(error).__name__
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx2.ConnectTimeout(message, request=request)
    if isinstance(error, TimeoutError):  # aiohttp's SocketTimeoutError: no byte in time
        return httpx2.ReadTimeout(message, request=request)
    if isinstance(error, aiohttp.ServerDisconnectedError) and before_answer:
        return httpx2.RemoteProtocolError(STALE_CONNECTION, request=request)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx2.ConnectError(message, request=request)
    if isinstance(error, aiohttp.ClientOSError):
        return httpx2.ReadError(message, request=request)
    return httpx2.RemoteProtocolError(message, request=request)
