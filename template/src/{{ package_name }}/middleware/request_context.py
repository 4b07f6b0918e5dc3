"""Request id and access log, as a pure ASGI middleware (streams pass through unbuffered)."""

import logging
import re
import time
from urllib.parse import quote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import error_response, server_error_detail
from ..core.telemetry import RequestRecord, recording
from ..utils.ids import random_hex

logger = logging.getLogger(__name__)

# The path is logged as a URL (percent-encoded like a client sends it): the server decoded it,
# and a decoded space or newline could fake a field or a whole line of the log.
PATH_SAFE_CHARACTERS = "/:@!$&'()*+,;=-._~"
REQUEST_ID_HEADER = b"x-request-id"
# A client-sent id is echoed only if it is short and harmless in logs and headers.
VALID_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")


class RequestContextMiddleware:
    """Gives each request an id (the client's `x-request-id` or a new one), returns it in
    the response headers, and logs one line per request: method, path, status, duration,
    and the prompt and completion tokens of an answer that has usage.

    It also answers unexpected errors (500 in OpenAI's shape, traceback logged): Starlette's
    own handler for them runs outside every middleware, so its 500 would lack the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = self._request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id.decode()
        status = 0  # set when the response starts
        started = time.perf_counter()

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        with recording() as record:
            try:
                await self.app(scope, receive, send_with_request_id)
            except Exception:
                logger.exception("Unexpected error", extra={"request_id": request_id.decode()})
                if status:  # too late for an answer: the server closes the connection
                    raise
                answer = error_response(500, server_error_detail())
                await answer(scope, receive, send_with_request_id)
            finally:
                if logger.isEnabledFor(logging.INFO):  # a level above INFO: no line to build
                    duration_ms = (time.perf_counter() - started) * 1000
                    self._log(scope, status, duration_ms, request_id.decode(), record)

    @staticmethod
    def _log(
        scope: Scope, status: int, duration_ms: float, request_id: str, record: RequestRecord
    ) -> None:
        message = "%s %s %d %.1fms id=%s"
        path = quote(scope["path"], safe=PATH_SAFE_CHARACTERS)
        args: list[object] = [scope["method"], path, status, duration_ms, request_id]
        extra: dict[str, object] = {"request_id": request_id, "status": status}
        if record.prompt_tokens or record.completion_tokens:
            tokens = {
                "prompt_tokens": record.prompt_tokens,
                "completion_tokens": record.completion_tokens,
            }
            message += " prompt_tokens=%d completion_tokens=%d"
            args += tokens.values()
            extra |= tokens
        if attempts := record.upstream_attempts:  # the gateway's, on a route
            upstream = {"upstream": attempts[-1].deployment, "attempts": len(attempts)}
            message += " upstream=%s attempts=%d"
            args += upstream.values()
            extra |= upstream
        logger.info(message, *args, extra=extra)

    @staticmethod
    def _request_id(scope: Scope) -> bytes:
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER and VALID_REQUEST_ID.fullmatch(value):
                return bytes(value)
        return random_hex().encode()
