"""Reject request bodies over a size limit with 413 in OpenAI's error shape."""

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import error_response
from ..models.openai import ErrorDetail

STATUS = 413


class BodyTooLargeError(HTTPException):
    """Raised while the body is read; the app's HTTPException handler answers it."""

    def __init__(self, limit: int) -> None:
        super().__init__(STATUS, f"The request body is larger than {limit} bytes.")


class BodyLimitMiddleware:
    """Checks Content-Length up front, and counts the bytes of bodies sent without it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            error = BodyTooLargeError(self.max_bytes)
            detail = ErrorDetail(message=error.detail, type="invalid_request_error")
            await error_response(STATUS, detail)(scope, receive, send)
            return
        if declared is not None:
            # The server delivers no more than Content-Length bytes: nothing left to count.
            await self.app(scope, receive, send)
            return

        received = 0

        async def receive_with_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, receive_with_limit, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
