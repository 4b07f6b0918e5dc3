"""Routes (ROUTES_FILE): a public model name served by several deployments, tried in the
balancer's order, failing over before anything was sent to the client.

A request for a model no route names goes to UPSTREAM_BASE_URL as before. The file is read at
start-up (a wrong one stops it) and again when it changes (a wrong one is logged, and the
routes in force stay)."""

import json
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import anyio
from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from ...core.errors import OpenAIError
from ...core.shutdown import lifespan
from ...core.telemetry import note_upstream
from .balancer import Balancer, DeploymentState
from .routes_file import Deployment, Route, RoutesFileError, api_key, load_routes
from .upstream import Send, Upstream
from .upstream_errors import (
    FirstTokenTimeoutError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)

logger = logging.getLogger(__name__)
# The answer's header that names each attempt: `<deployment>=<outcome>`, comma-separated,
# the one that answered last (README: "Routing").
ATTEMPTS_HEADER = "x-upstream-attempts"
# Ids of responses created on a route's deployment that a worker remembers, to read them
# there later (the oldest go first).
ROUTED_RESPONSES = 10_000


class RoutesSettings(BaseSettings):
    # A YAML (or JSON) file of routes: public model names each served by several deployments,
    # with priorities, weights, failover and cooldowns; re-read when it changes.
    routes_file: Path | None = None
    # Bearer token of GET /admin/upstreams (each deployment's state); unset: no such route.
    admin_token: SecretStr | None = None


@dataclass
class ActiveDeployment:
    state: DeploymentState
    upstream: Upstream
    model: str  # the upstream's name for the model


class ActiveRoute:
    """A route in force: its deployments with their upstream clients and state."""

    def __init__(self, route: Route, deployments: list[ActiveDeployment]) -> None:
        self.route, self.deployments = route, deployments
        self.by_name = {deployment.state.name: deployment for deployment in deployments}
        states = [deployment.state for deployment in deployments]
        self.balancer = Balancer(states, route.cooldown.failures, route.cooldown.seconds)
        # Whether an answer's model must be shown under the route's name.
        self.renames = any(deployment.model != route.model for deployment in deployments)


class Router:
    """Where each request goes: the routes in force, with one pooled client per distinct
    deployment, and UPSTREAM_BASE_URL's upstream for other models. `async with router:` opens
    the clients (the app's lifespan does); a reload adds the clients of new deployments."""

    def __init__(self, default: Upstream, routes: RoutesSettings) -> None:
        self.default, self.settings = default, default.settings
        self.path = routes.routes_file
        self.routes: dict[str, ActiveRoute] = {}
        self.responses: OrderedDict[str, ActiveDeployment] = OrderedDict()
        self._clients: dict[tuple[object, ...], Upstream] = {}
        self._open = False
        self._version: tuple[int, int] | None = None
        if self.path is not None:
            self._version = file_version(self.path)
            self._use(self.path)

    async def __aenter__(self) -> Self:
        self._open = True
        for upstream in [self.default, *self._clients.values()]:
            upstream.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._open = False
        for upstream in [self.default, *self._clients.values()]:
            await upstream.__aexit__()

    def target(self, model: str) -> "Upstream | RouteCall":
        """Where a request for `model` goes: its route's deployments, or the default upstream."""
        route = self.route(model)
        return self.default if route is None else RouteCall(self, route)

    def continuing(self, model: str, response_id: str | None) -> "Upstream | RouteCall":
        """Where a request that continues `response_id` (`previous_response_id`) goes: the
        deployment that created it, else as `target`."""
        deployment = self.responses.get(response_id) if response_id else None
        route = self.route(model)
        if route is None or deployment is None or deployment not in route.deployments:
            return self.target(model)
        return RouteCall(self, route, pinned=deployment)

    def stored(self, response_id: str) -> Upstream:
        """The upstream that keeps a stored response: the deployment that created it, else the
        default upstream."""
        deployment = self.responses.get(response_id)
        return self.default if deployment is None else deployment.upstream

    def route(self, model: str) -> ActiveRoute | None:
        """The route of `model` (None: UPSTREAM_BASE_URL's)."""
        return self.current().get(model)

    def current(self) -> dict[str, ActiveRoute]:
        """The routes in force, the file read again if it changed."""
        if self.path is not None and file_version(self.path) != self._version:
            self._reload(self.path)
        return self.routes

    def remember(self, response_id: str, deployment: ActiveDeployment) -> None:
        """A response created on `deployment`: retrieving it later goes there."""
        self.responses[response_id] = deployment
        if len(self.responses) > ROUTED_RESPONSES:
            self.responses.popitem(last=False)

    def _reload(self, path: Path) -> None:
        self._version = file_version(path)
        try:
            self._use(path)
        except RoutesFileError as error:
            logger.error("%s\nThe previous routes stay in force.", error)
        else:
            logger.info("Routes file %s reloaded", path)

    def _use(self, path: Path) -> None:
        routes = {route.model: self._activate(route) for route in load_routes(path).routes}
        for model, route in routes.items():  # a deployment that stays keeps its state
            if (old := self.routes.get(model)) is not None:
                for name, deployment in route.by_name.items():
                    if (kept := old.by_name.get(name)) and kept.upstream is deployment.upstream:
                        kept.state.weight = deployment.state.weight
                        kept.state.priority = deployment.state.priority
                        deployment.state = kept.state
                route.balancer.deployments = [d.state for d in route.deployments]
        self.routes = routes

    def _activate(self, route: Route) -> ActiveRoute:
        deployments = [
            ActiveDeployment(
                DeploymentState(name, deployment.weight, deployment.priority),
                self._client(route, deployment),
                deployment.model or route.model,
            )
            for name, deployment in zip(route.deployment_names(), route.deployments, strict=True)
        ]
        return ActiveRoute(route, deployments)

    def _client(self, route: Route, deployment: Deployment) -> Upstream:
        """The pooled client of a deployment's URL, key and timeouts (shared by the routes
        that name the same)."""
        key = api_key(deployment.api_key_env) if deployment.api_key_env else None
        timeouts = route.timeouts
        identity = (str(deployment.url), key, timeouts.connect, timeouts.idle, timeouts.total)
        if (upstream := self._clients.get(identity)) is None:
            settings = self.settings.model_copy(
                update={
                    "upstream_base_url": deployment.url,
                    "upstream_api_key": None if key is None else SecretStr(key),
                    "upstream_connect_timeout": timeouts.connect,
                    "upstream_read_timeout": timeouts.idle,
                    "upstream_timeout": timeouts.total,
                }
            )
            upstream = self._clients[identity] = Upstream(settings)
            if self._open:
                upstream.open()
        return upstream


