"""Models (Azure `model.schema.json`, `ModelSchema`; azure-compat.md §8.3).

A registered model: a local file or folder (uploaded), a datastore URI, or a job's output
(`azureml://jobs/<job>/outputs/<output>/paths/<path>`), with its format (`type`). Azure lets
`path` be left out of the file; Cairn does too.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import StrictStr

from cairn.spec.entities.base import LOWER, AssetTags, Entity, Version, schema_field

MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")


class DeploymentTemplateReference(Entity):
    asset_id: StrictStr | None = None


class Model(Entity):
    """A model asset."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (
        "id",
        "utc_time_created",
        "creation_context",
        "job_name",
        "latest_version",
        "intellectual_property",
    )

    schema_: StrictStr | None = schema_field()
    name: StrictStr
    version: Version | None = None
    type: Annotated[Literal["custom_model", "mlflow_model", "triton_model"], LOWER] = "custom_model"
    path: StrictStr | None = None
    description: StrictStr | None = None
    tags: AssetTags | None = None
    properties: AssetTags | None = None
    stage: StrictStr | None = None
    flavors: dict[StrictStr, Any] | None = None
    datastore: StrictStr | None = None
    system_metadata: dict[StrictStr, Any] | None = None
    default_deployment_template: DeploymentTemplateReference | None = None
    allowed_deployment_templates: list[DeploymentTemplateReference] | None = None
    id: Any = None
    utc_time_created: Any = None
    creation_context: Any = None
    job_name: Any = None
    latest_version: Any = None
    intellectual_property: Any = None
