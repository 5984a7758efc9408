"""Data assets (Azure `data.schema.json`, `DataSchema`; azure-compat.md §8.1).

A data asset names a file, a folder or an MLTable folder (`path`: a local path that is uploaded,
a datastore URI, or a storage URL) so jobs can use it as `azureml:name:version`. `name` may be
left out of the file and given on the command line (`--name`), as with `az ml data create`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import StrictStr

from cairn.spec.entities.base import LOWER, AssetTags, Entity, Version, schema_field

DATA_TYPES = ("uri_file", "uri_folder", "mltable")


class AutoDeleteSetting(Entity):
    """When the service may delete the asset (an experimental Azure feature; kept, not acted on)."""

    condition: (
        Annotated[Literal["created_greater_than", "last_accessed_greater_than"], LOWER] | None
    ) = None
    value: StrictStr | None = None


class AssetBase(Entity):
    """What data assets and environments have (Azure `AssetSchema`)."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("creation_context", "latest_version")

    schema_: StrictStr | None = schema_field()
    name: StrictStr | None = None
    version: Version | None = None
    description: StrictStr | None = None
    tags: AssetTags | None = None
    id: StrictStr | None = None
    auto_delete_setting: AutoDeleteSetting | None = None
    creation_context: Any = None
    latest_version: Any = None


class Data(AssetBase):
    """A data asset."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (*AssetBase.SERVICE_KEYS, "properties")

    # Azure compares the type exactly (`OneOf`), so `URI_FILE` is an error, not `uri_file`.
    type: Literal["uri_file", "uri_folder", "mltable"] = "uri_folder"
    path: StrictStr
    datastore: StrictStr | None = None
    properties: Any = None
