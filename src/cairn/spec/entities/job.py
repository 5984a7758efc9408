"""What standalone jobs share: job metadata (Azure `BaseJobSchema`) and the run settings of a
command (`ParameterizedCommandSchema`), in the strict form a job file uses.

In a job file, `resources` and `distribution` reject unknown keys (Azure nests them without
`INCLUDE` there); only a component keeps unknown keys in them. So the job forms here are strict
subclasses of the lenient ones in `runtime.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import ConfigDict, StrictStr, Tag

from cairn.spec.entities.base import Entity, Properties, Tags, choose_by, schema_field, tag_of
from cairn.spec.entities.environment import EnvironmentValue
from cairn.spec.entities.runtime import (
    Identity,
    JobService,
    MpiDistribution,
    PyTorchDistribution,
    QueueSettings,
    RayDistribution,
    Resources,
    TensorFlowDistribution,
)

_STRICT = ConfigDict(extra="forbid")


class JobResources(Resources):
    """`resources:` of a job; unknown keys are errors here."""

    model_config = _STRICT


class JobPyTorch(PyTorchDistribution):
    model_config = _STRICT


class JobTensorFlow(TensorFlowDistribution):
    model_config = _STRICT


class JobMpi(MpiDistribution):
    model_config = _STRICT


class JobRay(RayDistribution):
    model_config = _STRICT


_DISTRIBUTION_TAGS = {t: f"<{t}>" for t in ("pytorch", "tensorflow", "mpi", "ray")}

JobDistribution = Annotated[
    Annotated[JobPyTorch, Tag("<pytorch>")]
    | Annotated[JobTensorFlow, Tag("<tensorflow>")]
    | Annotated[JobMpi, Tag("<mpi>")]
    | Annotated[JobRay, Tag("<ray>")],
    choose_by(
        "bad_distribution",
        "type",
        tuple(_DISTRIBUTION_TAGS),
        lambda v: tag_of(v, _DISTRIBUTION_TAGS),
    ),
]
"""`distribution:` of a job; unknown keys are errors here."""

EnvironmentVariables = dict[StrictStr, Any]


class JobBase(Entity):
    """Metadata every standalone job has, and the keys the service fills in."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = ("id", "status", "creation_context", "log_files")
    """Output-only keys that Azure drops when they appear in a file (`trim_dump_only`)."""

    schema_: StrictStr | None = schema_field()
    name: StrictStr | None = None
    display_name: StrictStr | None = None
    description: StrictStr | None = None
    experiment_name: StrictStr | None = None
    tags: Tags | None = None
    properties: Properties | None = None
    compute: StrictStr | None = None
    identity: Identity | None = None
    services: dict[StrictStr, JobService] | None = None
    id: Any = None
    status: Any = None
    creation_context: Any = None
    log_files: Any = None


class RunSettings(Entity):
    """How a command runs, apart from the command itself."""

    environment_variables: EnvironmentVariables | None = None
    resources: JobResources | None = None
    distribution: JobDistribution | None = None
    queue_settings: QueueSettings | None = None


class CommandTrial(RunSettings):
    """A command with its code and environment: a command job's body, or a sweep's `trial`."""

    schema_: StrictStr | None = schema_field()
    command: StrictStr
    code: StrictStr | None = None
    environment: EnvironmentValue