def file_version(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class RouteCall:
    """One request on a route: its deployments tried in turn. Serves the relays as an
    `Upstream` does (`attempt`), and names the attempts for the answer and the access log."""

    def __init__(
        self, router: Router, route: ActiveRoute, pinned: ActiveDeployment | None = None
    ) -> None:
        self.router, self.route = router, route
        self.pinned = pinned  # the deployment a stateful request must go to
        self.timeout = route.route.timeouts.total
        self.attempts: list[str] = []  # `<deployment>=<outcome>` of each
        self.answered: ActiveDeployment | None = None
        self._fields: dict[str, Any] | None = None  # the body, parsed once

    async def attempt[T](self, body: bytes | None, send: Send[T]) -> T:
        route = self.route.route
        now = anyio.current_time()
        if self.pinned is not None:
            order = [self.pinned]
        else:
            states = self.route.balancer.order(now, route.retries + 1)
            order = [self.route.by_name[state.name] for state in states]
        for number, deployment in enumerate(order, start=1):
            last = number == len(order)
            state = deployment.state
            state.in_flight += 1
            try:
                first_token = None if last else route.timeouts.first_token
                result = await send(
                    deployment.upstream, self.body_for(deployment, body), first_token
                )
            except OpenAIError as error:
                kind = failure(error)
                reason = "first_token" if isinstance(error, FirstTokenTimeoutError) else str(kind)
                self.attempts.append(f"{state.name}={reason}")
                if kind not in route.fail_over_on:
                    self._note(deployment, error)
                    raise
                now = anyio.current_time()
                self.route.balancer.failed(state, now, reason, retry_after(error))
                if last:
                    self._note(deployment, error)
                    raise
                continue
            finally:
                state.in_flight -= 1
            self.route.balancer.succeeded(state)
            self.attempts.append(f"{state.name}=ok")
            self.answered = deployment
            self._note(deployment, None)
            return result
        raise AssertionError("a route has a deployment to try")  # pragma: no cover

    def headers(self) -> dict[str, str]:
        return {ATTEMPTS_HEADER: ", ".join(self.attempts)}

    def created(self, response_id: str) -> None:
        if self.answered is not None:
            self.router.remember(response_id, self.answered)

    def body_for(self, deployment: ActiveDeployment, body: bytes | None) -> bytes | None:
        """The body with the deployment's model name (as it came when that is the same)."""
        if body is None or deployment.model == self.route.route.model:
            return body
        if self._fields is None:
            self._fields = json.loads(body)
        return json.dumps({**self._fields, "model": deployment.model}).encode()

    def _note(self, deployment: ActiveDeployment, error: OpenAIError | None) -> None:
        note_upstream(deployment.state.name, len(self.attempts))
        if error is not None:
            error.headers = {**(error.headers or {}), **self.headers()}


def failure(error: OpenAIError) -> str | int:
    """What kind of failure `error` is, as `fail_over_on` names it."""
    if isinstance(error, UpstreamTimeoutError):
        return "timeout"
    if isinstance(error, UpstreamUnreachableError | UpstreamBusyError):
        return "connect"
    return error.status_code


def retry_after(error: OpenAIError) -> float | None:
    """The seconds an upstream asked to wait (retry-after-ms, or retry-after in seconds)."""
    headers = error.headers or {}
    for name, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            return float(headers[name]) / scale
        except (KeyError, ValueError):
            continue
    return None


@asynccontextmanager
async def routed_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan (core/shutdown.py), with the router's upstream clients open while
    the app serves."""
    router: Router = app.state.router
    async with lifespan(app), router:
        yield
