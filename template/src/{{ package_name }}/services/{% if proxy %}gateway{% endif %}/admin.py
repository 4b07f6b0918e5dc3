"""`GET /admin/upstreams`: each route's deployments and their state, for the operator who holds
ADMIN_TOKEN (the route does not exist without it)."""

import hmac
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, SecretStr

from ...core.errors import OpenAIError
from .routing import Router


class DeploymentReport(BaseModel):
    route: str
    deployment: str
    url: str
    model: str
    priority: int
    weight: float
    state: Literal["healthy", "cooling_down"]
    cooling_down_for: float  # seconds left (0: healthy)
    failures_in_a_row: int
    recent_failures: list[str]  # "<seconds ago>s <reason>", the latest last
    in_flight: int


class UpstreamsReport(BaseModel):
    object: Literal["list"] = "list"
    data: list[DeploymentReport]


admin_bearer = HTTPBearer(
    scheme_name="AdminToken", description="ADMIN_TOKEN, as `Authorization: Bearer <token>`."
)


def upstreams_report(router: Router) -> UpstreamsReport:
    now = time.monotonic()
    rows = []
    for model, route in router.current().items():
        for deployment in route.deployments:
            state = deployment.state
            left = max(state.cooling_until - now, 0.0)
            rows.append(
                DeploymentReport(
                    route=model,
                    deployment=state.name,
                    url=deployment.upstream.base_url,
                    model=deployment.model,
                    priority=state.priority,
                    weight=state.weight,
                    state="cooling_down" if left else "healthy",
                    cooling_down_for=round(left, 3),
                    failures_in_a_row=state.failures,
                    recent_failures=[f"{now - at:.1f}s {why}" for at, why in state.recent],
                    in_flight=state.in_flight,
                )
            )
    return UpstreamsReport(data=rows)


def add_admin(app: FastAPI, router: Router, token: SecretStr | None) -> None:
    """Serve /admin/upstreams to `Authorization: Bearer <token>` (nothing without a token)."""
    if token is None:
        return
    expected = token.get_secret_value().encode()

    def admin(
        credentials: Annotated[HTTPAuthorizationCredentials, Depends(admin_bearer)],
    ) -> None:
        if not hmac.compare_digest(credentials.credentials.encode(), expected):
            raise OpenAIError(401, "Incorrect admin token.", code="invalid_api_key")

    admin_routes = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(admin)])

    @admin_routes.get("/upstreams")
    async def list_upstreams() -> UpstreamsReport:
        """Each route's deployments: healthy or cooling down (and for how long), their recent
        failures and the requests in flight."""
        return upstreams_report(router)

    app.include_router(admin_routes)
