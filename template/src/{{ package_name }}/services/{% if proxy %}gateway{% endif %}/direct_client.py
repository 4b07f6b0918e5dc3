"""The gateway's own HTTP/1.1 client, for an upstream it reaches directly (not through a proxy):
kept-alive connections (upstream_connection.py) in a pool, TLS with the process's verifying
context, answers decompressed (gzip, deflate with or without its zlib header) in bounded
pieces. A relayed request pays for its client once; this one costs about half of aiohttp's CPU
time per request (the template's benchmarks/client_cost.py), because it does only what the
gateway needs.

Failures are raised as httpx2's exceptions, the taxonomy upstream_errors.py answers from.
"""

import asyncio
import ssl
import urllib.parse
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass

import httpx2

from .upstream_connection import UpstreamConnection

# Decompressed bytes handed on at a time: a gzip body of a few hundred KiB can inflate to GiB.
PIECE = 65_536
# The encodings asked for (the proxied client's requests too) and decompressed.
ACCEPT_ENCODING = "gzip, deflate"
COMPRESSED = frozenset({"gzip", "x-gzip", "deflate"})


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """What an upstream client is opened with (the proxied client's too)."""

    base_url: str
    headers: Mapping[str, str]  # sent with every request
    connect_timeout: float
    read_timeout: float  # for each next byte
    max_connections: int
    keepalive_expiry: float  # seconds an idle connection is kept
    ssl_context: ssl.SSLContext


class DirectClient:
    """Sends requests to one upstream (`options.base_url`) on pooled connections."""

    def __init__(self, options: ClientOptions) -> None:
        url = urllib.parse.urlsplit(options.base_url)
        self.host = url.hostname or ""
        tls = url.scheme == "https"
        self.port = url.port or (443 if tls else 80)
        self.ssl_context = options.ssl_context if tls else None
        self.prefix = url.path.rstrip("/")
        host = self.host if url.port is None else f"{self.host}:{url.port}"
        if ":" in self.host:  # an IPv6 address
            host = f"[{self.host}]" if url.port is None else f"[{self.host}]:{url.port}"
        every = {"Host": host, "Accept-Encoding": ACCEPT_ENCODING, **options.headers}
        # The headers of every request, encoded once.
        self.fixed_head = "".join(f"{name}: {value}\r\n" for name, value in every.items()).encode()
        self.connect_timeout, self.read_timeout = options.connect_timeout, options.read_timeout
        self.keepalive_expiry = options.keepalive_expiry
        self.idle: list[UpstreamConnection] = []  # the most recently used last

    async def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> "DirectResponse":
        """As UpstreamClient.send says (upstream_transport.py), on a pooled keep-alive
        connection or a new one."""
        request = self.request_bytes(method, path, body, headers)
        connection = self.pooled()
        if connection is not None:
            try:
                await connection.exchange(request, self.read_timeout)
                return DirectResponse(connection, self)
            except httpx2.RemoteProtocolError:
                connection.close()
                if connection.anything_received:
                    raise
            except BaseException:
                connection.close()  # cancelled (the client went) or failed: never reused
                raise
        connection = await self.connect()
        try:
            await connection.exchange(request, self.read_timeout)
        except BaseException:
            connection.close()
            raise
        return DirectResponse(connection, self)

    def request_bytes(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
    ) -> bytes:
        head = f"{method} {self.prefix}{path} HTTP/1.1\r\n".encode() + self.fixed_head
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ValueError(f"A header's value has a line break: {name}")
            head += f"{name}: {value}\r\n".encode()
        if body is None:
            return head + b"\r\n"
        return head + b"Content-Length: %d\r\n\r\n" % len(body) + body

    def pooled(self) -> UpstreamConnection | None:
        """The most recently used idle connection still open and not expired."""
        now = asyncio.get_running_loop().time()
        while self.idle:
            connection = self.idle.pop()
            if not connection.closed and now - connection.idle_since < self.keepalive_expiry:
                return connection
            connection.close()
        return None

    def release(self, connection: UpstreamConnection) -> None:
        """Back to the pool when its answer was read to the end, else closed."""
        if connection.reusable():
            connection.idle_since = asyncio.get_running_loop().time()
            self.idle.append(connection)
        else:
            connection.close()

    async def connect(self) -> UpstreamConnection:
        loop = asyncio.get_running_loop()
        server_hostname = self.host if self.ssl_context is not None else None
        try:
            async with asyncio.timeout(self.connect_timeout):
                _, connection = await loop.create_connection(
                    UpstreamConnection,
                    self.host,
                    self.port,
                    ssl=self.ssl_context,
                    server_hostname=server_hostname,
                )
        except TimeoutError:
            raise httpx2.ConnectTimeout(f"No connection to {self.host} in time.") from None
        except OSError as error:  # refused, unresolved, or TLS verification failed
            raise httpx2.ConnectError(str(error) or type(error).__name__) from error
        return connection

    async def aclose(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class DirectResponse:
    """An answer's status and headers; its body read piece by piece as it arrives (decompressed).
    Closing it before its end closes the connection."""

    def __init__(self, connection: UpstreamConnection, client: DirectClient) -> None:
        self.connection, self.client = connection, client
        self.status_code = connection.status
        self.headers: Mapping[str, str] = connection.headers

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        return decoded(self.connection.body(self.client.read_timeout), self.headers)

    async def aclose(self) -> None:
        self.client.release(self.connection)


async def decoded(pieces: AsyncIterator[bytes], headers: Mapping[str, str]) -> AsyncIterator[bytes]:
    """An answer's body as its pieces arrive, decompressed as its Content-Encoding says (the
    proxied client's too)."""
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding not in COMPRESSED:
        async for piece in pieces:
            yield piece
        return
    decompressor = None
    async for piece in pieces:
        if not piece:  # (an empty read, which the proxied client's could hand on)
            continue
        if decompressor is None:
            decompressor = zlib.decompressobj(window_bits(encoding, piece[0]))
        for part in inflated(decompressor, piece):
            yield part
    # The answer ended (its length or its connection said so) but its compressed data did not:
    # relaying the part would pass a truncated answer off as whole.
    if decompressor is not None and not decompressor.eof:
        raise httpx2.DecodingError("The upstream's compressed answer is cut short.")


def window_bits(encoding: str, first_byte: int) -> int:
    """zlib's window bits for a body: 47 reads a gzip or a zlib header. A deflate body that
    starts with neither (a zlib header's low four bits are 8, its method; gzip's first byte is
    0x1f) is raw deflate, which servers have long sent as "deflate" and httpx, aiohttp and
    browsers accept. aiohttp tells them apart by the same first byte."""
    if encoding == "deflate" and first_byte & 0x0F != 8 and first_byte != 0x1F:
        return -zlib.MAX_WBITS
    return 47


def inflated(decompressor: "zlib._Decompress", data: bytes) -> Iterator[bytes]:
    """`data` decompressed, PIECE bytes at a time (what follows the compressed end is ignored)."""
    try:
        while data and not decompressor.eof:
            part = decompressor.decompress(data, PIECE)
            data = decompressor.unconsumed_tail
            if part:
                yield part
    except zlib.error as error:
        raise httpx2.DecodingError(
            f"The upstream's compressed answer is corrupt: {error}"
        ) from None
