"""The entity model for each document kind."""

from __future__ import annotations

from pydantic import BaseModel

from cairn.errors import Unsupported
from cairn.spec import documents
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.pipeline import PipelineComponent, PipelineJob

_MODELS: dict[str, type[BaseModel]] = {
    documents.PIPELINE_JOB.name: PipelineJob,
    documents.COMMAND_COMPONENT.name: CommandComponent,
    documents.PIPELINE_COMPONENT.name: PipelineComponent,
    documents.ENVIRONMENT.name: Environment,
}


def model_for(kind: documents.Kind) -> type[BaseModel]:
    try:
        return _MODELS[kind.name]
    except KeyError:
        raise Unsupported(f"validating a {kind.label} is not supported yet") from None
