"""Environments: what a step runs in (Azure `environment.schema.json`, azure-compat.md §8.2).

A component or job names an environment by reference (`azureml:name:version`, `azureml:name@latest`,
a registry URI, a curated `AzureML-…` name, or `file:./env.yml`) or writes it inline.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, StrictStr, Tag, model_validator
from pydantic_core import PydanticCustomError

from cairn.spec.entities.asset import AssetBase
from cairn.spec.entities.base import LOWER, Entity, ref_or_inline


class BuildContext(Entity):
    path: StrictStr | None = None
    dockerfile_path: StrictStr | None = None


class Route(Entity):
    port: int
    path: StrictStr


class InferenceConfig(Entity):
    liveness_route: Route
    scoring_route: Route
    readiness_route: Route


class Environment(AssetBase):
    """An environment: a container image, a conda specification, or a build context."""

    image: StrictStr | None = None
    conda_file: StrictStr | dict[str, Any] | None = None
    build: BuildContext | None = None
    os_type: Annotated[Literal["linux", "windows"], LOWER] | None = None
    inference_config: InferenceConfig | None = None
    datastore: StrictStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _conda_keys_at_top(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("channels" in data or "dependencies" in data):
            raise ValueError(
                "`channels`/`dependencies` belong in a conda file; name it with `conda_file:`"
            )
        return data

    @model_validator(mode="after")
    def _image_or_build(self) -> Environment:
        if self.image and self.build:
            raise ValueError("`image` and `build` cannot be used together")
        return self


def _reference(value: str) -> str:
    # Azure's `EnvironmentField` takes a string only as an asset (`azureml:…`, including
    # registry URIs) or, through `file:`, as a file; a bare name or path is rejected.
    if value.startswith(("azureml:", "file:")):
        return value
    raise PydanticCustomError(
        "bad_reference",
        "environment `{value}` is neither `azureml:name:version`, `azureml:name@label`, a "
        "registry URI nor `file:path`",
        {"value": value},
    )


EnvironmentRef = Annotated[StrictStr, AfterValidator(_reference)]

EnvironmentValue = Annotated[
    Annotated[EnvironmentRef, Tag("<ref>")] | Annotated[Environment, Tag("<inline>")],
    Discriminator(ref_or_inline),
]
"""A reference to an environment, or an environment written inline."""
