"""OpenAI wire models shared by every endpoint: errors, models, usage.

Field names, types and nullability follow OpenAI's published OpenAPI description.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class RequestBody(BaseModel):
    """A request body. Unknown fields are accepted and kept: clients send new ones. `sent` is
    the body exactly as the client sent it (`read_json_body` keeps it), for a backend that
    forwards requests."""

    model_config = ConfigDict(extra="allow")

    _sent: bytes = PrivateAttr(default=b"")

    @property
    def sent(self) -> bytes:
        return self._sent


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorDetail


class Model(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Model]


def is_none(value: object) -> bool:
    """For `Field(exclude_if=is_none)`: an optional field the answer leaves out when unset."""
    return value is None


# A count a backend may report or not; unreported counts are left out of the answer.
OptionalCount = Annotated[int | None, Field(exclude_if=is_none)]


class PromptTokensDetails(BaseModel):
    audio_tokens: OptionalCount = None
    cached_tokens: OptionalCount = None
    text_tokens: OptionalCount = None
    image_tokens: OptionalCount = None
    cache_write_tokens: OptionalCount = None


class CompletionTokensDetails(BaseModel):
    accepted_prediction_tokens: OptionalCount = None
    audio_tokens: OptionalCount = None
    reasoning_tokens: OptionalCount = None
    text_tokens: OptionalCount = None
    rejected_prediction_tokens: OptionalCount = None


class Usage(BaseModel):
    """Token counts of an answer; the breakdowns are sent when the backend reports them."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: PromptTokensDetails | None = Field(default=None, exclude_if=is_none)
    completion_tokens_details: CompletionTokensDetails | None = Field(
        default=None, exclude_if=is_none
    )
