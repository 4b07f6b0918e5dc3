"""Load generator for any OpenAI-compatible server: throughput, latency and stream timing.

    uv run scripts/loadtest.py --base-url http://127.0.0.1:8000/v1 --token "$OPENAI_API_KEY" \
        --concurrency 16 --duration 10 --stream

Each of `--concurrency` clients sends one request after the other on its own keep-alive
connection (a closed loop) for `--duration` seconds or until `--requests` have been sent, after
an optional unmeasured `--warmup`. It prints requests/s, latency percentiles and failures by
status; for streams also the time to the first chunk, chunks/s and the gaps between chunks.

Stream chunks are counted as `data: ` frames in the raw bytes. For `http://` URLs a minimal
HTTP/1.1 client reads the bytes straight off the socket, so a fast server is not measured at the
client's pace; `https://` URLs (or `--client httpx2`) go through httpx2.
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import cycle, islice
from typing import Protocol
from urllib.parse import urlsplit

import httpx2

# The path each endpoint is served at, relative to the base URL.
PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
# Repeated to make a prompt of any length; words only, so one word is one token of the mock.
PROMPT_TEXT = "please summarise the following notes about our quarterly planning meeting"
DATA_FRAME = b"data: "
DONE_FRAME = b"data: [DONE]\n\n"
# Enough of a stream's end to find [DONE] in, even followed by chunked encoding's last chunk.
TAIL_BYTES = 32


@dataclass(frozen=True)
class LoadConfig:
    """What to send, how often and for how long."""

    base_url: str = "http://127.0.0.1:8000/v1"
    token: str = ""
    model: str = "mock-model"
    endpoint: str = "chat"
    stream: bool = False
    prompt_words: int = 16
    max_tokens: int | None = None
    concurrency: int = 8
    duration: float | None = 10.0
    requests: int | None = None
    warmup: float = 0.0
    timeout: float = 60.0
    client: str = "auto"


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


def request_body(config: LoadConfig) -> bytes:
    """A realistic request for the endpoint, with a prompt of `prompt_words` words."""
    prompt = " ".join(islice(cycle(PROMPT_TEXT.split()), config.prompt_words))
    body: dict[str, object] = {"model": config.model}
    if config.endpoint == "chat":
        body["messages"] = [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": prompt},
        ]
    elif config.endpoint == "completions":
        body["prompt"] = prompt
    else:
        body["input"] = prompt
    if config.endpoint != "embeddings":
        body["stream"] = config.stream
        if config.max_tokens is not None:
            body["max_tokens"] = config.max_tokens
    return json.dumps(body).encode()


async def run_load(
    config: LoadConfig, transport: httpx2.AsyncBaseTransport | None = None
) -> LoadResults:
    """Run the load `config` describes (through `transport`, e.g. an ASGITransport, if given):
    warm up, dropping the results, then measure."""
    url = config.base_url.rstrip("/") + PATHS[config.endpoint]
    headers = {"Content-Type": "application/json"}
    if config.token:
        headers["Authorization"] = f"Bearer {config.token}"
    body = request_body(config)
    raw = transport is None and config.client != "httpx2" and url.startswith("http://")
    limits = httpx2.Limits(max_connections=config.concurrency)
    async with httpx2.AsyncClient(transport=transport, limits=limits, timeout=None) as client:
        connections: list[Connection] = [
            RawHTTPConnection(url, headers, body)
            if raw
            else HttpxConnection(client, url, headers, body)
            for _ in range(config.concurrency)
        ]
        try:
            if config.warmup > 0:
                await run_phase(connections, config, LoadResults(), config.warmup, None)
            return await run_phase(
                connections, config, LoadResults(), config.duration, config.requests
            )
        finally:
            for connection in connections:
                await connection.close()


async def run_phase(
    connections: list[Connection],
    config: LoadConfig,
    results: LoadResults,
    duration: float | None,
    requests: int | None,
) -> LoadResults:
    started = time.perf_counter()
    deadline = started + duration if duration is not None else float("inf")
    remaining = requests if requests is not None else -1  # -1: no limit

    async def client_loop(connection: Connection) -> None:
        nonlocal remaining
        while remaining != 0 and time.perf_counter() < deadline:
            remaining -= 1
            sent = time.perf_counter()
            timer = StreamTimer(results, sent) if config.stream else None
            try:
                async with asyncio.timeout(config.timeout):
                    status = await connection.post(timer)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as error:
                results.errors[type(error).__name__] += 1
                continue
            except httpx2.HTTPError as error:
                results.errors[type(error).__name__] += 1
                continue
            if status != 200:
                results.errors[str(status)] += 1
            elif timer and not timer.finish():
                results.errors["incomplete stream"] += 1
            else:
                results.latencies.append(time.perf_counter() - sent)

    async with asyncio.TaskGroup() as group:
        for connection in connections:
            group.create_task(client_loop(connection))
    results.elapsed = time.perf_counter() - started
    return results


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank); 0 if there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(results: LoadResults, stream: bool) -> dict[str, object]:
    """The figures to report, times in milliseconds, failures by status."""
    elapsed = results.elapsed or 1.0

    def milliseconds(values: list[float], fraction: float) -> float:
        return round(percentile(values, fraction) * 1000, 3)

    report: dict[str, object] = {
        "requests": len(results.latencies),
        "seconds": round(results.elapsed, 3),
        "requests_per_second": round(len(results.latencies) / elapsed, 1),
        "latency_p50_ms": milliseconds(results.latencies, 0.50),
        "latency_p90_ms": milliseconds(results.latencies, 0.90),
        "latency_p99_ms": milliseconds(results.latencies, 0.99),
    }
    if stream:
        report |= {
            "chunks": results.chunks,
            "chunks_per_second": round(results.chunks / elapsed, 1),
            "first_chunk_p50_ms": milliseconds(results.first_chunk, 0.50),
            "first_chunk_p99_ms": milliseconds(results.first_chunk, 0.99),
            "inter_chunk_p50_ms": milliseconds(results.chunk_gaps, 0.50),
            "inter_chunk_p99_ms": milliseconds(results.chunk_gaps, 0.99),
        }
    report["errors"] = dict(results.errors)
    return report


def format_summary(report: dict[str, object]) -> str:
    lines = []
    for name, value in report.items():
        if isinstance(value, dict):
            detail = ", ".join(f"{status}: {count}" for status, count in sorted(value.items()))
            value = f"{sum(value.values())} ({detail})" if detail else 0
        lines.append(f"{name:<22} {value}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> tuple[LoadConfig, bool]:
    """The load to run, and whether to print JSON."""
    defaults = LoadConfig()
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--base-url", default=defaults.base_url, help="the server's /v1 URL")
    parser.add_argument("--token", default=defaults.token, help="Bearer token (default: none)")
    parser.add_argument("--model", default=defaults.model)
    parser.add_argument("--endpoint", choices=sorted(PATHS), default=defaults.endpoint)
    parser.add_argument("--stream", action="store_true", help='send "stream": true')
    parser.add_argument("--prompt-words", type=int, default=defaults.prompt_words)
    parser.add_argument("--max-tokens", type=int, default=defaults.max_tokens)
    parser.add_argument("--concurrency", type=int, default=defaults.concurrency)
    parser.add_argument("--duration", type=float, default=defaults.duration, help="seconds")
    parser.add_argument("--requests", type=int, help="stop after this many (instead of duration)")
    parser.add_argument("--warmup", type=float, default=defaults.warmup, help="seconds, unmeasured")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="per request")
    parser.add_argument("--client", choices=["auto", "httpx2"], default=defaults.client)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.stream and args.endpoint == "embeddings":
        parser.error("embeddings cannot be streamed")
    config = LoadConfig(
        base_url=args.base_url,
        token=args.token,
        model=args.model,
        endpoint=args.endpoint,
        stream=args.stream,
        prompt_words=args.prompt_words,
        max_tokens=args.max_tokens,
        concurrency=args.concurrency,
        duration=None if args.requests is not None else args.duration,
        requests=args.requests,
        warmup=args.warmup,
        timeout=args.timeout,
        client=args.client,
    )
    return config, args.json


def main(argv: list[str] | None = None) -> int:
    config, as_json = parse_args(argv)
    results = asyncio.run(run_load(config))
    report = summary(results, config.stream)
    print(json.dumps(report) if as_json else format_summary(report))
    return 0 if results.latencies else 1


if __name__ == "__main__":
    sys.exit(main())
