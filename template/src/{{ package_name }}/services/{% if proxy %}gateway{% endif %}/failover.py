"""One request on a route: its deployments tried in the balancer's order, failing over
before anything was sent to the client, on the failures the route names."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...core.errors import OpenAIError
from ...core.telemetry import UpstreamAttempt, note_upstream
from .balancer import Balancer, DeploymentState
from .routes_file import Route
from .upstream import Send, Upstream
from .upstream_errors import (
    FirstTokenTimeoutError,
    UpstreamBusyError,
    UpstreamTimeoutError,
    UpstreamUnreachableError,
)

# The answer's header that names each attempt: `<deployment>=<outcome>`, comma-separated,
# the one that answered last (README: "Routing").
ATTEMPTS_HEADER = "x-upstream-attempts"


@dataclass
class ActiveDeployment:
    state: DeploymentState
    upstream: Upstream
    model: str  # the upstream's name for the model
    route: str  # the public name of its route


class ActiveRoute:
    """A route in force: its deployments with their upstream clients and state."""

    def __init__(self, route: Route, deployments: list[ActiveDeployment]) -> None:
        self.route, self.deployments = route, deployments
        self.by_name = {deployment.state.name: deployment for deployment in deployments}
        states = [deployment.state for deployment in deployments]
        self.balancer = Balancer(states, route.cooldown.failures, route.cooldown.seconds)
        # Whether an answer's model must be shown under the route's name.
        self.renames = any(deployment.model != route.model for deployment in deployments)


class RouteCall:
    """One request on a route: its deployments tried in turn. Serves the relays as an
    `Upstream` does (`attempt`), and names the attempts for the answer and the access log."""

    def __init__(
        self,
        route: ActiveRoute,
        remember: Callable[[str, ActiveDeployment], None],
        pinned: ActiveDeployment | None = None,
    ) -> None:
        self.route, self.remember = route, remember
        self.pinned = pinned  # the deployment a stateful request must go to
        self.timeout = route.route.timeouts.total
        self.attempts: list[str] = []  # `<deployment>=<outcome>` of each
        self.answered: ActiveDeployment | None = None
        self._fields: dict[str, Any] | None = None  # the body, parsed once

    async def attempt[T](self, body: bytes | None, send: Send[T]) -> T:
        route = self.route.route
        now = time.monotonic()
        if self.pinned is not None:
            order = [self.pinned]
        else:
            states = self.route.balancer.order(now, route.retries + 1)
            order = [self.route.by_name[state.name] for state in states]
        for number, deployment in enumerate(order, start=1):
            last = number == len(order)
            state = deployment.state
            state.in_flight += 1
            started = time.monotonic()
            try:
                first_token = None if last else route.timeouts.first_token
                result = await send(
                    deployment.upstream, self.body_for(deployment, body), first_token
                )
            except OpenAIError as error:
                kind = failure(error)
                reason = "first_token" if isinstance(error, FirstTokenTimeoutError) else str(kind)
                fails_over = kind in route.fail_over_on
                now = time.monotonic()
                rests = fails_over and self.route.balancer.failed(
                    state, now, reason, retry_after(error)
                )
                self._note(deployment, reason, now - started, rests)
                if not fails_over or last:
                    error.headers = {**(error.headers or {}), **self.headers()}
                    raise
                continue
            finally:
                state.in_flight -= 1
            self.route.balancer.succeeded(state)
            self.answered = deployment
            self._note(deployment, "ok", time.monotonic() - started, False)
            return result
        raise AssertionError("a route has a deployment to try")  # pragma: no cover

    def headers(self) -> dict[str, str]:
        return {ATTEMPTS_HEADER: ", ".join(self.attempts)}

    def created(self, response_id: str) -> None:
        if self.answered is not None:
            self.remember(response_id, self.answered)

    def body_for(self, deployment: ActiveDeployment, body: bytes | None) -> bytes | None:
        """The body with the deployment's model name (as it came when that is the same)."""
        if body is None or deployment.model == self.route.route.model:
            return body
        if self._fields is None:
            self._fields = json.loads(body)
        return json.dumps({**self._fields, "model": deployment.model}).encode()

    def _note(
        self, deployment: ActiveDeployment, outcome: str, seconds: float, rests: bool
    ) -> None:
        """An attempt, for the answer's header, the access log and the metrics."""
        name = deployment.state.name
        self.attempts.append(f"{name}={outcome}")
        note_upstream(UpstreamAttempt(self.route.route.model, name, outcome, seconds, rests))


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
