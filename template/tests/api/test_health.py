"""Probes: liveness, readiness (shutdown, dependency checks), request ids."""

import asyncio
import time

import httpx2
from fastapi import FastAPI

from ..conftest import AppFactory, asgi_client
from .test_errors import assert_openai_error


async def test_get_health_without_credentials(app: FastAPI) -> None:
    async with asgi_client(app, {}) as anonymous:
        response = await anonymous.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_get_health_sets_new_request_id(client: httpx2.AsyncClient) -> None:
    first = await client.get("/health")
    second = await client.get("/health")

    assert len(first.headers["x-request-id"]) == 32
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_get_health_echoes_client_request_id(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "trace-123"})

    assert response.headers["x-request-id"] == "trace-123"


async def test_get_health_replaces_unsafe_request_id(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health", headers={"x-request-id": "bad id\twith spaces"})

    assert response.headers["x-request-id"] != "bad id\twith spaces"
    assert len(response.headers["x-request-id"]) == 32


async def test_get_ready_answers_ok_without_credentials(app: FastAPI) -> None:
    async with asgi_client(app, {}) as anonymous:
        response = await anonymous.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_get_ready_once_shutdown_began_answers_503(app: FastAPI) -> None:
    app.state.shutdown.begin()

    async with asgi_client(app, {}) as anonymous:
        ready = await anonymous.get("/health/ready")
        live = await anonymous.get("/health")

    message = assert_openai_error(ready, 503, "server_error")
    assert "shutting down" in message
    assert ready.json()["error"]["code"] == "shutting_down"
    assert live.status_code == 200


async def test_get_ready_with_failing_check_answers_503_naming_it(app: FastAPI) -> None:
    async def upstream() -> None:
        raise ConnectionRefusedError("upstream at 10.0.0.1 refused")

    async def store() -> None:
        pass

    app.state.readiness_checks.update(upstream=upstream, store=store)
    async with asgi_client(app, {}) as anonymous:
        response = await anonymous.get("/health/ready")

    message = assert_openai_error(response, 503, "server_error")
    assert message == "Not ready: upstream unreachable."
    assert response.json()["error"]["code"] == "not_ready"


async def test_get_ready_with_passing_checks_answers_ok(app: FastAPI) -> None:
    async def upstream() -> bool:
        return True

    app.state.readiness_checks["upstream"] = upstream
    async with asgi_client(app, {}) as anonymous:
        response = await anonymous.get("/health/ready")

    assert response.status_code == 200


async def test_get_ready_with_hanging_check_answers_503_in_bounded_time(
    make_app: AppFactory,
) -> None:
    app = await make_app(readiness_timeout=0.05)

    async def upstream() -> None:
        await asyncio.sleep(60)

    app.state.readiness_checks["upstream"] = upstream
    started = time.perf_counter()
    async with asgi_client(app, {}) as anonymous:
        response = await anonymous.get("/health/ready")

    assert response.status_code == 503
    assert time.perf_counter() - started < 1.0  # the issue demands a bound
