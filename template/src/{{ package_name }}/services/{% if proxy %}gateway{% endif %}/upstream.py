"""The upstream OpenAI-compatible server: one pooled HTTP client for the app's lifetime
(upstream_errors.py has what it answers when the upstream fails)."""

import asyncio
import functools
import ssl
from collections.abc import Awaitable, Callable
from typing import Self

import httpx2
from pydantic import AnyHttpUrl, Field, SecretStr
from pydantic_settings import BaseSettings

from .upstream_errors import (
    UpstreamAnswer,
    UpstreamTimeoutError,
    UpstreamTooLargeError,
    transport_error,
    upstream_error,
)
from .upstream_transport import UpstreamClient, UpstreamResponse

# Below uvicorn's 5 s: the pool drops an idle connection before such an upstream closes it.
KEEPALIVE_EXPIRY = 4.0


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context of every upstream client (httpx2's default: the system's CA
    certificates, or SSL_CERT_FILE). Loading them takes about 50 ms, so a process does it once
    rather than per client: per deployment of a route, and per app in the tests."""
    return httpx2.create_ssl_context()


class UpstreamSettings(BaseSettings):
    # The upstream OpenAI-compatible server, e.g. "http://127.0.0.1:11434/v1": the models
    # that no route of ROUTES_FILE names (one of the two is required).
    upstream_base_url: AnyHttpUrl | None = None
    # Sent to the upstream as `Authorization: Bearer <key>`, and nowhere else.
    upstream_api_key: SecretStr | None = None
    # Seconds to connect, to wait for each next byte, and for a whole request.
    upstream_connect_timeout: float = Field(default=5.0, gt=0)
    upstream_read_timeout: float = Field(default=120.0, gt=0)
    upstream_timeout: float = Field(default=600.0, gt=0)
    # Connections the gateway keeps open to the upstream at most.
    upstream_pool_size: int = Field(default=100, ge=1)
    # Bytes of an upstream answer (decompressed) and of one stream event at most: 502 past
    # them (a gzip body of a few hundred KiB can inflate to GiB).
    upstream_max_body_bytes: int = Field(default=67_108_864, ge=1)
    upstream_max_event_bytes: int = Field(default=16_777_216, ge=1)
    # Where the project's mock upstream command serves the mock backends as an upstream.
    mock_upstream_port: int = Field(default=8001, ge=1, le=65535)


# One attempt of a request on an upstream: the body to send it and the seconds its first
# token may take (None: no such limit); routing.py's RouteCall tries several in turn.
type Send[T] = Callable[["Upstream", bytes | None, float | None], Awaitable[T]]


class Upstream:
    """The upstream server behind the gateway. `async with upstream:` opens its connection
    pool (the app's lifespan does), which then serves every request until it is closed."""

    def __init__(self, settings: UpstreamSettings) -> None:
        self.base_url = str(settings.upstream_base_url).rstrip("/")
        self.timeout = settings.upstream_timeout
        self.max_body_bytes = settings.upstream_max_body_bytes
        self.max_event_bytes = settings.upstream_max_event_bytes
        self.settings = settings
        self._client: UpstreamClient | None = None

    async def __aenter__(self) -> Self:
        self.open()
        return self

    def open(self) -> None:
        settings = self.settings
        headers = {}
        if settings.upstream_api_key is not None:
            headers["Authorization"] = f"Bearer {settings.upstream_api_key.get_secret_value()}"
        self._client = UpstreamClient(
            self.base_url,
            headers,
            connect_timeout=settings.upstream_connect_timeout,
            read_timeout=settings.upstream_read_timeout,
            # Waiting for a free pooled connection counts like connecting (then 503).
            pool_timeout=settings.upstream_connect_timeout,
            max_connections=settings.upstream_pool_size,
            keepalive_expiry=KEEPALIVE_EXPIRY,
            ssl_context=tls_context(),
        )

    async def __aexit__(self, *exc_info: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def attempt[T](self, body: bytes | None, send: Send[T]) -> T:
        """`send(self, body, None)`: a plain upstream is tried once, with no time-to-first-token
        limit (the interface of a route's several deployments, routing.py)."""
        return await send(self, body, None)

    def headers(self) -> dict[str, str]:
        """Headers for the client's answer (a route's names its attempts)."""
        return {}

    def created(self, response_id: str) -> None:
        """A response created here (a route's keeps where, to read it there later)."""

    @property
    def client(self) -> UpstreamClient:
        if self._client is None:
            raise RuntimeError("The upstream client is not open: run the app's lifespan.")
        return self._client

    async def request(
        self, method: str, path: str, body: bytes | None = None, request_id: str | None = None
    ) -> UpstreamAnswer:
        """Send a request and read the whole answer, within the whole-request timeout. An
        upstream error answer is raised as the same OpenAI error."""
        try:
            # asyncio's own timeout: a third of anyio's cost, on every relayed request.
            async with asyncio.timeout(self.timeout):
                response = await self.send(method, path, body, request_id)
                answer = await self.read(response)
        except TimeoutError:
            raise UpstreamTimeoutError() from None
        except httpx2.RequestError as error:
            raise transport_error(error) from None
        if answer.status_code >= 400:
            raise upstream_error(answer)
        return answer

    async def read(self, response: UpstreamResponse) -> UpstreamAnswer:
        """Read an answer's body, decompressed, and close it: 502 past UPSTREAM_MAX_BODY_BYTES,
        without reading further."""
        parts, size = [], 0
        try:
            async for part in response.aiter_bytes():  # bounded pieces, even inflated
                size += len(part)
                if size > self.max_body_bytes:
                    raise UpstreamTooLargeError("an answer", "UPSTREAM_MAX_BODY_BYTES")
                parts.append(part)
        finally:
            await response.aclose()
        return UpstreamAnswer(response.status_code, response.headers, b"".join(parts))

    async def check(self) -> None:
        """Readiness: the upstream answers (its model list)."""
        await self.request("GET", "/models")

    async def send(
        self, method: str, path: str, body: bytes | None, request_id: str | None
    ) -> UpstreamResponse:
        """Send a request and return as soon as the answer's status and headers are in; the
        caller reads the body and closes the response."""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if request_id:
            headers["X-Request-Id"] = request_id
        return await self.client.send(method, path, body, headers)
