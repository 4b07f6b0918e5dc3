"""Every way the upstream server can fail, as the OpenAI error the gateway answers with, and
what the gateway passes back to clients of the upstream's answers."""

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

from ...core.errors import OpenAIError

# Upstream response headers that clients act on, passed back to them.
PASSED_BACK_HEADERS = frozenset({"retry-after", "retry-after-ms", "openai-processing-ms"})
PASSED_BACK_PREFIX = "x-ratelimit-"
EXCERPT_LENGTH = 200
MAX_ERROR_LINES = 16  # of an error body framed as events: where its error event is looked for
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UpstreamAnswer:
    """An upstream answer with its body, read whole (within UPSTREAM_MAX_BODY_BYTES)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


class UpstreamUnreachableError(OpenAIError):
    def __init__(self, error: Exception) -> None:
        super().__init__(
            502,
            f"The upstream server could not be reached ({type(error).__name__}).",
            code="upstream_unreachable",
        )


class UpstreamTimeoutError(OpenAIError):
    def __init__(self) -> None:
        super().__init__(
            504,
            "The upstream server did not answer in time.",
            code="upstream_timeout",
        )


class FirstTokenTimeoutError(UpstreamTimeoutError):
    """A stream whose first event did not come within its route's `timeouts.first_token`."""


class UpstreamBadResponseError(OpenAIError):
    """The upstream answered with something that is not OpenAI's shape."""

    def __init__(self, status_code: int, body: bytes) -> None:
        excerpt = body[:EXCERPT_LENGTH].decode(errors="replace")
        super().__init__(
            502,
            f"The upstream server answered {status_code} with a body that is not OpenAI's "
            f"shape: {excerpt!r}.",
            code="upstream_bad_response",
        )


class UpstreamUndecodableError(OpenAIError):
    def __init__(self, error: Exception) -> None:
        super().__init__(
            502,
            f"The upstream server sent a body that cannot be decoded ({type(error).__name__}).",
            code="upstream_bad_response",
        )


class UpstreamRefusedError(OpenAIError):
    """A 4xx upstream answer whose body is not OpenAI's error shape (a proxy's HTML page)."""

    def __init__(self, status_code: int, body: bytes, headers: dict[str, str]) -> None:
        excerpt = body[:EXCERPT_LENGTH].decode(errors="replace")
        super().__init__(
            status_code,
            f"The upstream server refused the request ({status_code}): {excerpt!r}.",
            code="upstream_refused",
            headers=headers,
        )


class UpstreamAuthError(OpenAIError):
    def __init__(self, status_code: int) -> None:
        super().__init__(
            502,
            f"The upstream server refused the gateway's credentials ({status_code}); "
            "check UPSTREAM_API_KEY.",
            code="upstream_auth_failed",
        )


class UpstreamBusyError(OpenAIError):
    def __init__(self) -> None:
        super().__init__(
            503,
            "Every connection to the upstream server is in use; retry shortly.",
            code="upstream_busy",
        )


class UpstreamTooLargeError(OpenAIError):
    def __init__(self, what: str, setting: str) -> None:
        super().__init__(
            502,
            f"The upstream server sent {what} larger than {setting} allows.",
            code="upstream_too_large",
        )


class UpstreamStreamError(OpenAIError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            502,
            f"The upstream stream failed: {reason}.",
            code="upstream_stream_failed",
        )


def transport_error(error: httpx2.RequestError) -> OpenAIError:
    """A failed exchange with the upstream: 503 when no pooled connection was free in time,
    504 when the upstream timed out, 502 when it could not be reached or sent what cannot be
    decoded (a corrupt compressed body)."""
    if isinstance(error, httpx2.PoolTimeout):
        return UpstreamBusyError()
    if isinstance(error, httpx2.TimeoutException):
        return UpstreamTimeoutError()
    if isinstance(error, httpx2.TransportError):
        return UpstreamUnreachableError(error)
    return UpstreamUndecodableError(error)


def passed_back_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The upstream's rate-limit and timing headers, for the client. A value that is not
    printable ASCII is left out: it cannot be sent on as latin-1, and no client reads one."""
    return {
        name: value
        for name, value in ((name.lower(), value) for name, value in headers.items())
        if (name in PASSED_BACK_HEADERS or name.startswith(PASSED_BACK_PREFIX))
        and value.isascii()
        and value.isprintable()
    }


def upstream_error(response: UpstreamAnswer) -> OpenAIError:
    """An upstream error answer as the same error for the client: its status, its error
    (`error_detail`), its rate-limit headers. A body without one keeps a 4xx status (the
    client's request was refused) and is 502 otherwise. The upstream refusing the gateway's
    own key is 502: the client's key is not at fault, and the upstream's message may quote part
    of UPSTREAM_API_KEY."""
    status = response.status_code
    if status in (401, 403):
        logger.warning("The upstream refused the gateway's credentials (%d)", status)
        return UpstreamAuthError(status)
    detail = error_detail(response.content)
    if detail is None:
        if status < 500:
            return UpstreamRefusedError(
                status, response.content, passed_back_headers(response.headers)
            )
        return UpstreamBadResponseError(status, response.content)
    return OpenAIError(
        status,
        detail["message"],
        type=None if detail.get("type") is None else str(detail["type"]),
        param=None if detail.get("param") is None else str(detail["param"]),
        code=None if detail.get("code") is None else str(detail["code"]),
        headers=passed_back_headers(response.headers),
    )


def error_detail(content: bytes) -> dict[str, Any] | None:
    """The error in an upstream's error body: OpenAI's `{"error": {"message": ...}}` or the
    older `{"object": "error", "message": ...}` of some servers, as JSON or as the first events
    of a stream (`data: {...}`: servers that had begun a stream, such as LiteLLM)."""
    events = [line[5:] for line in content.splitlines()[:MAX_ERROR_LINES] if line[:5] == b"data:"]
    for candidate in (content, *events):
        try:
            body = json.loads(candidate)
        except ValueError:
            continue
        if not isinstance(body, dict):
            continue
        detail = body["error"] if isinstance(body.get("error"), dict) else body
        if isinstance(detail.get("message"), str):
            return detail
    return None


def json_object(response: UpstreamAnswer) -> dict[str, Any]:
    """The body of a successful upstream answer; 502 unless it is a JSON object."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise UpstreamBadResponseError(response.status_code, response.content)
    return body
