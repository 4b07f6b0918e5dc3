"""Cross-origin requests from browsers: off unless CORS_ALLOW_ORIGINS lists origins."""

from typing import Self

from fastapi import FastAPI
from pydantic import model_validator
from pydantic_settings import BaseSettings
from starlette.middleware.cors import CORSMiddleware

from ..core.settings import CommaList

# The answer headers a browser's script may read: what the openai SDK reads to retry, to
# pace itself and to report (CORS has no wildcard for a prefix such as x-ratelimit-*).
EXPOSED_HEADERS = [
    "x-request-id",
    "retry-after",
    "retry-after-ms",
    "openai-processing-ms",
    *(
        f"x-ratelimit-{what}-{kind}"
        for what in ("limit", "remaining", "reset")
        for kind in ("requests", "tokens")
    ),
]


class CorsSettings(BaseSettings):
    # Origins browsers may call the API from ("https://app.example.com", or "*" for any);
    # empty: no cross-origin access. Credentials (cookies) only for listed origins, never "*".
    cors_allow_origins: CommaList = []
    cors_allow_credentials: bool = False

    @model_validator(mode="after")
    def _no_credentials_for_every_origin(self) -> Self:
        if self.cors_allow_credentials and "*" in self.cors_allow_origins:
            raise ValueError(
                "CORS_ALLOW_CREDENTIALS=true needs the allowed origins listed: with "
                "CORS_ALLOW_ORIGINS=*, any website could call the API as its visitors."
            )
        return self


def add_cors(app: FastAPI, settings: CorsSettings) -> None:
    """Answer browsers' preflight requests and mark responses readable by the listed origins.

    Every method the API has is allowed (DELETE removes a stored response). Any request
    header is allowed (the openai SDK sends its own `x-stainless-*` ones). Cookies
    and other credentials only with CORS_ALLOW_CREDENTIALS, never for every origin ("*"): the
    settings refuse that combination.
    """
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
        )
