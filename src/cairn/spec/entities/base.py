"""The conventions every spec entity follows.

Entities are frozen pydantic models of Azure ML's YAML documents. Field names, types, defaults and
leniency follow Azure's SDK (azure-ai-ml 1.35.2, see ../shared/design/azure-compat.md):

- `Entity` rejects unknown keys, as Azure's marshmallow schemas do (`RAISE`);
- `OpenEntity` keeps them, as Azure does where its schema says `INCLUDE` (settings, nodes that
  use a component, component files); Cairn reports those keys as warnings instead of errors;
- enums that Azure lower-cases before comparing (`StringTransformedEnum`) accept any case;
- unions of document shapes are discriminated by a function that names a *tag*; tags are written
  `<like-this>` so that a validation error's location can tell them from YAML keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StrictStr,
)
from pydantic_core import PydanticCustomError


class Entity(BaseModel):
    """A frozen document part that rejects unknown keys."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        hide_input_in_errors=True,
        coerce_numbers_to_str=False,
    )

    @classmethod
    def known_keys(cls) -> list[str]:
        """The keys a YAML mapping may use for this entity (aliases where they exist)."""
        return [field.alias or name for name, field in cls.model_fields.items()]

    def extra_keys(self) -> dict[str, Any]:
        """Keys that were kept although the schema does not know them (only `OpenEntity`)."""
        return dict(self.__pydantic_extra__ or {})


class OpenEntity(Entity):
    """A document part where Azure keeps unknown keys; Cairn keeps them and warns."""

    model_config = ConfigDict(extra="allow")

    warn_unknown: ClassVar[bool] = True
    """Whether unknown keys are reported (W101); off where another check reports the part."""


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


LOWER = BeforeValidator(_lower)
"""For enums Azure compares after lower-casing (`StringTransformedEnum`)."""


def _version(value: Any) -> Any:
    # Azure turns numeric versions into strings (`convert_version_to_str`), so `version: 1` is "1".
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    return value


Version = Annotated[StrictStr, BeforeValidator(_version)]


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    raise PydanticCustomError("scalar_type", "expected a string, number or boolean")


Scalar = Annotated[str | int | float | bool, PlainValidator(_scalar)]
"""A literal value: string, integer, number or boolean, kept with its YAML type."""

Tags = dict[StrictStr, StrictStr | None]
Properties = dict[StrictStr, StrictStr | None]
AssetTags = dict[StrictStr, Scalar | None]
"""`tags:` of an asset or a schedule. Azure's schemas there leave the values untyped; Cairn takes
any scalar (the service stores strings) and rejects mappings and lists, which it cannot store."""


def ref_or_inline(value: Any) -> str:
    """Discriminator for "a reference string, or the thing written inline as a mapping"."""
    return "<inline>" if isinstance(value, dict | BaseModel) else "<ref>"


def as_mapping(value: Any) -> Any:
    """Discriminators also run when entities are serialised; they then see the entity itself.
    Give them the keys that were set (and `type`), as they would have seen in the YAML."""
    if not isinstance(value, BaseModel):
        return value
    shallow = {name: getattr(value, name) for name in value.model_fields_set}
    if hasattr(value, "type"):
        shallow["type"] = value.type
    shallow.update(value.__pydantic_extra__ or {})
    return shallow


def schema_field() -> Any:
    """The `$schema` key, which Azure keeps but never interprets."""
    return Field(default=None, alias="$schema")


UNION_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {}
"""For each custom union error type: the key that selects the shape, and its allowed values."""


def choose_by(
    error_type: str, key: str, choices: Sequence[str], selector: Callable[[Any], str | None]
) -> Discriminator:
    """A discriminator whose failure Cairn reports as a bad value of `key` with a hint."""
    UNION_CHOICES[error_type] = (key, tuple(choices))
    return Discriminator(
        lambda value: selector(as_mapping(value)),
        custom_error_type=error_type,
        custom_error_message=f"`{key}` must be one of: {', '.join(choices)}",
    )


def tag_of(
    value: Any, table: dict[str, str], *, key: str = "type", default: str | None = None
) -> str | None:
    """The discriminator tag for a mapping whose `key` selects its shape (case-insensitive)."""
    if not isinstance(value, dict):
        return None
    kind = value.get(key)
    if kind is None:
        return default
    if not isinstance(kind, str):
        return None
    return table.get(kind.lower())
