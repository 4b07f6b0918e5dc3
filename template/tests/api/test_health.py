import httpx2
from fastapi import FastAPI

from ..conftest import asgi_client


async def test_get_health_without_credentials(app: FastAPI) -> None:
    async with asgi_client(app) as anonymous:
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
