"""One error path: every error leaves the service as OpenAI's `{"error": {...}}` body."""

from collections.abc import Callable, Coroutine, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..models.openai import ErrorDetail, ErrorResponse

# Pydantic names union members in error locations ("str", "list[...]"); they are not fields.
UNION_MEMBER_NAMES = frozenset({"str", "int", "float", "bool", "dict", "list", "none"})

# OpenAI's error body in the OpenAPI document, by reference. Naming the model instead would
# make FastAPI build a pydantic adapter for each such response of each route when the app
# routes its first request: about 35 ms for each app, which each test that builds one pays.
# /health/ready names the model (api/health.py), which puts its schema in the document.
ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}


def error_response_doc(description: str) -> dict[str, Any]:
    """A response with OpenAI's error body, as a route's `responses` document it."""
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


# The errors a /v1 route may answer, for the OpenAPI document: always OpenAI's error body.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: error_response_doc(description)
    for status, description in (
        (400, "Malformed request, such as a body that is not valid JSON"),
        (404, "Unknown model"),
        (413, "Request body too large"),
        (422, "Invalid request parameters"),
        (500, "Server error"),
    )
}


class OpenAIError(Exception):
    """An error to answer with an OpenAI error body; raise it anywhere in a request."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """`type` defaults to OpenAI's type for the status (server_error for 5xx, ...)."""
        super().__init__(message)
        self.status_code = status_code
        error_type = type or error_type_for(status_code)
        self.detail = ErrorDetail(message=message, type=error_type, param=param, code=code)
        self.headers = headers


class StreamingNotSupportedError(OpenAIError):
    """`"stream": true` to a server (or a backend) that does not stream."""

    def __init__(self) -> None:
        super().__init__(400, "Streaming is not supported by this server.", param="stream")


class StreamDropped(Exception):
    """Raised by the source of a stream to end it by closing the connection, with neither an
    error event nor `[DONE]`: what a server that crashed mid-stream looks like to a client."""


class ModelNotFoundError(OpenAIError):
    def __init__(self, model_id: str) -> None:
        super().__init__(
            404,
            f"The model '{model_id}' does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )


def error_type_for(status_code: int) -> str:
    """OpenAI's error `type` for a status code."""
    if status_code >= 500:
        return "server_error"
    if status_code == 429:
        return "rate_limit_exceeded"
    return "invalid_request_error"


def error_response(
    status_code: int, detail: ErrorDetail, headers: Mapping[str, str] | None = None
) -> Response:
    body = ErrorResponse(error=detail).model_dump_json()
    return Response(body, status_code, headers, media_type="application/json")


def param_from_location(location: Sequence[int | str]) -> str | None:
    """`("body", "messages", 0, "content")` -> `"messages[0].content"`."""
    param = ""
    for part in location[1:] if location[:1] == ("body",) else location:
        if isinstance(part, int):
            param += f"[{part}]"
        elif part.isidentifier() and part not in UNION_MEMBER_NAMES:
            param += f".{part}" if param else part
    return param or None


async def openai_error_handler(request: Request, exc: OpenAIError) -> Response:
    return error_response(exc.status_code, exc.detail, exc.headers)


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> Response:
    """Starlette's own errors: unknown route (404), wrong method (405), HTTPException."""
    if exc.status_code == 404 and exc.detail == HTTPStatus.NOT_FOUND.phrase:
        message = f"Unknown request URL: {request.method} {request.url.path}."
    else:
        message = str(exc.detail)
    detail = ErrorDetail(message=message, type=error_type_for(exc.status_code))
    return error_response(exc.status_code, detail, exc.headers)


async def validation_error_handler(request: Request, exc: RequestValidationError) -> Response:
    """Request validation: 422 (or 400, by VALIDATION_ERROR_STATUS) naming the first offending
    field; unparsable JSON: 400."""
    errors: Sequence[Any] = exc.errors()
    first = most_telling(errors) if errors else {"loc": (), "msg": "Invalid request.", "type": ""}
    if first["type"] == "json_invalid":
        message = "We could not parse the JSON body of your request. Send valid JSON."
        return error_response(400, ErrorDetail(message=message, type="invalid_request_error"))
    param = param_from_location(first["loc"])
    if param is None:
        message = f"Invalid request body: {first['msg']}."
    elif first["type"] == "missing":
        message = f"Missing required parameter: '{param}'."
    else:
        message = f"Invalid value for '{param}': {first['msg']}."
    detail = ErrorDetail(message=message, type="invalid_request_error", param=param)
    return error_response(request.app.state.settings.validation_error_status, detail)


def most_telling(errors: Sequence[Any]) -> Any:
    """The error to report. A field that may be a string or a list (`stop`, `prompt`, `input`,
    `content`) fails once per union member; "should be a valid string" hides the real problem
    (too many items, a bad part) when the value is a list, so prefer an error that is not a
    type mismatch with some member."""
    return next((error for error in errors if not error["type"].endswith("_type")), errors[0])


def server_error_detail() -> ErrorDetail:
    """What clients learn of an unexpected error: nothing internal."""
    return ErrorDetail(
        message="The server had an error while processing your request.", type="server_error"
    )


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    """Anything unexpected: a generic 500. RequestContextMiddleware answers it for every error
    raised inside it (so the answer has the request id and the traceback is logged); Starlette
    calls this only for an error in a middleware outside that one."""
    return error_response(500, server_error_detail())


ExceptionHandler = Callable[[Request, Any], Coroutine[Any, Any, Response]]

# Passed to FastAPI(exception_handlers=...); Exception also catches what escapes the others.
EXCEPTION_HANDLERS: dict[int | type[Exception], ExceptionHandler] = {
    OpenAIError: openai_error_handler,
    StarletteHTTPException: http_exception_handler,
    RequestValidationError: validation_error_handler,
    Exception: unhandled_error_handler,
}
