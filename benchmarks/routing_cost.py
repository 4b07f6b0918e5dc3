"""What a route's own work costs per request, in process: choosing a deployment, the attempt's
bookkeeping and its header, for a route of two deployments, against the same request sent
straight to an upstream. No server and no network: the send is a function that returns at once,
so the difference is routing's CPU time alone (routing.py measures it through servers, where it
is within the noise).

Run it with a rendered gateway's Python, from the gateway's directory:
    .venv/bin/python BENCHMARKS/routing_cost.py
"""

import asyncio
import importlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REQUESTS, ROUNDS = 20_000, 5
BODY = b'{"model": "chat", "messages": [{"role": "user", "content": "Hello"}]}'


async def answer(upstream: object, body: bytes | None, first_token: float | None) -> int:
    return 200


async def best_of(request: Callable[[], Awaitable[Any]]) -> float:
    """CPU µs per request, the best round (on a shared machine noise only slows one down)."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            await request()
        best = min(best, (time.process_time() - started) / REQUESTS)
    return best * 1e6


async def main() -> None:
    sys.path.insert(0, str(Path("src").resolve()))
    package = next(Path("src").iterdir()).name
    gateway = f"{package}.services.gateway"
    routing = importlib.import_module(f"{gateway}.routing")
    upstream = importlib.import_module(f"{gateway}.upstream")
    telemetry = importlib.import_module(f"{package}.core.telemetry")
    os.environ["ROUTING_COST_KEY"] = "key"
    deployment = {"url": "http://127.0.0.1:9/v1", "api_key_env": "ROUTING_COST_KEY"}
    routes = {"routes": [{"model": "chat", "deployments": [deployment, deployment]}]}
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "routes.json"
        path.write_text(json.dumps(routes))
        settings = upstream.UpstreamSettings(upstream_base_url="http://127.0.0.1:9/v1")
        router = routing.Router(settings, routing.RoutesSettings(routes_file=path))

        async def routed() -> None:
            with telemetry.recording():
                call = router.target("chat")
                await call.attempt(BODY, answer)
                call.headers()

        async def direct() -> None:
            with telemetry.recording():
                await answer(router.default, BODY, None)

        plain, route = await best_of(direct), await best_of(routed)
    print(f"Straight to an upstream: {plain:.2f} µs/request")
    print(f"A route of two deployments: {route:.2f} µs/request ({route - plain:+.2f} µs)")


if __name__ == "__main__":
    asyncio.run(main())
