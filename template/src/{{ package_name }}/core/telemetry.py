"""What the current request did, noted by the code that knows (the generating endpoints,
the stream writer, the gateway's relays) for whoever measures requests (the access log,
the metrics and rate limit middlewares).

The measuring middleware opens a record for each request; without one, noting is a no-op.
"""

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Literal, Protocol

StreamCut = Literal["client_disconnect", "shutdown"]


@dataclass(slots=True)
class RequestRecord:
    model: str | None = None  # set once the model is known to be served (a bounded value)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    stream_cut: StreamCut | None = None
    # The gateway's attempts on a route's deployments, in turn (the last one answered).
    upstream_attempts: list["UpstreamAttempt"] = field(default_factory=list)


_current: ContextVar[RequestRecord | None] = ContextVar("request_record", default=None)


class Recording:
    """`recording()`'s block. A class rather than a @contextmanager generator: each measuring
    middleware enters one per request, and a generator's machinery costs twice the rest."""

    __slots__ = ("_token",)
    _token: Token[RequestRecord | None] | None

    def __enter__(self) -> RequestRecord:
        if (outer := _current.get()) is not None:
            self._token = None
            return outer
        record = RequestRecord()
        self._token = _current.set(record)
        return record

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _current.reset(self._token)


def recording() -> Recording:
    """The record of the request handled inside the block (and the tasks it starts): a fresh
    one, or the one that a middleware further out (metrics, rate limits) already opened."""
    return Recording()


class TokenUsage(Protocol):
    @property
    def prompt_tokens(self) -> int: ...
    @property
    def completion_tokens(self) -> int: ...


def note_model(model: str) -> None:
    """The request's model, once it is known to be one the service serves."""
    if (record := _current.get()) is not None:
        record.model = model


def note_usage(usage: TokenUsage | None) -> None:
    if usage is not None:
        note_tokens(usage.prompt_tokens, usage.completion_tokens)


def note_tokens(prompt_tokens: int, completion_tokens: int) -> None:
    if (record := _current.get()) is not None:
        record.prompt_tokens += prompt_tokens
        record.completion_tokens += completion_tokens


@dataclass(frozen=True, slots=True)
class UpstreamAttempt:
    """One attempt of the gateway on a deployment of a route (its names are the routes
    file's: bounded)."""

    route: str
    deployment: str
    outcome: str  # "ok", "connect", "timeout", "first_token", or the upstream's status
    seconds: float  # to the answer's head (a stream's first token), or to the failure
    cooled_down: bool = False  # the failure made the deployment rest


def note_upstream(attempt: UpstreamAttempt) -> None:
    if (record := _current.get()) is not None:
        record.upstream_attempts.append(attempt)


def note_stream_cut(reason: StreamCut) -> None:
    if (record := _current.get()) is not None:
        record.stream_cut = reason


class StreamCharge:
    """Within `with StreamCharge(prompt_tokens) as charge:` a stream counts the tokens it sent
    (`charge.sent`); if it stops before its usage went out (`charge.ended`: cut by the client
    or a shutdown, or failed), the prompt and those tokens are noted, so that a client cannot
    stream for free under a token limit by closing early. A stream that ends notes its usage
    as any answer does."""

    def __init__(self, prompt_tokens: int) -> None:
        self.prompt_tokens = prompt_tokens
        self.sent = 0
        self.ended = False

    def __enter__(self) -> "StreamCharge":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.ended:
            note_tokens(self.prompt_tokens, self.sent)
