"""Which kind of Azure ML document a YAML file is.

Azure's CLI knows from the command (`job create`, `component create`, …) and the document's
`type`; `$schema` settles the rest. Where neither is given, the keys do, in the order Azure's own
tools try them: a job with `command` and no `type` is a command job (`load_job` defaults to it);
an asset file is told by its datastore or compute `type`, its `$schema`, `trigger` with
`create_job` (a schedule), a data or model `type`, or an environment's `image`/`conda_file`/
`build`. Documents Cairn accepts but does not run map to the name of the feature (a string).
"""

from __future__ import annotations

import re
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
ASSET_KINDS = {k.name: k for k in (DATA, ENVIRONMENT, MODEL, COMPUTE, DATASTORE, SCHEDULE)}

_DATASTORE_TYPES = frozenset(
    {"azure_blob", "azure_file", "azure_data_lake_gen1", "azure_data_lake_gen2", "one_lake"}
)
_COMPUTE_TYPES = frozenset(
    {"amlcompute", "computeinstance", "virtualmachine", "kubernetes", "synapsespark", "ray"}
)
_DATASTORE_SCHEMA = re.compile(r"azureBlob|azureFile|azureDataLake|oneLake|datastore", re.I)
_ASSET_SCHEMAS = (
    ("data.schema", DATA),
    ("model.schema", MODEL),
    ("environment.schema", ENVIRONMENT),
)
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
        return COMMAND_JOB if kind is None and "command" in root else None
    if family is Family.COMPONENT:
        if kind in COMPONENT_TYPES:
            return COMPONENT_TYPES[kind]
        if kind in UNSUPPORTED_COMPONENT_TYPES:
            return UNSUPPORTED_COMPONENT_TYPES[kind]
        for hint, found in _SCHEMA_HINTS:
            if hint in schema and found.family is Family.COMPONENT:
                return found
        return COMMAND_COMPONENT if kind is None and "command" in root else None
    return detect_asset(root)


def detect_asset(root: dict[str, Any]) -> Kind | None:
    """The kind of an asset file (data, environment, model, compute, datastore, schedule)."""
    kind = type_of(root)
    schema = str(root.get("$schema", ""))
    if kind == "local":
        # Cairn's own `type: local` is a folder datastore (with `path`) or this machine.
        return DATASTORE if "path" in root else COMPUTE
    if kind in _DATASTORE_TYPES or _DATASTORE_SCHEMA.search(schema):
        return DATASTORE
    if kind in _COMPUTE_TYPES or "ompute" in schema:
        return COMPUTE
    if "schedule" in schema.lower() or ("trigger" in root and "create_job" in root):
        return SCHEDULE
    for hint, found in _ASSET_SCHEMAS:
        if hint in schema.lower():
            return found
    if kind in ("uri_file", "uri_folder", "mltable") and "path" in root:
        return DATA
    if kind in ("custom_model", "mlflow_model", "triton_model"):
        return MODEL
    if "image" in root or "conda_file" in root or "build" in root:
        return ENVIRONMENT
    return None
