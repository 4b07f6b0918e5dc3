"""What the gateway's HTTP client costs by itself: one request at a time to a server, sent with
the gateway's own client (`UpstreamClient` of its upstream_transport.py, as its upstream.py
opens it: direct_client.py, the upstream being reached without a proxy) and then written to a
plain asyncio socket (the least any client can do), in turns; the p50 and p99 of each, as JSON.

`gateway.py` runs it (through `load.py`) with the rendered gateway's Python, on the client CPU:
    python client_cost.py PACKAGE URL TOKEN BODY_FILE
"""

import asyncio
import importlib
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

WARM_UP, REQUESTS, ROUNDS = 200, 2000, 2
PATH = "/v1/chat/completions"


async def timed(send: Callable[[], Awaitable[None]]) -> list[float]:
    for _ in range(WARM_UP):
        await send()
    times = []
    for _ in range(REQUESTS):
        started = time.perf_counter()
        await send()
        times.append(time.perf_counter() - started)
    return times


def with_gateway_client(
    package: str,
) -> Callable[[str, dict[str, str], bytes], Awaitable[list[float]]]:
    upstream = importlib.import_module(f"{package}.services.gateway.upstream")

    async def run(url: str, headers: dict[str, str], body: bytes) -> list[float]:
        settings = upstream.UpstreamSettings(upstream_base_url=url)
        async with upstream.Upstream(settings) as gateway_upstream:
            client = gateway_upstream.client

            async def send() -> None:  # as the gateway reads a plain answer
                answer = await gateway_upstream.read(await client.send("POST", PATH, body, headers))
                if answer.status_code != 200:
                    raise RuntimeError(f"status {answer.status_code}")

            return await timed(send)

    return run


async def with_socket(url: str, headers: dict[str, str], body: bytes) -> list[float]:
    """HTTP/1.1 over one kept-alive connection, reading the Content-Length answer."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = f"POST {PATH} HTTP/1.1\r\nhost: {parts.netloc}\r\ncontent-length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = head.encode() + b"\r\n" + body

    async def send() -> None:
        writer.write(request)
        answer = await reader.readuntil(b"\r\n\r\n")
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(answer.decode(errors="replace"))
        for line in answer.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                await reader.readexactly(int(line.partition(b":")[2]))

    try:
        return await timed(send)
    finally:
        writer.close()


def percentile(times: list[float], fraction: float) -> float:
    return sorted(times)[int(len(times) * fraction)] * 1000


async def main(package: str, url: str, token: str, body: bytes) -> None:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    best: dict[str, list[float]] = {}
    clients = (("client", with_gateway_client(package)), ("socket", with_socket))
    for _ in range(ROUNDS):
        for name, client in clients:
            times = await client(url, headers, body)
            if name not in best or percentile(times, 0.5) < percentile(best[name], 0.5):
                best[name] = times
    figures = {
        f"{name}_{label}_ms": percentile(times, fraction)
        for name, times in best.items()
        for label, fraction in (("p50", 0.5), ("p99", 0.99))
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], Path(sys.argv[4]).read_bytes()))
