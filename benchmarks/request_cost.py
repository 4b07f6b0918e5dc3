"""Where a request's time goes, in process: the generated app called as an ASGI app, with no
server or network, in µs per request, and (with --profile) cProfile's top functions.

Run it with a rendered project's Python, from the project's directory:
    .venv/bin/python BENCHMARKS/request_cost.py                    # the default settings
    .venv/bin/python BENCHMARKS/request_cost.py LOG_LEVEL=WARNING  # one feature off
    .venv/bin/python BENCHMARKS/request_cost.py --profile --stream
    .venv/bin/python BENCHMARKS/request_cost.py --stream --first-chunk  # CPU to the first chunk

Each `NAME=VALUE` argument is a setting of that run; comparing runs tells what a feature costs.
The figures are the app's own work; a server (uvicorn: parsing, the event loop) adds its own.
"""

import argparse
import asyncio
import cProfile
import importlib
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

TOKEN = "bench-token"
ROUNDS = 10


def request_body(stream: bool) -> bytes:
    words = " ".join(f"word{index}" for index in range(32 if not stream else 245))
    messages = [{"role": "user", "content": words}]
    return json.dumps({"model": "mock-model", "messages": messages, "stream": stream}).encode()


def scope(body: bytes) -> dict[str, Any]:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {TOKEN}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/chat/completions",
        "raw_path": b"/v1/chat/completions",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


# CPU seconds from each call to the app's first body message (--first-chunk).
FIRST_BODY: list[float] = []


async def call(app: Any, body: bytes) -> int:
    """One request; the number of body messages the app sent."""
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent = 0
    status = 0
    called = time.process_time()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # a client that stays connected
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal sent, status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            if not sent:
                FIRST_BODY.append(time.process_time() - called)
            sent += 1

    await app(scope(body), receive, send)
    if status != 200:
        sys.exit(f"The app answered {status}")
    return sent


async def run(app: Any, body: bytes, requests: int, profiler: cProfile.Profile | None) -> float:
    for _ in range(200):
        await call(app, body)
    FIRST_BODY.clear()
    best = float("inf")
    for _ in range(ROUNDS):  # the best round: on a shared machine noise only slows one down
        if profiler:
            profiler.enable()
        started = time.process_time()
        for _ in range(requests // ROUNDS):
            await call(app, body)
        best = min(best, (time.process_time() - started) / (requests // ROUNDS))
        if profiler:
            profiler.disable()
    return best * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("settings", nargs="*", help="NAME=VALUE settings of this run")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--stream", action="store_true", help="256-chunk streams")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--first-chunk",
        action="store_true",
        help="also the CPU µs to the first body message (a stream's first chunk), median",
    )
    args = parser.parse_args()
    os.environ |= {"API_AUTH_TOKENS": TOKEN, "LOG_LEVEL": "INFO", "MOCK_TOKEN_DELAY": "0"}
    os.environ |= dict(setting.split("=", 1) for setting in args.settings)
    sys.path.insert(0, str(Path("src").resolve()))
    package = next(Path("src").iterdir()).name
    # The access log goes where a server's would, not to the terminal.
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the whole run
    app = importlib.import_module(f"{package}.main").app
    # CPU time, as the figure: with a network upstream, wall time would charge a socket write
    # with the time the process waited to run again.
    profiler = cProfile.Profile(time.process_time) if args.profile else None

    async def lifespan_and_run() -> float:
        async with app.router.lifespan_context(app):
            return await run(app, request_body(args.stream), args.requests, profiler)

    try:
        import uvloop

        micros = uvloop.run(lifespan_and_run())
    except ImportError:
        micros = asyncio.run(lifespan_and_run())
    sys.stderr = sys.__stderr__
    print(f"{micros:.1f} µs/request ({' '.join(args.settings) or 'defaults'})")
    if args.first_chunk:
        first = sorted(FIRST_BODY)[len(FIRST_BODY) // 2] * 1e6
        print(f"{first:.1f} µs to the first body message (median of {len(FIRST_BODY)})")
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
