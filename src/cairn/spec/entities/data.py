"""Data assets (Azure `data.schema.json`, `DataSchema`; azure-compat.md §8.1).

A data asset names a file, a folder or an MLTable folder (`path`: a local path that is uploaded,
a datastore URI, or a storage URL) so jobs can use it as `azureml:name:version`. `name` may be
left out of the file and given on the command line (`--name`), as with `az ml data create`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import StrictStr

from cairn.spec.entities.asset import AssetBase

DATA_TYPES = ("uri_file", "uri_folder", "mltable")


class Data(AssetBase):
    """A data asset."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (*AssetBase.SERVICE_KEYS, "properties")

    # Azure compares the type exactly (`OneOf`), so `URI_FILE` is an error, not `uri_file`.
    type: Literal["uri_file", "uri_folder", "mltable"] = "uri_folder"
    path: StrictStr
    datastore: StrictStr | None = None
    properties: Any = None
