"""The entity model for each document kind.

Most kinds have one model. Compute and datastore files are told apart by their `type` before
validation, as Azure's loaders do, so their model depends on the document.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from cairn.errors import Unsupported
from cairn.spec import documents
from cairn.spec.entities.command_job import CommandJob
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.compute import compute_model
from cairn.spec.entities.data import Data
from cairn.spec.entities.datastore import datastore_model
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.model import Model
from cairn.spec.entities.pipeline import PipelineComponent, PipelineJob
from cairn.spec.entities.schedule import Schedule
from cairn.spec.entities.sweep_job import SweepJob

_MODELS: dict[str, type[BaseModel]] = {
    documents.PIPELINE_JOB.name: PipelineJob,
    documents.COMMAND_JOB.name: CommandJob,
    documents.SWEEP_JOB.name: SweepJob,
    documents.COMMAND_COMPONENT.name: CommandComponent,
    documents.PIPELINE_COMPONENT.name: PipelineComponent,
    documents.DATA.name: Data,
    documents.ENVIRONMENT.name: Environment,
    documents.MODEL.name: Model,
    documents.SCHEDULE.name: Schedule,
}

_BY_TYPE = {
    documents.COMPUTE.name: compute_model,
    documents.DATASTORE.name: datastore_model,
}


def model_for(kind: documents.Kind, document: Any = None) -> type[BaseModel] | None:
    """The model that validates a document of `kind`. For compute and datastore files it is the
    one the document's `type` selects, or None when that is missing or unknown."""
    if kind.name in _BY_TYPE:
        return _BY_TYPE[kind.name](document)
    try:
        return _MODELS[kind.name]
    except KeyError:
        raise Unsupported(f"validating a {kind.label} is not supported yet") from None


def service_keys(model: type[BaseModel]) -> tuple[str, ...]:
    """Top-level keys the service fills in; Azure drops them from a file, Cairn warns (W101)."""
    keys = getattr(model, "SERVICE_KEYS", None)
    if isinstance(keys, tuple):
        return keys
    return ("id", "status", "creation_context", "log_files") if model is PipelineJob else ()
