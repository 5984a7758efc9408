"""The frozen, serialisable plan of a pipeline job.

Steps are flat and keyed by their scoped id (`prep/clean`: node `clean` inside the pipeline
component used as node `prep`); `groups` keep the nesting for display. Every value is plain JSON
data so the plan can be stored with the job and read back by any later layer or process.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LiteralSource(Frozen):
    """A literal value (as written, before `str()` rendering), or None for an unset optional."""

    kind: Literal["literal"] = "literal"
    value: Scalar | None


class DataSource(Frozen):
    """Data read from a URI: a datastore path, an uploaded local folder, a registered asset."""

    kind: Literal["data"] = "data"
    type: str
    mode: str
    uri: str
    content_hash: str | None = None
    asset: str | None = None
    """`name:version` of the data or model asset, where the input named one."""
    origin: str | None = None
    """What the YAML said (a local path, an `azureml:` reference), for display."""


class StepOutputSource(Frozen):
    """An output of an earlier step of the same job."""

    kind: Literal["step_output"] = "step_output"
    step: str
    output: str
    type: str
    mode: str


InputSource = Annotated[LiteralSource | DataSource | StepOutputSource, Field(discriminator="kind")]


class OutputDest(Frozen):
    """Where an output is committed, and how the step sees it."""

    type: str
    mode: str
    uri: str
    """`azureml://datastores/<ds>/paths/<p>` with `${{name}}` and friends already resolved."""
    template: str
    """The path as configured, before `${{name}}` is resolved (part of the reuse key)."""
    register_as: str | None = None
    """`name` or `name:version` of a data/model asset to register the output as."""
    pipeline_output: str | None = None
    """The pipeline output this step output is bound to, if any."""


class Port(Frozen):
    """A component input as declared: what the launcher needs to render and check values."""

    type: str
    optional: bool = False
    default: Scalar | None = None


class ComponentInfo(Frozen):
    """Which component a step runs and what identifies it."""

    origin: Literal["inline", "file", "registered"]
    ref: str | None = None
    name: str | None = None
    version: str | None = None
    content_hash: str
    """Hash of the component's canonical form (Azure's anonymous-component identity)."""


class CodeInfo(Frozen):
    """The code snapshot a step runs in."""

    content_hash: str
    location: str
    """Where the snapshot is stored (a folder path or a datastore URI)."""
    files: int = 0
    bytes: int = 0


class EnvironmentInfo(Frozen):
    """What a step runs in, and how Cairn provides it."""

    identity: str
    """Hash of the environment's normalised specification (or the curated/registry name)."""
    strategy: Literal["inherit", "venv", "container"] = "inherit"
    ref: str | None = None
    spec: dict[str, Any] = {}
    note: str | None = None


class ReuseKey(Frozen):
    """A step's reuse key and the parts it hashes (kept so explanations can name what changed)."""

    key: str
    parts: dict[str, Any]


class SweepSpec(Frozen):
    """A sweep step: the trial is the step's component; these drive the trials."""

    search_space: dict[str, Any]
    sampling_algorithm: Any = "random"
    objective: dict[str, str]
    limits: dict[str, int | None]
    early_termination: dict[str, Any] | None = None


class PlanStep(Frozen):
    id: str
    name: str
    """The step's job name (parent name + `.` + id with `/` as `.`), unique in the workspace."""
    node: str
    display_name: str
    kind: Literal["command", "sweep"] = "command"
    component: ComponentInfo
    command: str
    ports: dict[str, Port] = {}
    inputs: dict[str, InputSource] = {}
    outputs: dict[str, OutputDest] = {}
    code: CodeInfo | None = None
    environment: EnvironmentInfo
    environment_variables: dict[str, str] = {}
    compute: str = "local"
    instance_count: int = 1
    distribution: dict[str, Any] | None = None
    timeout: int | None = None
    is_deterministic: bool = True
    depends_on: list[str] = []
    reuse: ReuseKey | None = None
    sweep: SweepSpec | None = None


class Group(Frozen):
    """A pipeline component used as a node: its display name and what it contains."""

    id: str
    display_name: str
    component: str
    children: list[str]


class JobSettings(Frozen):
    continue_on_step_failure: bool = True
    """Azure's documented default (azure-compat §1.1): independent steps go on after a failure."""
    force_rerun: bool = False
    default_datastore: str = "workspaceblobstore"
    default_compute: str | None = None


class Plan(Frozen):
    version: Literal[1] = 1
    job_name: str
    display_name: str
    experiment_name: str
    description: str | None = None
    tags: dict[str, str | None] = {}
    properties: dict[str, str | None] = {}
    settings: JobSettings = JobSettings()
    inputs: dict[str, InputSource] = {}
    outputs: dict[str, OutputDest] = {}
    steps: dict[str, PlanStep]
    """In dependency order: every step comes after the steps it depends on."""
    groups: dict[str, Group] = {}

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        return cls.model_validate(data)

    def dependents(self) -> dict[str, list[str]]:
        """For each step, the steps that consume its outputs."""
        out: dict[str, list[str]] = {step: [] for step in self.steps}
        for step in self.steps.values():
            for upstream in step.depends_on:
                out[upstream].append(step.id)
        return out
