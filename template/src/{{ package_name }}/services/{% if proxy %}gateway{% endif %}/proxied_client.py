"""The gateway's HTTP client for an upstream it reaches through a proxy (HTTPS_PROXY,
HTTP_PROXY, ALL_PROXY): one pooled aiohttp session, which tunnels to the upstream through the
proxy (CONNECT for https) and verifies TLS with upstream.py's context; answers are decompressed
as the direct client's are. An answer closed before its end closes its connection, so the
upstream sees the client go.

Failures are raised as httpx2's exceptions, the taxonomy upstream_errors.py answers from.
"""

from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar

import aiohttp
import httpx2
import yarl
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest
from aiohttp.tracing import Trace

from .direct_client import ACCEPT_ENCODING, ClientOptions, decoded

# Whether the request being sent (in this task) opened a connection of its own.
opened_connection: ContextVar[bool] = ContextVar("opened_connection", default=False)


class ProxiedClient:
    """Sends requests to one upstream (`base_url`) through `proxy` with a pooled aiohttp
    session (opened on the first request, inside the event loop)."""

    def __init__(self, options: ClientOptions, proxy: str) -> None:
        self.options, self.proxy = options, proxy
        self._session: aiohttp.ClientSession | None = None
        # Each path's URL, parsed once: aiohttp would parse the string on every request.
        self.urls: dict[str, yarl.URL] = {}

    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            options = self.options
            self._session = aiohttp.ClientSession(
                headers={"Accept-Encoding": ACCEPT_ENCODING, **options.headers},
                # Decompressed as the direct client does (aiohttp relays a gzip answer cut
                # short as if whole).
                auto_decompress=False,
                connector=NotingConnector(
                    limit=options.max_connections,
                    keepalive_timeout=options.keepalive_expiry,
                    ssl=options.ssl_context,
                ),
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=options.connect_timeout, sock_read=options.read_timeout
                ),
                # Not aiohttp's trust_env: it reads the proxy variables and ~/.netrc (in a
                # thread) on every request; upstream_transport.py read them once.
                trust_env=False,
                # An upstream's cookies are not the gateway's to keep (nor to send back).
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> "ProxiedResponse":
        """As UpstreamClient.send says (upstream_transport.py), through aiohttp's pool: a
        new connection is told apart by `opened_connection`."""
        opened_connection.set(False)
        try:
            try:
                response = await self._request(method, path, body, headers)
            except aiohttp.ServerDisconnectedError:
                if opened_connection.get():
                    raise
                response = await self._request(method, path, body, headers)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise httpx2_error(error) from error
        return ProxiedResponse(response)

    async def _request(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> aiohttp.ClientResponse:
        url = self.urls.get(path)
        if url is None:
            url = self.urls[path] = yarl.URL(self.options.base_url + path)
        return await self.session().request(
            method, url, data=body, headers=headers, allow_redirects=False, proxy=self.proxy
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class ProxiedResponse:
    """An answer's status and headers; its body read piece by piece as it arrives (decompressed).
    Closing it before its end drops the connection."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status_code = response.status
        self.headers: Mapping[str, str] = response.headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for part in decoded(self.response.content.iter_any(), self.headers):
                yield part
        except (aiohttp.ClientError, TimeoutError) as error:
            raise httpx2_error(error) from error

    async def aclose(self) -> None:
        self.response.release()  # back to the pool when read to its end, else closed


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
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx2.ConnectError(message)
    if isinstance(error, aiohttp.ClientOSError):
        return httpx2.ReadError(message)
    return httpx2.RemoteProtocolError(message)
