"""What FastAPI's dependencies cost per request, by the shape they take, in process: routes of a
tiny app that answer the same fixed bytes, called as an ASGI app (no server, no network), each
against the route without dependencies, in CPU µs per request.

The generated chat route has three: the Bearer check of every /v1 route (a security scheme,
so that OpenAPI documents it) and the two seams tests swap with `dependency_overrides` (the
model catalogue and the chat backend). This says what each costs and what other shapes would.

Run it with a rendered project's Python (it needs FastAPI and uvloop only):
    .venv/bin/python BENCHMARKS/dependency_cost.py
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.security import HTTPBearer

REQUESTS, ROUNDS = 3_000, 7
ANSWER = b'{"ok":true}'
SHAPES = ("/none", "/one", "/one-without-request", "/two", "/one-yielding-two", "/security-scheme")


class Service:
    pass


async def service_of(request: Request) -> Service:
    """A seam as the generated getters are: the service the app holds."""
    service: Service = request.app.state.service
    return service


async def other_service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


SERVICE = Service()


async def module_service() -> Service:
    """A getter without the Request parameter."""
    return SERVICE


async def both_services(
    first: Annotated[Service, Depends(service_of)],
    second: Annotated[Service, Depends(other_service_of)],
) -> tuple[Service, Service]:
    """One dependency that yields both seams, each still a dependency of its own."""
    return first, second


async def no_dependency(request: Request) -> Response:
    return Response(ANSWER)


async def one(request: Request, a: Annotated[Service, Depends(service_of)]) -> Response:
    return Response(ANSWER)


async def one_without_request(
    request: Request, a: Annotated[Service, Depends(module_service)]
) -> Response:
    return Response(ANSWER)


async def two(
    request: Request,
    a: Annotated[Service, Depends(service_of)],
    b: Annotated[Service, Depends(other_service_of)],
) -> Response:
    return Response(ANSWER)


async def one_yielding_two(
    request: Request, both: Annotated[tuple[Service, Service], Depends(both_services)]
) -> Response:
    return Response(ANSWER)


def build_app() -> FastAPI:
    app = FastAPI()
    app.state.service = SERVICE
    post = {"methods": ["POST"]}
    app.add_api_route("/none", no_dependency, **post)
    app.add_api_route("/one", one, **post)
    app.add_api_route("/one-without-request", one_without_request, **post)
    app.add_api_route("/two", two, **post)
    app.add_api_route("/one-yielding-two", one_yielding_two, **post)
    # The route without dependencies, behind an HTTPBearer as the generated /v1 routes are.
    bearer = [Depends(HTTPBearer(auto_error=False))]
    app.add_api_route("/security-scheme", no_dependency, dependencies=bearer, **post)
    return app


def caller(app: FastAPI, path: str) -> Callable[[], Awaitable[None]]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer token"), (b"content-length", b"2")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def send(message: dict[str, Any]) -> None:
        pass

    async def call() -> None:
        messages = [{"type": "http.request", "body": b"{}", "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop()

        await app(dict(scope), receive, send)

    return call


async def main() -> None:
    app = build_app()
    best = dict.fromkeys(SHAPES, float("inf"))
    for _ in range(ROUNDS):  # in turns, the best round: noise only slows one down
        for path in SHAPES:
            call = caller(app, path)
            for _ in range(200):
                await call()
            started = time.process_time()
            for _ in range(REQUESTS):
                await call()
            best[path] = min(best[path], (time.process_time() - started) / REQUESTS * 1e6)
    for path in SHAPES:
        print(f"{path:22} {best[path]:6.1f} µs/request ({best[path] - best['/none']:+.1f})")


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
