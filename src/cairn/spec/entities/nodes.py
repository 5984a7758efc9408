"""The nodes of a pipeline's `jobs:` (azure-compat.md §2).

A node's `type` selects its shape: `command` with a `component` (Azure keeps unknown keys), an
inline command job (`command` without `component`; unknown keys are errors), `sweep`, `pipeline`
(a pipeline component), and the kinds Cairn accepts in the schema but does not run (`parallel`,
`automl`, `spark`, `data_transfer`, `import`, control flow). A node without `type` is a command.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, StrictStr, Tag

from cairn.spec.entities.base import (
    LOWER,
    Entity,
    OpenEntity,
    Properties,
    Tags,
    choose_by,
    schema_field,
)
from cairn.spec.entities.component import ComponentValue
from cairn.spec.entities.environment import EnvironmentValue
from cairn.spec.entities.io import InputValue, Output, OutputValue
from cairn.spec.entities.job import JobDistribution, JobResources
from cairn.spec.entities.runtime import (
    CommandLimits,
    Identity,
    JobService,
    QueueSettings,
)
from cairn.spec.entities.sweep import SweepSettings

UNSUPPORTED_NODE_TYPES = {
    "parallel": "parallel jobs (mini-batch processing)",
    "automl": "AutoML jobs",
    "spark": "Spark jobs",
    "data_transfer": "data transfer jobs",
    "import": "data import jobs",
    "do_while": "do_while control flow",
    "if_else": "if_else control flow",
    "parallel_for": "parallel_for control flow",
}
NODE_TYPES = ("command", "sweep", "pipeline", *UNSUPPORTED_NODE_TYPES)

EnvironmentVariables = dict[StrictStr, Any]


class NodeBase(OpenEntity):
    """What every component-based node has; Azure keeps unknown keys (`INCLUDE`)."""

    inputs: dict[StrictStr, InputValue] = {}
    outputs: dict[StrictStr, OutputValue | None] = {}
    properties: Properties | None = None
    comment: StrictStr | None = None
    display_name: StrictStr | None = None
    description: StrictStr | None = None
    tags: Tags | None = None
    name: StrictStr | None = None


class CommandNode(NodeBase):
    """A command step that uses a component (inline, a file, or a registered one)."""

    type: Annotated[Literal["command"], LOWER] = "command"
    component: ComponentValue
    compute: StrictStr | None = None
    environment: EnvironmentValue | None = None
    environment_variables: EnvironmentVariables | None = None
    resources: JobResources | None = None
    distribution: JobDistribution | None = None
    limits: CommandLimits | None = None
    queue_settings: QueueSettings | None = None
    services: dict[StrictStr, JobService] | None = None
    identity: Identity | None = None
    code: StrictStr | None = None
    command: StrictStr | None = None


class InlineCommandNode(Entity):
    """A command job written directly in `jobs:` (no component); unknown keys are errors."""

    schema_: StrictStr | None = schema_field()
    type: Annotated[Literal["command"], LOWER] = "command"
    command: StrictStr
    environment: EnvironmentValue
    code: StrictStr | None = None
    inputs: dict[StrictStr, InputValue] = {}
    outputs: dict[StrictStr, OutputValue | None] = {}
    compute: StrictStr | None = None
    environment_variables: EnvironmentVariables | None = None
    resources: JobResources | None = None
    distribution: JobDistribution | None = None
    limits: CommandLimits | None = None
    queue_settings: QueueSettings | None = None
    services: dict[StrictStr, JobService] | None = None
    identity: Identity | None = None
    name: StrictStr | None = None
    display_name: StrictStr | None = None
    description: StrictStr | None = None
    experiment_name: StrictStr | None = None
    tags: Tags | None = None
    properties: Properties | None = None
    parent_job_name: StrictStr | None = None


class SweepNode(NodeBase, SweepSettings):
    """A hyperparameter sweep over a trial component."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[Literal["sweep"], LOWER]
    trial: ComponentValue
    compute: StrictStr | None = None
    resources: JobResources | None = None
    queue_settings: QueueSettings | None = None


class PipelineNode(NodeBase):
    """A pipeline component used as one node."""

    type: Annotated[Literal["pipeline"], LOWER]
    component: StrictStr
    settings: dict[StrictStr, Any] | None = None


class UnsupportedNode(OpenEntity):
    """A node of a type Azure accepts and Cairn does not run; the checks report it."""

    warn_unknown: ClassVar[bool] = False

    type: StrictStr


_NODE_TAGS = {
    "command": "<command>",
    "sweep": "<sweep>",
    "pipeline": "<pipeline>",
    **dict.fromkeys(UNSUPPORTED_NODE_TYPES, "<unsupported>"),
}


def _node_tag(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    tag = tag_of_node(value)
    if tag == "<command>" and "component" not in value:
        return "<inline-command>"
    return tag


def tag_of_node(value: dict[str, Any]) -> str | None:
    kind = value.get("type", "command")
    if not isinstance(kind, str):
        return None
    return _NODE_TAGS.get(kind.lower())


Node = Annotated[
    Annotated[CommandNode, Tag("<command>")]
    | Annotated[InlineCommandNode, Tag("<inline-command>")]
    | Annotated[SweepNode, Tag("<sweep>")]
    | Annotated[PipelineNode, Tag("<pipeline>")]
    | Annotated[UnsupportedNode, Tag("<unsupported>")],
    choose_by("bad_node_type", "type", NODE_TYPES, _node_tag),
]

__all__ = [
    "NODE_TYPES",
    "UNSUPPORTED_NODE_TYPES",
    "CommandNode",
    "InlineCommandNode",
    "Node",
    "Output",
    "PipelineNode",
    "SweepNode",
    "UnsupportedNode",
]
