"""What every asset document shares (Azure `AssetSchema`): name, version, description, tags,
the experimental `auto_delete_setting`, and the keys the service fills in (ignored in a file)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import StrictStr

from cairn.spec.entities.base import LOWER, AssetTags, Entity, Version, schema_field


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
