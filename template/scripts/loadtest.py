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
import json
import sys
import time
from dataclasses import dataclass
from itertools import cycle, islice

import httpx2
from load_clients import Connection, HttpxConnection, LoadResults, RawHTTPConnection, StreamTimer

# The path each endpoint is served at, relative to the base URL.
PATHS = {"chat": "/chat/completions", "completions": "/completions", "embeddings": "/embeddings"}
# Repeated to make a prompt of any length; words only, so one word is one token of the mock.
PROMPT_TEXT = "please summarise the following notes about our quarterly planning meeting"


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
