"""Which HTTP client the gateway should use for its upstream: each candidate sends the
benchmark's chat request to a server, in one run, at concurrency 1 and 64, plain and streamed
(reading each stream piece by piece, as the gateway relays it); the figures as a Markdown table.

    python client_choice.py URL TOKEN PLAIN_BODY_FILE STREAM_BODY_FILE [--seconds 3]

Run it with a Python that has the candidates (httpx2, aiohttp, pyqwest, pyreqwest); a
candidate that does not import is left out. Each is configured as the gateway would need it:
proxy settings from the environment where the client reads them, TLS verification on, a
connection pool, and for streams no read buffering (pyreqwest's streamed-read buffer 0).
"""

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

PATH = "/v1/chat/completions"
# One request: send it, read the whole answer (piece by piece when streamed).
type Send = Callable[[bool], Awaitable[None]]


@contextlib.asynccontextmanager
async def httpx2_client(url: str, headers: dict[str, str], bodies: dict[bool, bytes]) -> Any:
    import httpx2

    limits = httpx2.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx2.AsyncClient(base_url=url, headers=headers, limits=limits) as client:

        async def send(stream: bool) -> None:
            request = client.build_request("POST", PATH, content=bodies[stream])
            response = await client.send(request, stream=True)
            async for _ in response.aiter_bytes():
                pass
            await response.aclose()

        yield send


@contextlib.asynccontextmanager
async def aiohttp_client(url: str, headers: dict[str, str], bodies: dict[bool, bytes]) -> Any:
    import ssl

    import aiohttp

    # ssl.create_default_context() honours SSL_CERT_FILE and SSL_CERT_DIR.
    connector = aiohttp.TCPConnector(limit=100, ssl=ssl.create_default_context())
    async with aiohttp.ClientSession(
        base_url=url, headers=headers, connector=connector, trust_env=True
    ) as session:

        async def send(stream: bool) -> None:
            async with session.post(PATH, data=bodies[stream]) as response:
                async for _ in response.content.iter_any():
                    pass

        yield send


@contextlib.asynccontextmanager
async def pyqwest_client(url: str, headers: dict[str, str], bodies: dict[bool, bytes]) -> Any:
    import pyqwest

    transport = pyqwest.HTTPTransport(tls_include_system_certs=True, enable_otel=False)
    async with transport:
        client = pyqwest.Client(transport)

        async def send(stream: bool) -> None:
            async with client.stream("POST", url + PATH, headers, bodies[stream]) as response:
                async for _ in response.content:
                    pass

        yield send


@contextlib.asynccontextmanager
async def pyreqwest_client(url: str, headers: dict[str, str], bodies: dict[bool, bytes]) -> Any:
    from pyreqwest.client import ClientBuilder

    async with ClientBuilder().max_connections(100).default_headers(headers).build() as client:

        async def send(stream: bool) -> None:
            builder = client.post(url + PATH).body_bytes(bodies[stream])
            async with builder.streamed_read_buffer_limit(0).build_streamed() as response:
                reader = response.body_reader
                while await reader.read_chunk() is not None:
                    pass

        yield send


@contextlib.asynccontextmanager
async def gateway_client(url: str, headers: dict[str, str], bodies: dict[bool, bytes]) -> Any:
    """The gateway's own client (upstream_transport.py's: direct_client.py for an upstream
    reached without a proxy, as here), from the rendered gateway."""
    import importlib

    if not GATEWAY_PACKAGE:
        raise ImportError("no --gateway-package")
    upstream = importlib.import_module(f"{GATEWAY_PACKAGE}.services.gateway.upstream")
    settings = upstream.UpstreamSettings(upstream_base_url=url)
    async with upstream.Upstream(settings) as gateway_upstream:
        client = gateway_upstream.client

        async def send(stream: bool) -> None:
            response = await client.send("POST", PATH, bodies[stream], headers)
            async for _ in response.aiter_bytes():
                pass
            await response.aclose()

        yield send


GATEWAY_PACKAGE = ""
CANDIDATES = {
    "httpx2": httpx2_client,
    "gateway's upstream.py": gateway_client,
    "aiohttp": aiohttp_client,
    "pyqwest": pyqwest_client,
    "pyreqwest": pyreqwest_client,
}


async def measure(send: Send, stream: bool, concurrency: int, seconds: float) -> dict[str, float]:
    """Requests/s and the latency percentiles (ms) of `concurrency` senders for `seconds`."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def sender() -> None:
        while (started := time.perf_counter()) < deadline:
            await send(stream)
            latencies.append(time.perf_counter() - started)

    began, cpu_began = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    latencies.sort()
    return {
        # The client's own CPU time (all its threads) per request: what it costs the gateway,
        # unlike latency, hardly changed by other load on the machine.
        "cpu_us": cpu / len(latencies) * 1e6,
        "rps": len(latencies) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
    }


async def candidates(
    url: str, headers: dict[str, str], bodies: dict[bool, bytes]
) -> AsyncIterator[tuple[str, Send]]:
    for name, client in CANDIDATES.items():
        try:
            async with client(url, headers, bodies) as send:
                yield name, send
        except (ImportError, ValueError):
            continue


async def main(args: argparse.Namespace) -> None:
    headers = {"authorization": f"Bearer {args.token}", "content-type": "application/json"}
    bodies = {False: Path(args.plain).read_bytes(), True: Path(args.stream).read_bytes()}
    best: dict[tuple[str, bool, int], dict[str, float]] = {}
    for _ in range(args.rounds):
        async for name, send in candidates(args.url, headers, bodies):
            for stream in (False, True):
                await measure(send, stream, 8, 0.3)  # warm the pool
                for concurrency in (1, 64):
                    figures = await measure(send, stream, concurrency, args.seconds)
                    key = (name, stream, concurrency)
                    if key not in best or figures["cpu_us"] < best[key]["cpu_us"]:
                        best[key] = figures
    print(
        "| client | plain: CPU µs/request c=1 / c=64 | plain c=1 p50 / p99 (ms) | plain c=64 req/s"
        " | stream: CPU µs/stream c=1 / c=64 | stream c=1 p50 (ms) | stream c=64 streams/s |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in dict.fromkeys(key[0] for key in best):
        p1, p64 = best[(name, False, 1)], best[(name, False, 64)]
        s1, s64 = best[(name, True, 1)], best[(name, True, 64)]
        print(
            f"| {name} | {p1['cpu_us']:.0f} / {p64['cpu_us']:.0f}"
            f" | {p1['p50']:.3f} / {p1['p99']:.3f} | {p64['rps']:,.0f}"
            f" | {s1['cpu_us']:.0f} / {s64['cpu_us']:.0f} | {s1['p50']:.2f} | {s64['rps']:,.0f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("plain")
    parser.add_argument("stream")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gateway-package", default="", help="a rendered gateway's package")
    arguments = parser.parse_args()
    GATEWAY_PACKAGE = arguments.gateway_package
    try:
        import uvloop

        uvloop.run(main(arguments))
    except ImportError:
        asyncio.run(main(arguments))
