"""Every error leaves the service in OpenAI's shape: {"error": {message, type, param, code}}."""

import json
import logging
from collections.abc import AsyncIterator

import httpx2
import openai
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel, Field


class Item(BaseModel):
    name: str
    tags: list[str] = Field(max_length=2)


def assert_openai_error(response: httpx2.Response, status: int, error_type: str) -> str:
    """Check the status and the error envelope; return the error message."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["type"] == error_type
    message: str = body["error"]["message"]
    assert message
    return message


@pytest.fixture
def app_with_test_routes(app: FastAPI) -> FastAPI:
    """The app plus two routes that exist only in these tests."""

    @app.post("/test/body-size")
    async def body_size(request: Request) -> int:
        return len(await request.body())

    @app.post("/test/items")
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/test/crash")
    async def crash() -> None:
        raise RuntimeError("secret internal detail")

    return app


async def test_unknown_route_returns_404_error(client: httpx2.AsyncClient) -> None:
    response = await client.get("/v1/does-not-exist")

    message = assert_openai_error(response, 404, "invalid_request_error")
    assert "/v1/does-not-exist" in message


async def test_wrong_method_returns_405_error(client: httpx2.AsyncClient) -> None:
    response = await client.delete("/health")

    assert_openai_error(response, 405, "invalid_request_error")
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ({"tags": []}, "name", "Missing required parameter: 'name'."),
        ({"name": 1, "tags": []}, "name", "Invalid value for 'name'"),
        ({"name": "a", "tags": ["x", 2]}, "tags[1]", "Invalid value for 'tags[1]'"),
        ([1, 2], None, "Invalid request body"),
    ],
)
async def test_invalid_body_returns_422_naming_param(
    app_with_test_routes: FastAPI,
    client: httpx2.AsyncClient,
    body: object,
    param: str | None,
    message: str,
) -> None:
    response = await client.post("/test/items", json=body)

    assert message in assert_openai_error(response, 422, "invalid_request_error")
    assert response.json()["error"]["param"] == param


async def test_invalid_body_returns_400_when_configured_as_openai_does(
    app_with_test_routes: FastAPI, client: httpx2.AsyncClient
) -> None:
    app_with_test_routes.state.settings.validation_error_status = 400

    response = await client.post("/test/items", json={"tags": []})

    message = assert_openai_error(response, 400, "invalid_request_error")
    assert message == "Missing required parameter: 'name'."
    assert response.json()["error"]["param"] == "name"


@pytest.mark.parametrize(
    ("status", "exception"),
    [(422, openai.UnprocessableEntityError), (400, openai.BadRequestError)],
)
async def test_invalid_body_raises_sdk_error_of_configured_status(
    app: FastAPI,
    sdk: openai.AsyncOpenAI,
    status: int,
    exception: type[openai.APIStatusError],
) -> None:
    app.state.settings.validation_error_status = status

    @app.post("/v1/test/items")
    async def create_item(item: Item) -> Item:
        return item

    with pytest.raises(exception) as raised:
        await sdk.post("/test/items", body={"tags": []}, cast_to=object)

    assert raised.value.status_code == status
    assert raised.value.param == "name"


async def test_malformed_json_returns_400(
    app_with_test_routes: FastAPI, client: httpx2.AsyncClient
) -> None:
    response = await client.post(
        "/test/items", content=b'{"name": ', headers={"content-type": "application/json"}
    )

    assert "JSON" in assert_openai_error(response, 400, "invalid_request_error")


async def test_post_body_over_limit_returns_413_error(
    client: httpx2.AsyncClient, app: FastAPI
) -> None:
    limit: int = app.state.settings.max_request_bytes

    response = await client.post("/health", content=b"x" * (limit + 1))

    message = assert_openai_error(response, 413, "invalid_request_error")
    assert str(limit) in message


async def test_post_chunked_body_over_limit_returns_413_error(
    app_with_test_routes: FastAPI, client: httpx2.AsyncClient
) -> None:
    limit: int = app_with_test_routes.state.settings.max_request_bytes

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    # No Content-Length: the body is counted while the route reads it.
    response = await client.post("/test/body-size", content=chunks())

    assert_openai_error(response, 413, "invalid_request_error")


async def test_post_chunked_body_under_limit_is_read(
    app_with_test_routes: FastAPI, client: httpx2.AsyncClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"
        yield b"def"

    response = await client.post("/test/body-size", content=chunks())

    assert response.status_code == 200
    assert response.json() == 6


async def test_unhandled_exception_returns_generic_500(
    app_with_test_routes: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    transport = httpx2.ASGITransport(app=app_with_test_routes, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as http:
        with caplog.at_level(logging.INFO):
            response = await http.get("/test/crash")

    message = assert_openai_error(response, 500, "server_error")
    assert "secret internal detail" not in message
    assert any("/test/crash 500" in record.getMessage() for record in caplog.records)


async def test_openapi_documents_errors_in_openai_shape(client: httpx2.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()

    assert "HTTPValidationError" not in json.dumps(document)  # FastAPI's {"detail": ...}
    error_schema = {"$ref": "#/components/schemas/ErrorResponse"}
    v1_operations = [
        operation
        for path, operations in document["paths"].items()
        if path.startswith("/v1/")
        for operation in operations.values()
    ]
    assert v1_operations
    for operation in v1_operations:
        for status in ("400", "404", "422", "500"):
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == error_schema
