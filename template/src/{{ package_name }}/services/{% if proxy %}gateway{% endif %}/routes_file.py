"""The routing file (ROUTES_FILE): public model names, each served by several deployments with
priorities, weights, failover and cooldowns. Reading and checking it, with messages that name
the file, the route and the field; and its JSON Schema, which `python -m
<package>.services.gateway.routes_file` prints (the project keeps it as routes.schema.json)."""

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import yaml
from dotenv import dotenv_values
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, ValidationError, model_validator

# Statuses a route may fail over on: the ones that say "try elsewhere or later". A client's
# own mistake (400, 401, 404, 413, 422, a too-long prompt) fails on every deployment alike.
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
FailureKind = Literal["connect", "timeout"]
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class RoutesModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deployment(RoutesModel):
    """One upstream server that serves the route's model."""

    url: AnyHttpUrl = Field(description="Its OpenAI-compatible base URL, e.g. http://host:8000/v1.")
    model: str | None = Field(
        default=None, min_length=1, description="Its name for the model (default: the route's)."
    )
    api_key_env: str | None = Field(
        default=None,
        pattern=ENV_NAME,
        description="The environment variable holding its API key (never the key itself).",
    )
    weight: float = Field(default=1, ge=0, description="Share within its priority; 0 drains it.")
    priority: int = Field(default=1, ge=0, description="Lower first; higher ones are fallbacks.")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="Its name in /admin/upstreams, metrics and logs (default: <route>#<n>).",
    )


class Timeouts(RoutesModel):
    """Seconds to connect, until the first token, between two reads, for a whole request."""

    connect: float = Field(default=5, gt=0)
    first_token: float = Field(default=10, gt=0)
    idle: float = Field(default=60, gt=0)
    total: float = Field(default=600, gt=0)


class Cooldown(RoutesModel):
    """A deployment that failed `failures` times in a row rests `seconds` (an upstream's
    retry-after wins when it sends one)."""

    failures: int = Field(default=3, ge=1)
    seconds: float = Field(default=30, ge=0)


FailOverOn = Annotated[list[FailureKind | int], Field(max_length=16)]


class Route(RoutesModel):
    """A public model name and the deployments that serve it."""

    model: str = Field(min_length=1, description="The model name clients send.")
    deployments: list[Deployment] = Field(min_length=1, max_length=64)
    fail_over_on: FailOverOn = Field(
        default=["connect", "timeout", 429, 500, 502, 503, 504],
        description="Failures that move to the next deployment (before any byte was sent).",
    )
    retries: int = Field(default=2, ge=0, le=10, description="Attempts after the first.")
    timeouts: Timeouts = Timeouts()
    cooldown: Cooldown = Cooldown()

    @model_validator(mode="after")
    def _check(self) -> Self:
        for status in self.fail_over_on:
            if isinstance(status, int) and status not in RETRYABLE_STATUSES:
                allowed = ", ".join(map(str, sorted(RETRYABLE_STATUSES)))
                raise ValueError(f"fail_over_on: {status} is not retried (only {allowed})")
        if all(deployment.weight == 0 for deployment in self.deployments):
            raise ValueError("every deployment has weight 0: nothing would serve the route")
        names = self.deployment_names()
        if len(set(names)) != len(names):
            raise ValueError("two deployments have the same name")
        return self

    def deployment_names(self) -> list[str]:
        return [
            deployment.name or f"{self.model}#{number}"
            for number, deployment in enumerate(self.deployments, start=1)
        ]


class RoutesFile(RoutesModel):
    routes: list[Route] = Field(max_length=1000)

    @model_validator(mode="after")
    def _check(self) -> Self:
        models = [route.model for route in self.routes]
        if duplicates := sorted({model for model in models if models.count(model) > 1}):
            raise ValueError(f"routes with the same model: {', '.join(duplicates)}")
        return self


class RoutesFileError(SystemExit):
    """A routing file that cannot be used; the message names the file, the route and the field.
    A SystemExit: at start-up, uncaught, it stops the server with this message."""


def load_routes(path: Path) -> RoutesFile:
    """Read and check the routing file at `path` (JSON if it ends with .json, else YAML); every
    `api_key_env` must be set (in the environment or `.env`)."""
    try:
        text = path.read_text()
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as error:
        raise RoutesFileError(f"Routes file {path}: cannot read it ({error.strerror}).") from None
    except (ValueError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0]
        raise RoutesFileError(f"Routes file {path}: not valid YAML or JSON: {first_line}") from None
    try:
        routes = RoutesFile.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(describe(data, problem) for problem in error.errors())
        raise RoutesFileError(f"Routes file {path}: {problems}") from None
    for number, route in enumerate(routes.routes):
        for index, deployment in enumerate(route.deployments):
            if deployment.api_key_env and api_key(deployment.api_key_env) is None:
                where = describe(data, {"loc": ("routes", number, "deployments", index), "msg": ""})
                raise RoutesFileError(
                    f"Routes file {path}: {where.removesuffix(': ')}.api_key_env: "
                    f"{deployment.api_key_env} is not set"
                )
    return routes


def api_key(variable: str) -> str | None:
    """A deployment's key: the environment variable, else its line in `.env`."""
    return os.environ.get(variable) or dotenv_values(".env").get(variable)


def describe(data: Any, problem: Any) -> str:
    """`route 2 ("chat"), field deployments[0].weight: <what is wrong>` for one error."""
    location: tuple[int | str, ...] = problem["loc"]
    where = ""
    if location[:1] == ("routes",) and len(location) > 1 and isinstance(location[1], int):
        number, location = location[1], location[2:]
        route = data["routes"][number]
        model = route.get("model") if isinstance(route, dict) else None
        where = f"route {number + 1}" + (
            f" ({json.dumps(model)})" if isinstance(model, str) else ""
        )
    field = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    if field:
        where += f"{', ' if where else ''}field {field.lstrip('.')}"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{where or 'the file'}: {message}"


def schema_json() -> str:
    """The JSON Schema of a routing file, as routes.schema.json holds it."""
    schema = RoutesFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Gateway routes"
    return json.dumps(schema, indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(schema_json())


def file_version(path: Path) -> tuple[int, int] | None:
    """What tells that the file changed: its modification time and size (None: unreadable)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
