"""The models this service serves, as listed by /v1/models and checked by every endpoint."""

from typing import Annotated, Protocol

from fastapi import Depends, Request

from ..core.errors import ModelNotFoundError
from ..models.openai import Model, ModelList


class ModelCatalogue(Protocol):
    """What the endpoints need to know about models (async: a catalogue may be remote)."""

    async def list_models(self) -> ModelList: ...

    async def get_model(self, model_id: str) -> Model:
        """The model with this id; raises ModelNotFoundError (404) when there is none."""
        ...


class ModelService:
    """A fixed catalogue of model ids, read from settings at start-up."""

    def __init__(self, model_ids: list[str], owned_by: str, created: int) -> None:
        self._models = {
            model_id: Model(id=model_id, created=created, owned_by=owned_by)
            for model_id in model_ids
        }

    async def list_models(self) -> ModelList:
        return ModelList(data=list(self._models.values()))

    async def get_model(self, model_id: str) -> Model:
        """The model with this id; raises ModelNotFoundError (404) when there is none."""
        model = self._models.get(model_id)
        if model is None:
            raise ModelNotFoundError(model_id)
        return model


async def get_model_service(request: Request) -> ModelCatalogue:
    """The app's model catalogue (a dependency; tests may override it)."""
    service: ModelCatalogue = request.app.state.model_service
    return service


ModelServiceDep = Annotated[ModelCatalogue, Depends(get_model_service)]
