"""The load generator's clients (scripts/loadtest.py): connections that send its requests,
and the timer that counts a stream's `data: ` frames as their bytes arrive."""

import asyncio
import contextlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

import httpx2

DATA_FRAME = b"data: "
DONE_FRAME = b"data: [DONE]\n\n"
# Enough of a stream's end to find [DONE] in, even followed by chunked encoding's last chunk.
TAIL_BYTES = 32


@dataclass
class LoadResults:
    """What the clients measured; times in seconds."""

    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    first_chunk: list[float] = field(default_factory=list)
    chunk_gaps: list[float] = field(default_factory=list)
    chunks: int = 0
    # Failed requests by HTTP status, exception name or "incomplete stream".
    errors: Counter[str] = field(default_factory=Counter)


class StreamTimer:
    """Counts the `data: ` frames of one event stream as its bytes arrive, and when they came."""

    def __init__(self, results: LoadResults, started: float) -> None:
        self.results, self.started = results, started
        self.frames, self.last_arrival, self.tail = 0, 0.0, b""

    def feed(self, data: bytes) -> None:
        arrived = time.perf_counter()
        # A marker may be split between reads: count in the last few bytes plus the new ones.
        count = (self.tail[-len(DATA_FRAME) + 1 :] + data).count(DATA_FRAME)
        if count:
            if self.frames:
                self.results.chunk_gaps.append(arrived - self.last_arrival)
            else:
                self.results.first_chunk.append(arrived - self.started)
            self.results.chunk_gaps.extend([0.0] * (count - 1))  # arrived together
            self.frames, self.last_arrival = self.frames + count, arrived
        self.tail = (self.tail + data)[-TAIL_BYTES:]

    def finish(self) -> bool:
        """Record the chunks of a complete stream; False if it did not end with [DONE]."""
        if DONE_FRAME not in self.tail:
            return False
        self.results.chunks += self.frames - 1  # [DONE] is not a chunk
        return True


class Connection(Protocol):
    async def post(self, timer: StreamTimer | None) -> int:
        """Send the request, read the whole answer (feeding `timer` if given); the status."""
        ...

    async def close(self) -> None: ...


class HttpxConnection:
    """Requests through a shared httpx2 client: any URL, any transport."""

    def __init__(self, client: httpx2.AsyncClient, url: str, headers: dict[str, str], body: bytes):
        self.client, self.url, self.headers, self.body = client, url, headers, body

    async def post(self, timer: StreamTimer | None) -> int:
        request = self.client.build_request(
            "POST", self.url, headers=self.headers, content=self.body
        )
        response = await self.client.send(request, stream=True)
        try:
            async for data in response.aiter_raw():
                if timer:
                    timer.feed(data)
        finally:
            await response.aclose()
        return response.status_code

    async def close(self) -> None:
        pass


class RawHTTPConnection:
    """HTTP/1.1 on one keep-alive connection to an `http://` URL. Bodies are read as raw bytes,
    chunked encoding left in place: enough to count frames and find the end of the answer."""

    def __init__(self, url: str, headers: dict[str, str], body: bytes) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, timer: StreamTimer | None) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        try:
            writer.write(self.request)
            head = (await reader.readuntil(b"\r\n\r\n")).lower()
            status = int(head.split(None, 2)[1])
            if b"transfer-encoding: chunked" in head:
                await self._read_chunked(reader, timer)
            else:
                length = head.partition(b"content-length:")[2].partition(b"\r\n")[0]
                body = await reader.readexactly(int(length or 0))
                if timer:
                    timer.feed(body)
            if b"connection: close" in head:
                await self.close()
        except BaseException:
            await self.close()  # the connection is in an unknown state: start afresh
            raise
        return status

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader, timer: StreamTimer | None) -> None:
        tail = b""
        while not tail.endswith(b"\r\n0\r\n\r\n"):  # the last chunk (no trailers)
            data = await reader.read(65536)
            if not data:
                raise asyncio.IncompleteReadError(tail, None)
            if timer:
                timer.feed(data)
            tail = (tail + data)[-7:]

    async def close(self) -> None:
        if self.streams is not None:
            writer = self.streams[1]
            self.streams = None
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
