"""The models the gateway exposes: the routes' public names (ROUTES_FILE); and, with
UPSTREAM_BASE_URL, MODELS or else the upstream's own list, fetched and kept for
MODELS_CACHE_SECONDS, and every alias of MODEL_ALIASES."""

import logging
import time
from typing import Annotated

import anyio
from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from ...core.errors import ModelNotFoundError, OpenAIError
from ...core.settings import CommaList, ServiceSettings
from ...models.openai import Model, ModelList
from .routing import Router
from .upstream import Upstream
from .upstream_errors import UpstreamBadResponseError, json_object

logger = logging.getLogger(__name__)


class CatalogueSettings(ServiceSettings):
    """The gateway's models (with the fixed fields every listed model has)."""

    # Model ids served by /v1 (ids may contain "/"); empty: the upstream's own list.
    models: CommaList = Field(default_factory=list)
    # Seconds the upstream's model list is kept before it is fetched again.
    models_cache_seconds: float = Field(default=60.0, ge=0)
    # Upstream models under other names: "public-name=upstream-name,...".
    model_aliases: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    @field_validator("model_aliases", mode="before")
    @classmethod
    def _split_aliases(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        aliases = {}
        for item in filter(None, (item.strip() for item in value.split(","))):
            public, equals, upstream = (part.strip() for part in item.partition("="))
            if not (public and equals and upstream):
                raise ValueError(f"expected 'public-name=upstream-name', got {item!r}")
            aliases[public] = upstream
        return aliases


class UpstreamModelService:
    """The gateway's model catalogue. A model it does not expose is refused (404) without a
    request to the upstream."""

    def __init__(
        self, upstream: Upstream | None, settings: CatalogueSettings, router: Router | None = None
    ) -> None:
        self.upstream, self.router = upstream, router
        self.aliases = settings.model_aliases
        self.owned_by = settings.model_owner
        self.created = settings.model_created
        self.cache_seconds = settings.models_cache_seconds
        self._configured = settings.models
        self._models: dict[str, Model] | None = None
        self._fetched_at = 0.0
        self._lock = anyio.Lock()
        self._fetches = 0  # fetches begun; a request that waited for one does not fetch again
        self._failure: OpenAIError | None = None  # why the last fetch failed
        if settings.models:
            self._models = self._with_aliases({}, settings.models)

    async def list_models(self) -> ModelList:
        routed = [self._model(model) for model in self.router.current()] if self.router else []
        names = {model.id for model in routed}
        listed = [model for model in (await self._catalogue()).values() if model.id not in names]
        return ModelList(data=routed + listed)

    async def get_model(self, model_id: str) -> Model:
        if self.router is not None and self.router.route(model_id) is not None:
            return self._model(model_id)
        model = (await self._catalogue()).get(model_id)
        if model is None:
            raise ModelNotFoundError(model_id)
        return model

    async def _catalogue(self) -> dict[str, Model]:
        if (upstream := self.upstream) is None:  # only routes: they are the whole list
            return {}
        if self._models is not None and (self._configured or not self._expired()):
            return self._models
        fetches = self._fetches
        async with self._lock:  # one fetch at a time: who waited for it takes its result
            if self._fetches == fetches:
                self._fetches += 1
                try:
                    await self._refresh(upstream)
                except OpenAIError as error:
                    self._failure = error
                    raise
                self._failure = None
            if self._models is None:
                raise self._failure or UpstreamBadResponseError(200, b"(no model list)")
            return self._models

    def _model(self, model_id: str) -> Model:
        return Model(id=model_id, created=self.created, owned_by=self.owned_by)

    def _expired(self) -> bool:
        return time.monotonic() - self._fetched_at >= self.cache_seconds

    async def _refresh(self, upstream: Upstream) -> None:
        try:
            response = await upstream.request("GET", "/models")
            listed = json_object(response).get("data")
            if not isinstance(listed, list):
                raise UpstreamBadResponseError(response.status_code, response.content)
            created = self.created
            models = {
                str(entry["id"]): Model(
                    id=str(entry["id"]),
                    created=entry["created"] if isinstance(entry.get("created"), int) else created,
                    owned_by=str(entry.get("owned_by") or self.owned_by),
                )
                for entry in listed
                if isinstance(entry, dict) and entry.get("id")
            }
        except OpenAIError:
            if self._models is None:
                raise
            logger.warning("Could not refresh the upstream's model list; keeping the last one")
            self._fetched_at = time.monotonic()
            return
        self._models = self._with_aliases(models, [])
        self._fetched_at = time.monotonic()

    def _with_aliases(self, upstream: dict[str, Model], model_ids: list[str]) -> dict[str, Model]:
        """The upstream's models, the configured ids, then each alias (described like the
        model it stands for, when the upstream listed that one)."""
        created = self.created
        models = dict(upstream)
        for model_id in model_ids:
            models[model_id] = Model(id=model_id, created=created, owned_by=self.owned_by)
        for public, target in self.aliases.items():
            base = models.get(target)
            models[public] = Model(
                id=public,
                created=base.created if base else created,
                owned_by=base.owned_by if base else self.owned_by,
            )
        return models
