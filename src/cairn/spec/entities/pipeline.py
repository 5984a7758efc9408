"""Pipeline jobs and pipeline components (azure-compat.md §1, §3.3).

A pipeline job is the document `az ml job create --file pipeline.yml` takes: `jobs:` (or a
pipeline `component:`), pipeline-level `inputs`/`outputs`, `settings`, and job metadata. Unknown
top-level keys are errors, as in Azure; unknown `settings` keys are kept with a warning.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StrictStr

from cairn.spec.entities.base import (
    LOWER,
    Entity,
    OpenEntity,
    Properties,
    Tags,
    schema_field,
)
from cairn.spec.entities.component import ComponentBase
from cairn.spec.entities.io import InputValue, Output
from cairn.spec.entities.nodes import Node
from cairn.spec.entities.runtime import Identity, JobService


class PipelineSettings(OpenEntity):
    """`settings:`. Azure keeps keys it does not know (a typo here is silently ignored)."""

    default_compute: StrictStr | None = None
    default_datastore: StrictStr | None = None
    continue_on_step_failure: bool | None = None
    force_rerun: bool | None = None


class PipelineComponent(ComponentBase):
    """A pipeline used as a component: its own `inputs`, `outputs` and `jobs`."""

    type: Annotated[Literal["pipeline"], LOWER] = "pipeline"
    jobs: dict[StrictStr, Node]


class PipelineJob(Entity):
    """A pipeline job."""

    schema_: StrictStr | None = schema_field()
    type: Annotated[Literal["pipeline"], LOWER]
    name: StrictStr | None = None
    display_name: StrictStr | None = None
    description: StrictStr | None = None
    experiment_name: StrictStr | None = None
    tags: Tags | None = None
    properties: Properties | None = None
    compute: StrictStr | None = None
    identity: Identity | None = None
    inputs: dict[StrictStr, InputValue] = {}
    outputs: dict[StrictStr, Output | None] = {}
    settings: PipelineSettings = PipelineSettings()
    jobs: dict[StrictStr, Node] = {}
    component: StrictStr | None = None
    services: dict[StrictStr, JobService] | None = None
    # Output-only keys that Azure drops when they appear in a file (`trim_dump_only`).
    id: Any = None
    status: Any = None
    creation_context: Any = None
    log_files: Any = None

    @property
    def default_compute(self) -> str | None:
        """The compute a node without its own uses: the job's `compute`, then the setting."""
        return self.compute or self.settings.default_compute
