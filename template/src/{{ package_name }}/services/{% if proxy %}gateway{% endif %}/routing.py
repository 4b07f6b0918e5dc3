"""Routes (ROUTES_FILE): a public model name served by several deployments (failover.py tries
them in turn for a request).

A request for a model no route names goes to UPSTREAM_BASE_URL; without one, it gets 404
`model_not_found`. The file is read at start-up (a wrong one stops it) and again when it
changes (looked at once a second; a wrong one is logged, and the routes in force stay)."""

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol, Self

from fastapi import FastAPI
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from ...core.errors import ModelNotFoundError
from ...core.shutdown import lifespan
from .balancer import DeploymentState
from .failover import ActiveDeployment, ActiveRoute, RouteCall
from .routes_file import Deployment, Route, RoutesFileError, api_key, file_version, load_routes
from .upstream import Upstream, UpstreamSettings

logger = logging.getLogger(__name__)
# Ids of responses created on a route's deployment that a worker remembers, to read them
# there later (the oldest go first).
ROUTED_RESPONSES = 10_000


class RoutesSettings(BaseSettings):
    # A YAML (or JSON) file of routes: public model names each served by several deployments,
    # with priorities, weights, failover and cooldowns; re-read within a second of a change.
    routes_file: Path | None = None
    # Bearer token of GET /admin/upstreams (each deployment's state); unset: no such route.
    admin_token: SecretStr | None = None


class SharedHomes(Protocol):
    """Where every replica finds which deployment created a response (Redis): each as
    `<route>\n<deployment>`."""

    async def put(self, homes: list[tuple[str, str]]) -> None: ...

    async def get(self, response_id: str) -> str | None: ...


class Router:
    """Where each request goes: the routes in force, with one pooled client per distinct
    deployment, and UPSTREAM_BASE_URL's upstream (if set) for other models. `async with
    router:` opens the clients (the app's lifespan does); a reload adds the clients of new
    deployments."""

    def __init__(self, settings: UpstreamSettings, routes: RoutesSettings) -> None:
        self.settings = settings
        self.default = Upstream(settings) if settings.upstream_base_url is not None else None
        self.path = routes.routes_file
        if self.default is None and self.path is None:
            raise SystemExit(
                "Invalid settings: set UPSTREAM_BASE_URL (one upstream) or ROUTES_FILE "
                "(routes to several), or both: the gateway has nowhere to send requests."
            )
        self.routes: dict[str, ActiveRoute] = {}
        self.responses: OrderedDict[str, ActiveDeployment] = OrderedDict()
        # With REDIS_URL, where responses were created is shared by the replicas (`locate`).
        self.shared: SharedHomes | None = None
        self._unshared: deque[tuple[str, str]] = deque()  # appended from any thread
        self._sharing: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clients: dict[tuple[object, ...], Upstream] = {}
        self._open = False
        self._version: tuple[int, int] | None = None
        # Seconds between two looks at the file for a change (not one per request: a stat call).
        self.check_seconds = 1.0
        self._next_check = 0.0  # time.monotonic() of the next look
        if self.path is not None:
            self._version = file_version(self.path)
            self._use(self.path)

    async def __aenter__(self) -> Self:
        self._open, self._loop = True, asyncio.get_running_loop()
        for upstream in self.upstreams():
            upstream.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._open = False
        for upstream in self.upstreams():
            await upstream.__aexit__()

    def upstreams(self) -> list[Upstream]:
        default = [] if self.default is None else [self.default]
        return [*default, *self._clients.values()]

    def target(self, model: str) -> "Upstream | RouteCall":
        """Where a request for `model` goes: its route's deployments, or the default upstream
        (none: 404, as for a model nobody serves)."""
        route = self.route(model)
        if route is not None:
            return RouteCall(route, self.remember)
        if self.default is None:
            raise ModelNotFoundError(model)
        return self.default

    def home(self) -> Upstream:
        """Where requests that name no model go (conversations, a stored response this worker
        does not know): UPSTREAM_BASE_URL's upstream, else the first deployment of the routes
        file's first route."""
        if self.default is not None:
            return self.default
        first_route = next(iter(self.current().values()))
        return first_route.deployments[0].upstream

    def continuing(self, model: str, response_id: str | None) -> "Upstream | RouteCall":
        """Where a request that continues `response_id` (`previous_response_id`) goes: the
        deployment that created it (if the route still has it, a reload included), else as
        `target`."""
        created = self.responses.get(response_id) if response_id else None
        route = self.route(model)
        if route is None or created is None:
            return self.target(model)
        deployment = route.by_name.get(created.state.name)
        if deployment is None or deployment.upstream is not created.upstream:
            return RouteCall(route, self.remember)
        return RouteCall(route, self.remember, pinned=deployment)

    def stored(self, response_id: str) -> Upstream:
        """The upstream that keeps a stored response: the deployment that created it, else the
        home upstream."""
        deployment = self.responses.get(response_id)
        return self.home() if deployment is None else deployment.upstream

    def route(self, model: str) -> ActiveRoute | None:
        """The route of `model` (None: UPSTREAM_BASE_URL's)."""
        return self.current().get(model)

    def current(self) -> dict[str, ActiveRoute]:
        """The routes in force, the file read again if it changed (looked at once a second)."""
        if self.path is not None and (now := time.monotonic()) >= self._next_check:
            self._next_check = now + self.check_seconds
            if file_version(self.path) != self._version:
                self._reload(self.path)
        return self.routes

    def remember(self, response_id: str, deployment: ActiveDeployment) -> None:
        """A response created on `deployment`: retrieving it later goes there. Shared with
        the other replicas as the answer goes out (from any thread: a large answer is parsed
        in a worker thread)."""
        self._keep(response_id, deployment)
        if self.shared is not None and self._loop is not None:
            self._unshared.append((response_id, f"{deployment.route}\n{deployment.state.name}"))
            self._loop.call_soon_threadsafe(self._share)

    async def locate(self, response_id: str | None) -> None:
        """Learn where a response this worker does not know was created, if another replica
        shared it; `continuing` and `stored` then send it there."""
        if response_id is None or self.shared is None or response_id in self.responses:
            return
        if (home := await self.shared.get(response_id)) is None:
            return
        model, _, name = home.partition("\n")
        route = self.route(model)
        if route is not None and (deployment := route.by_name.get(name)) is not None:
            self._keep(response_id, deployment)

    def _keep(self, response_id: str, deployment: ActiveDeployment) -> None:
        self.responses[response_id] = deployment
        if len(self.responses) > ROUTED_RESPONSES:
            self.responses.popitem(last=False)

    def _share(self) -> None:
        if self.shared is None or not self._unshared:
            return
        homes = [self._unshared.popleft() for _ in range(len(self._unshared))]
        task = asyncio.create_task(self.shared.put(homes))
        self._sharing.add(task)  # kept until done: the loop holds tasks only weakly
        task.add_done_callback(self._sharing.discard)

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
        if not routes and self.default is None:
            raise RoutesFileError(
                f"Routes file {path}: routes: none, and no UPSTREAM_BASE_URL to serve requests"
            )
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
                route.model,
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


@asynccontextmanager
async def routed_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan (core/shutdown.py), with the router's upstream clients open while
    the app serves."""
    router: Router = app.state.router
    async with lifespan(app), router:
        yield
