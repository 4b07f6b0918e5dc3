"""What an HTTP client costs by itself: one request at a time to a server, sent with
`httpx2.AsyncClient` on its own transport (the gateway's client on aiohttp's transport costs
less: client_choice.py compares them) and then written to a plain asyncio socket
(the least any client can do), in turns; the p50 and p99 of each, as JSON.

`gateway.py` runs it (through `load.py`) with the rendered project's Python, which has httpx2,
on the client CPU:
    python client_cost.py URL TOKEN BODY_FILE
"""

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx2

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


async def with_httpx2(url: str, headers: dict[str, str], body: bytes) -> list[float]:
    async with httpx2.AsyncClient(base_url=url, headers=headers) as client:

        async def send() -> None:
            response = await client.post(PATH, content=body)
            response.raise_for_status()

        return await timed(send)


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


async def main(url: str, token: str, body: bytes) -> None:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    best: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for name, client in (("httpx2", with_httpx2), ("socket", with_socket)):
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
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3]).read_bytes()))
