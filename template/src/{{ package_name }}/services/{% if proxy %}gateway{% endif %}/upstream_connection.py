"""One HTTP/1.1 connection to an upstream: an asyncio protocol whose answers httptools parses
(the C parser uvicorn serves with), one exchange at a time. The answer's body is handed on
piece by piece as it arrives, and reading pauses while more than a bounded amount of it waits
for the reader."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from typing import cast

import httptools
import httpx2

# Bytes of an answer's body buffered for the reader at most before the socket is not read.
HIGH_WATER = 262_144
# Bytes of an answer's header names and values at most (aiohttp allows 8 KiB a line, h11
# 16 KiB in all): an upstream that sends more fails, as one that is not HTTP does.
MAX_HEAD_BYTES = 65_536


class UpstreamConnection(asyncio.Protocol):
    """A connection (`open_connection` makes one); `exchange` sends a request on it and waits
    for the answer's status and headers, `body` yields its body."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0  # the event loop's time it went back to the pool
        self.waiter: asyncio.Future[None] | None = None
        self.reset()

    def reset(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}  # names in lower case
        self.head_bytes = 0
        self.head_received = self.complete = self.keep_alive = False
        self.anything_received = False
        self.pieces: deque[bytes] = deque()
        self.buffered = 0
        self.error: Exception | None = None

    async def exchange(self, request: bytes, read_timeout: float) -> None:
        """Send `request`; return once the answer's status and headers are in."""
        self.reset()
        if self.transport is None or self.closed:
            raise httpx2.RemoteProtocolError("Server disconnected without sending a response.")
        self.transport.write(request)
        while not self.head_received:
            if self.error is not None:
                raise self.error
            await self.wait(read_timeout)

    async def body(self, read_timeout: float) -> AsyncIterator[bytes]:
        """The answer's body, what has arrived at each step (waiting `read_timeout` at most
        for each next byte)."""
        while True:
            if self.pieces:
                piece = self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)
                self.pieces.clear()
                if self.buffered > HIGH_WATER and self.transport is not None:
                    self.transport.resume_reading()
                self.buffered = 0
                yield piece
            elif self.complete:
                return
            elif self.error is not None:
                raise self.error
            else:
                await self.wait(read_timeout)

    async def wait(self, read_timeout: float) -> None:
        self.waiter = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(read_timeout):
                await self.waiter
        except TimeoutError:
            raise httpx2.ReadTimeout("The upstream sent nothing in time.") from None
        finally:
            self.waiter = None

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)

    def close(self) -> None:
        """Close the connection (the upstream sees the request abandoned)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def reusable(self) -> bool:
        """Whether the answer was read to its end on a connection that stays open."""
        return self.complete and self.keep_alive and not self.closed and not self.pieces

    # asyncio's callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a TCP (or TLS) connection's

    def data_received(self, data: bytes) -> None:
        self.anything_received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.fail(httpx2.RemoteProtocolError(f"The upstream's answer is not HTTP: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.head_received and not self.complete and self.until_closed():
            self.complete = True  # an answer without a length ends when its connection does
        elif not self.complete and self.error is None:
            message = "Server disconnected without sending a response."
            if self.head_received:
                message = "The upstream closed the connection before the answer's end."
            self.error = httpx2.RemoteProtocolError(message)
        self.wake()

    def fail(self, error: Exception) -> None:
        self.error = error
        self.wake()

    def until_closed(self) -> bool:
        chunked = "chunked" in self.headers.get("transfer-encoding", "")
        return "content-length" not in self.headers and not chunked

    # httptools' callbacks (it hands on whole header names and values)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.head_bytes += len(name) + len(value)
        if self.head_bytes > MAX_HEAD_BYTES and not self.closed:
            self.fail(httpx2.RemoteProtocolError("The upstream's answer has too many headers."))
            self.close()
        if self.closed:
            return
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        if self.closed:  # (its headers were too many)
            return
        status = self.parser.get_status_code()
        if interim(status):
            # Not the answer: its headers (a 103's Link) are dropped but still count toward
            # MAX_HEAD_BYTES, and the read timeout runs on (no wake) until the final answer.
            self.headers = {}
            return
        self.status = status
        self.head_received = True
        self.wake()

    def on_body(self, body: bytes) -> None:
        self.pieces.append(body)
        self.buffered += len(body)
        if self.buffered > HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()  # until the reader takes what waits
        self.wake()

    def on_message_complete(self) -> None:
        if interim(self.parser.get_status_code()):
            return  # httptools ends an interim answer as a message; the final one follows
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()
        self.wake()


def interim(status: int) -> bool:
    """Whether an answer is an interim one (100 Continue, 103 Early Hints), which an upstream may
    send before its final answer; not 101, which the gateway never asks for."""
    return 100 <= status < 200 and status != 101
