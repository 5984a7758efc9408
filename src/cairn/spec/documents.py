"""Which kind of Azure ML document a YAML file is.

Azure's CLI knows from the command (`job create`, `component create`, …) and the document's
`type`; `$schema` settles the rest. The kinds and their models live in `KINDS`; documents Cairn
accepts but does not run map to `None`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Family(StrEnum):
    JOB = "job"
    COMPONENT = "component"
    ASSET = "asset"


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    family: Family
    label: str


PIPELINE_JOB = Kind("pipeline_job", Family.JOB, "pipeline job")
COMMAND_JOB = Kind("command_job", Family.JOB, "command job")
SWEEP_JOB = Kind("sweep_job", Family.JOB, "sweep job")
COMMAND_COMPONENT = Kind("command_component", Family.COMPONENT, "command component")
PIPELINE_COMPONENT = Kind("pipeline_component", Family.COMPONENT, "pipeline component")
DATA = Kind("data", Family.ASSET, "data asset")
ENVIRONMENT = Kind("environment", Family.ASSET, "environment")
MODEL = Kind("model", Family.ASSET, "model")
COMPUTE = Kind("compute", Family.ASSET, "compute")
DATASTORE = Kind("datastore", Family.ASSET, "datastore")
SCHEDULE = Kind("schedule", Family.ASSET, "schedule")

JOB_TYPES = {"pipeline": PIPELINE_JOB, "command": COMMAND_JOB, "sweep": SWEEP_JOB}
UNSUPPORTED_JOB_TYPES = {
    "automl": "AutoML jobs",
    "spark": "Spark jobs",
    "parallel": "parallel jobs",
    "data_transfer": "data transfer jobs",
    "import": "import jobs",
}
COMPONENT_TYPES = {"command": COMMAND_COMPONENT, "pipeline": PIPELINE_COMPONENT}
UNSUPPORTED_COMPONENT_TYPES = {
    "spark": "Spark components",
    "parallel": "parallel components",
    "data_transfer": "data transfer components",
    "import": "import components",
    "flow": "prompt flow components",
}

_SCHEMA_HINTS = (
    ("pipelineJob", PIPELINE_JOB),
    ("commandJob", COMMAND_JOB),
    ("sweepJob", SWEEP_JOB),
    ("pipelineComponent", PIPELINE_COMPONENT),
    ("commandComponent", COMMAND_COMPONENT),
    ("data.schema", DATA),
    ("environment.schema", ENVIRONMENT),
    ("model.schema", MODEL),
    ("Compute", COMPUTE),
    ("compute", COMPUTE),
    ("Datastore", DATASTORE),
    ("chedule", SCHEDULE),
)


def type_of(root: Any) -> str | None:
    kind = root.get("type") if isinstance(root, dict) else None
    return kind.lower() if isinstance(kind, str) else None


def detect(root: Any, family: Family) -> Kind | str | None:
    """The kind of a document expected to be of `family`: a `Kind`, the name of an unsupported
    feature (a string), or None when it cannot be told."""
    if not isinstance(root, dict):
        return None
    kind = type_of(root)
    schema = str(root.get("$schema", ""))
    if family is Family.JOB:
        if kind in JOB_TYPES:
            return JOB_TYPES[kind]
        if kind in UNSUPPORTED_JOB_TYPES:
            return UNSUPPORTED_JOB_TYPES[kind]
        for hint, found in _SCHEMA_HINTS:
            if hint in schema and found.family is Family.JOB:
                return found
        return None
    if family is Family.COMPONENT:
        if kind in COMPONENT_TYPES:
            return COMPONENT_TYPES[kind]
        if kind in UNSUPPORTED_COMPONENT_TYPES:
            return UNSUPPORTED_COMPONENT_TYPES[kind]
        for hint, found in _SCHEMA_HINTS:
            if hint in schema and found.family is Family.COMPONENT:
                return found
        return COMMAND_COMPONENT if kind is None and "command" in root else None
    for hint, found in _SCHEMA_HINTS:
        if hint in schema:
            return found
    return None
