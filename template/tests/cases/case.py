"""What the shared tests need to know of an endpoint, as data: one `EndpointCase` per endpoint,
each in a module of its own in this package (present when the endpoint is served)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import openai

MODEL = "mock-model"

Body = dict[str, Any]


@dataclass(frozen=True)
class Beyond:
    """A request just beyond a bound of `EndpointCase.bounds`: the error names `param` and
    the setting."""

    body: Body
    param: str
    setting: str


@dataclass(frozen=True)
class EndpointCase:
    name: str  # the endpoint as the `endpoints` answer names it
    method: Literal["GET", "POST"]
    path: str
    service: str  # the attribute of `app.state` that holds its backend
    body: Body | None  # the smallest request (None: a GET)
    # The same request through the official SDK, and what its answer must have (truthy).
    call_sdk: Callable[[openai.AsyncOpenAI], Awaitable[Any]]
    answer_of: Callable[[Any], object]
    # The answer's token counts (input, output) from its JSON; None: it counts none.
    usage: Callable[[Body], tuple[int, int]] | None = None
    # A request with this text as the user's, and the field of its output token limit.
    with_prompt: Callable[[str], Body] | None = None
    token_limit: str | None = None
    # How its stream is framed: `data:` chunks ending with [DONE], or typed Responses API
    # events ending with response.completed; None: it does not stream. And the SDK's stream.
    stream_shape: Literal["chunks", "events"] | None = None
    stream_sdk: Callable[[openai.AsyncOpenAI], Awaitable[AsyncIterator[Any]]] | None = None
    # What a client reads of one event of that stream (its text, or its type).
    stream_piece: Callable[[Any], str] | None = None
    # Its bounds as settings (low, for the tests), requests just beyond and at them.
    bounds: dict[str, int] = field(default_factory=dict)
    beyond: list[Beyond] = field(default_factory=list)
    at_bound: list[Body] = field(default_factory=list)
    # A valid body with the fields hostile-input tests mutate.
    hostile_seed: Body | None = None

    @property
    def stream_body(self) -> Body:
        """The smallest request, streamed."""
        assert self.body is not None and self.stream_shape is not None, self.name
        return {**self.body, "stream": True}

    def prompted(self, prompt: str, limit: int, *, stream: bool = False) -> Body:
        """A request with `prompt` and an output limit of `limit` tokens."""
        assert self.with_prompt is not None and self.token_limit is not None, self.name
        return {**self.with_prompt(prompt), self.token_limit: limit, "stream": stream}

    def __str__(self) -> str:  # the test ids' part
        return self.name
