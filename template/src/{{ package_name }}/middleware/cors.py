"""Cross-origin requests from browsers: off unless CORS_ALLOW_ORIGINS lists origins."""

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from ..core.config import Settings


def add_cors(app: FastAPI, settings: Settings) -> None:
    """Answer browsers' preflight requests and mark responses readable by the listed origins.

    Any request header is allowed (the openai SDK sends its own `x-stainless-*` ones). Cookies
    and other credentials only with CORS_ALLOW_CREDENTIALS, never for every origin ("*"): the
    settings refuse that combination.
    """
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_credentials=settings.cors_allow_credentials,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["x-request-id"],
        )
