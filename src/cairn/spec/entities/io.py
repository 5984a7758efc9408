"""Inputs and outputs: component ports and the values jobs bind to them.

Component ports (`inputs:`/`outputs:` of a component) declare a name, a type and rules; job
inputs and outputs (of a pipeline job or one of its nodes) give values: literals, data
references, or `${{...}}` bindings. Source: azure-ai-ml `_schema/component/input_output.py`
and `_schema/job/input_output_entry.py` (azure-compat.md §3.1, §5).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Discriminator, StrictBool, StrictStr, Tag, model_validator

from cairn.spec.entities.base import (
    LOWER,
    Entity,
    OpenEntity,
    Scalar,
    Version,
    choose_by,
    tag_of,
)

PARAMETER_TYPES = ("integer", "number", "boolean", "string")
DATA_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
PORT_TYPES = ("path", *DATA_TYPES)
PORT_MODES = (
    "mount",
    "download",
    "upload",
    "ro_mount",
    "rw_mount",
    "eval_mount",
    "eval_download",
    "direct",
    "link",
)
MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")

ParameterType = Literal["integer", "number", "boolean", "string"]
PortType = Literal[
    "path", "uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model"
]
PortMode = Literal[
    "mount",
    "download",
    "upload",
    "ro_mount",
    "rw_mount",
    "eval_mount",
    "eval_download",
    "direct",
    "link",
]


# --- component ports -------------------------------------------------------------------------


class ParameterPort(Entity):
    """A literal input of a component (`type: integer|number|boolean|string`)."""

    type: ParameterType
    optional: bool | None = None
    default: StrictStr | StrictBool | int | float | None = None
    description: StrictStr | None = None
    min: StrictStr | int | float | None = None
    max: StrictStr | int | float | None = None
    enum: list[StrictStr] | None = None

    @model_validator(mode="after")
    def _readable(self) -> ParameterPort:
        # Azure turns each port into an `Input`, which refuses what it cannot read.
        problem = parameter_port_problem(self)
        if problem is not None:
            raise ValueError(problem)
        return self


class DataPort(Entity):
    """A data input of a component (`type: uri_folder`, `mltable`, a model type, …)."""

    type: PortType
    optional: bool | None = None
    default: StrictStr | None = None
    mode: PortMode | None = None
    description: StrictStr | None = None

    @model_validator(mode="after")
    def _no_default(self) -> DataPort:
        # Azure: "Non-primitive type Input has no default value."
        if self.default is not None:
            raise ValueError(
                f"a `{self.type}` input cannot have a default; give the data in the job instead"
            )
        return self


def parameter_port_problem(port: ParameterPort) -> str | None:
    """Why Azure would refuse this literal port (`Input.__init__`), or None."""
    for key in ("min", "max"):
        bound = getattr(port, key)
        if bound is None:
            continue
        if port.type in ("string", "boolean"):
            return f"`{key}` applies only to `integer` and `number` inputs"
        if _as_float(bound) is None:
            return f"`{key}: {bound}` is not a number"
    if port.default is not None and not _default_fits(port.default, port.type):
        return f"default `{port.default}` cannot be read as {_A[port.type]}"
    return None


_A = {"integer": "an integer", "number": "a number", "boolean": "a boolean", "string": "a string"}


def _as_float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None


def _default_fits(value: object, kind: str) -> bool:
    # Mirrors Azure's parsing: integers go through float (`"7"` and `2.5` pass), booleans are
    # true/false in any case, and a non-finite float default is dropped by Azure, not refused.
    if kind == "string":
        return True
    if kind == "boolean":
        return isinstance(value, bool) or str(value).lower() in ("true", "false")
    if isinstance(value, bool):
        return True
    number = _as_float(value)
    if number is None:
        return False
    return kind == "number" or math.isfinite(number) or isinstance(value, float)


class OutputPort(Entity):
    """A data output of a component."""

    type: PortType
    mode: PortMode | None = None
    description: StrictStr | None = None


class PrimitiveOutputPort(OpenEntity):
    """A literal output of a component (`type: boolean`, …); Azure keeps unknown keys here."""

    type: ParameterType
    mode: PortMode | None = None
    description: StrictStr | None = None
    early_available: bool | None = None


def _port_tag(value: Any, parameter: str, data: str) -> str | None:
    # Port types are compared case-sensitively by Azure (`DumpableEnumField`).
    kind = value.get("type") if isinstance(value, dict) else None
    if kind in PARAMETER_TYPES:
        return parameter
    if kind in PORT_TYPES:
        return data
    return None


InputPort = Annotated[
    Annotated[ParameterPort, Tag("<parameter>")] | Annotated[DataPort, Tag("<data-port>")],
    choose_by(
        "bad_input_port",
        "type",
        (*PARAMETER_TYPES, *PORT_TYPES),
        lambda v: _port_tag(v, "<parameter>", "<data-port>"),
    ),
]
ComponentOutput = Annotated[
    Annotated[OutputPort, Tag("<output-port>")]
    | Annotated[PrimitiveOutputPort, Tag("<primitive-output>")],
    choose_by(
        "bad_output_port",
        "type",
        (*PORT_TYPES, *PARAMETER_TYPES),
        lambda v: _port_tag(v, "<primitive-output>", "<output-port>"),
    ),
]


# --- values jobs bind --------------------------------------------------------------------------


class DataInput(Entity):
    """A `uri_file`/`uri_folder` input value: a local path, a URI, an asset or a binding."""

    type: Annotated[Literal["uri_file", "uri_folder"], LOWER] = "uri_folder"
    path: StrictStr | None = None
    mode: Annotated[Literal["download", "ro_mount", "direct"], LOWER] | None = None
    path_on_compute: StrictStr | None = None
    datastore: StrictStr | None = None


class MLTableInput(Entity):
    """An `mltable` input value."""

    type: Annotated[Literal["mltable"], LOWER]
    path: StrictStr | None = None
    mode: (
        Annotated[Literal["download", "ro_mount", "eval_mount", "eval_download", "direct"], LOWER]
        | None
    ) = None
    path_on_compute: StrictStr | None = None
    datastore: StrictStr | None = None


class ModelInput(Entity):
    """A model input value (`custom_model`, `mlflow_model`, `triton_model`)."""

    type: Annotated[Literal["custom_model", "mlflow_model", "triton_model"], LOWER]
    path: StrictStr | None = None
    mode: Annotated[Literal["download", "ro_mount", "direct"], LOWER] | None = None
    datastore: StrictStr | None = None


class LiteralInput(Entity):
    """`{value: X}`: a literal written as a mapping."""

    value: Scalar


_INPUT_TAGS = {
    "uri_file": "<data>",
    "uri_folder": "<data>",
    "mltable": "<mltable>",
    **dict.fromkeys(MODEL_TYPES, "<model>"),
}


def _input_value_tag(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "<literal>"
    if "value" in value and "type" not in value:
        return "<value>"
    return tag_of(value, _INPUT_TAGS, default="<data>")


InputValue = Annotated[
    Annotated[Scalar, Tag("<literal>")]
    | Annotated[LiteralInput, Tag("<value>")]
    | Annotated[DataInput, Tag("<data>")]
    | Annotated[MLTableInput, Tag("<mltable>")]
    | Annotated[ModelInput, Tag("<model>")],
    choose_by(
        "bad_input_type",
        "type",
        ("uri_file", "uri_folder", "mltable", *MODEL_TYPES),
        _input_value_tag,
    ),
]
"""What a job gives an input: a literal, `{value: …}`, or a data/model reference."""


class Output(Entity):
    """An output setting of a job: type, mode, a custom path, and an asset to register it as."""

    type: (
        Annotated[
            Literal[
                "uri_file", "uri_folder", "custom_model", "mlflow_model", "mltable", "triton_model"
            ],
            LOWER,
        ]
        | None
    ) = None
    mode: Annotated[Literal["mount", "upload", "rw_mount", "direct"], LOWER] | None = None
    path: StrictStr | None = None
    name: StrictStr | None = None
    version: Version | None = None

    @model_validator(mode="after")
    def _version_needs_name(self) -> Output:
        # Azure: "Output name is required when output version is specified."
        if self.version is not None and self.name is None:
            raise ValueError("an output `version` needs a `name` to register the output under")
        return self


def _output_value_tag(value: Any) -> str:
    return "<binding>" if isinstance(value, str) else "<output>"


OutputValue = Annotated[
    Annotated[StrictStr, Tag("<binding>")] | Annotated[Output, Tag("<output>")],
    Discriminator(_output_value_tag),
]
"""What a node gives an output: `${{parent.outputs.X}}`, or output settings."""


def input_type_of(value: Any) -> str | None:
    """The data type an input value declares, or None for literals and bindings."""
    if isinstance(value, DataInput | MLTableInput | ModelInput):
        return value.type
    return None
