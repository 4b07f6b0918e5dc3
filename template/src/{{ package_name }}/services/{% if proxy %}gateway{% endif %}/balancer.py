"""Which deployments of a route to try, in which order: the lowest priority group first,
weighted random within it, deployments in cooldown skipped. Plain state with the time passed
in (time.monotonic() in the gateway), so that it is tested without servers."""

import random
from collections import deque
from dataclasses import dataclass, field

# Failures a deployment keeps for /admin/upstreams, the latest last.
RECENT_FAILURES = 10
# Seconds an upstream's retry-after may rest a deployment at most.
MAX_RETRY_AFTER = 3600.0


@dataclass
class DeploymentState:
    """One deployment of a route, as the gateway sees it now."""

    name: str
    weight: float
    priority: int
    failures: int = 0  # in a row, since its last success or cooldown
    cooling_until: float = 0.0  # resting until then (the clock of `now`)
    in_flight: int = 0
    recent: deque[tuple[float, str]] = field(default_factory=lambda: deque(maxlen=RECENT_FAILURES))

    def cooling(self, now: float) -> bool:
        return self.cooling_until > now


class Balancer:
    """The deployments of one route and their cooldowns."""

    def __init__(
        self,
        deployments: list[DeploymentState],
        cooldown_failures: int,
        cooldown_seconds: float,
        chance: random.Random | None = None,
    ) -> None:
        self.deployments = deployments
        self.cooldown_failures, self.cooldown_seconds = cooldown_failures, cooldown_seconds
        self.chance = chance or random.Random()  # noqa: S311 (sharing load, not secrets)
        self.priorities = sorted({deployment.priority for deployment in deployments})

    def order(self, now: float, attempts: int) -> list[DeploymentState]:
        """At most `attempts` deployments to try in turn. Drained ones (weight 0) never; ones
        cooling down are skipped, unless all are: then the one that recovers first."""
        serving = [deployment for deployment in self.deployments if deployment.weight > 0]
        ready = [deployment for deployment in serving if not deployment.cooling(now)]
        if not ready:
            return [min(serving, key=lambda deployment: deployment.cooling_until)]
        ordered: list[DeploymentState] = []
        for priority in self.priorities:
            group = [deployment for deployment in ready if deployment.priority == priority]
            ordered += self.shuffled(group)
            if len(ordered) >= attempts:
                break
        return ordered[:attempts]

    def shuffled(self, group: list[DeploymentState]) -> list[DeploymentState]:
        """`group` in a weighted random order: each next one drawn in proportion to its
        weight among those left (a key of u ** (1 / weight) per deployment, highest first)."""
        if len(group) < 2:
            return group
        draw = self.chance.random
        return sorted(group, key=lambda deployment: draw() ** (1 / deployment.weight), reverse=True)

    def succeeded(self, deployment: DeploymentState) -> None:
        deployment.failures = 0

    def failed(
        self, deployment: DeploymentState, now: float, reason: str, retry_after: float | None
    ) -> bool:
        """A failure that fails over: counted, and the deployment rests `retry_after` seconds
        when the upstream said so, or the route's cooldown after enough in a row (True: it
        rests now)."""
        deployment.recent.append((now, reason))
        deployment.failures += 1
        if retry_after is not None:
            rest: float | None = min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        elif deployment.failures >= self.cooldown_failures:
            rest = self.cooldown_seconds
        else:
            rest = None
        if rest is None:
            return False
        deployment.cooling_until = max(deployment.cooling_until, now + rest)
        deployment.failures = 0
        return True
