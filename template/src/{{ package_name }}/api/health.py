"""Probes for load balancers and orchestrators (no auth): GET /health is liveness (always
cheap), GET /health/ready is readiness (503 once shutdown began or a dependency is down)."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from ..core.errors import OpenAIError
from ..core.settings import ServiceSettings
from ..core.shutdown import Shutdown
from ..models.openai import ErrorResponse

logger = logging.getLogger(__name__)

router = APIRouter(tags=["health"])

# What a backend needs to serve (an upstream, a store): a coroutine that returns if it is
# reachable and raises if not. Register one in `app.state.readiness_checks` under a name.
ReadinessCheck = Callable[[], Awaitable[object]]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("/health")
async def health() -> Health:
    """Report that the service is up."""
    return Health()


@router.get("/health/ready", responses={503: {"model": ErrorResponse, "description": "Not ready"}})
async def ready(request: Request) -> Health:
    """Report whether the service takes requests: not once shutdown began, nor while a
    dependency it checks is unreachable."""
    shutdown: Shutdown = request.app.state.shutdown
    if shutdown.began:
        raise OpenAIError(503, "The server is shutting down.", code="shutting_down")
    checks: dict[str, ReadinessCheck] = request.app.state.readiness_checks
    if checks:
        settings: ServiceSettings = request.app.state.settings
        results = await asyncio.gather(
            *(failure(name, check, settings.readiness_timeout) for name, check in checks.items())
        )
        failed = [result for result in results if result is not None]
        if failed:
            raise OpenAIError(503, f"Not ready: {'; '.join(failed)}.", code="not_ready")
    return Health()


async def failure(name: str, check: ReadinessCheck, seconds: float) -> str | None:
    """What failed, in a few words (None: the check passed). An OpenAIError (an upstream that
    answered with an error) says its status and code, not its message: this route needs no
    key, and an upstream's message may quote the credentials it refused."""
    try:
        async with asyncio.timeout(seconds):
            await check()
    except OpenAIError as error:  # a failing check is an answer, not a server error
        code = f" {error.detail.code}" if error.detail.code else ""
        what = f"{name} failed ({error.status_code}{code})"
    except TimeoutError:
        what = f"{name} did not answer within {seconds:g} s"
    except Exception as error:
        what = f"{name} unreachable ({type(error).__name__})"
    else:
        return None
    logger.warning("Readiness check failed: %s", what)
    return what
