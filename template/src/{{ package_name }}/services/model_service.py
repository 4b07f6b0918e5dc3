"""The models this service serves, as listed by /v1/models and checked by every endpoint."""

from typing import Annotated

from fastapi import Depends, Request

from ..core.errors import ModelNotFoundError
from ..models.openai import Model, ModelList


class ModelService:
    """A fixed catalogue of model ids, read from settings at start-up."""

    def __init__(self, model_ids: list[str], owned_by: str, created: int) -> None:
        self._models = {
            model_id: Model(id=model_id, created=created, owned_by=owned_by)
            for model_id in model_ids
        }

    def list_models(self) -> ModelList:
        return ModelList(data=list(self._models.values()))

    def get_model(self, model_id: str) -> Model:
        """The model with this id; raises ModelNotFoundError (404) when there is none."""
        model = self._models.get(model_id)
        if model is None:
            raise ModelNotFoundError(model_id)
        return model


async def get_model_service(request: Request) -> ModelService:
    """The app's model service (a dependency; tests may override it)."""
    service: ModelService = request.app.state.model_service
    return service


ModelServiceDep = Annotated[ModelService, Depends(get_model_service)]
