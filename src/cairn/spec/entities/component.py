"""Command components (Azure `commandComponent.schema.json`, azure-compat.md §3).

A component is a reusable step: its interface (inputs and outputs), its command, its code and
its environment. Loaded from a file of its own it must carry a valid `name`; written inline in a
job, or referenced from one by path, it is anonymous and Azure drops its `name` and `version`.
Azure keeps unknown top-level keys of a component; Cairn keeps them and warns.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, StrictStr, Tag

from cairn.spec.entities.base import (
    LOWER,
    OpenEntity,
    Tags,
    Version,
    ref_or_inline,
    schema_field,
)
from cairn.spec.entities.environment import EnvironmentValue
from cairn.spec.entities.io import ComponentOutput, InputPort
from cairn.spec.entities.runtime import Distribution, Resources

COMPONENT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
"""Azure's rule for the name of a registered component (`PythonFuncNameStr`)."""

RESERVED_PORT_NAMES = frozenset(
    {"path", "ld_library_path", "user", "logname", "home", "pwd", "shell"}
)


class ComponentBase(OpenEntity):
    """What every component kind has."""

    schema_: StrictStr | None = schema_field()
    name: StrictStr | None = None
    version: Version | None = None
    display_name: StrictStr | None = None
    description: StrictStr | None = None
    tags: Tags | None = None
    is_deterministic: bool = True
    inputs: dict[StrictStr, InputPort] = {}
    outputs: dict[StrictStr, ComponentOutput] = {}


class CommandComponent(ComponentBase):
    """A command component: `command` run in `environment` with `code` as its working folder."""

    type: Annotated[Literal["command"], LOWER] = "command"
    command: StrictStr
    environment: EnvironmentValue
    code: StrictStr | None = None
    resources: Resources | None = None
    distribution: Distribution | None = None
    properties: dict[StrictStr, Any] | None = None
    additional_includes: list[StrictStr] | None = None


ComponentValue = Annotated[
    Annotated[StrictStr, Tag("<ref>")] | Annotated[CommandComponent, Tag("<inline>")],
    Discriminator(ref_or_inline),
]
"""A command component by reference (file path, `azureml:` name, registry URI) or inline."""
