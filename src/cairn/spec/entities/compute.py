"""Compute targets (Azure `_schema/compute/*`; azure-compat.md §8.4), and Cairn's own two.

Azure's kinds (`amlcompute`, `computeinstance`, `kubernetes`, `virtualmachine`, `synapsespark`)
are accepted as written; Cairn runs a job sent to any of them on this machine, `max_instances`
steps at a time. Cairn adds two kinds Azure does not have:

- `type: local` — this machine, with `max_instances` parallel step slots;
- `type: ray` — a Ray cluster at `address` (`ray://host:port`, a dashboard URL
  `http(s)://host:port`, `host:port`, or `auto` for the cluster this machine belongs to), with
  `max_instances` steps at a time.

Azure selects the schema by `type` (compared case-insensitively) before validating, so a file
of an unknown type fails on its `type` alone; `compute_model` does the same.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, StrictStr, Tag, ValidationInfo, field_validator

from cairn.spec.entities.base import LOWER, Entity, choose_by, schema_field, tag_of
from cairn.spec.entities.schedule import WeekDay

ComputeTags = dict[StrictStr, StrictStr]


class NetworkSettings(Entity):
    vnet_name: StrictStr | None = None
    subnet: StrictStr | None = None
    public_ip_address: Any = None
    private_ip_address: Any = None


class UserAssignedIdentity(Entity):
    resource_id: StrictStr | None = None
    principal_id: Any = None
    client_id: Any = None
    tenant_id: Any = None


class ComputeIdentity(Entity):
    """The identity a compute runs as (not a job's `identity`: these are ARM identity types)."""

    type: (
        Annotated[
            Literal["system_assigned", "user_assigned", "none", "system_assigned,user_assigned"],
            LOWER,
        ]
        | None
    ) = None
    user_assigned_identities: list[UserAssignedIdentity] | None = None
    principal_id: Any = None
    tenant_id: Any = None


class NamedCompute(Entity):
    """What every compute file has, Cairn's kinds included."""

    schema_: StrictStr | None = schema_field()
    name: StrictStr
    description: StrictStr | None = None
    tags: ComputeTags | None = None


class AzureCompute(NamedCompute):
    """What Azure's compute kinds share (`ComputeSchema`)."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (
        "id",
        "provisioning_errors",
        "created_on",
        "provisioning_state",
    )

    location: StrictStr | None = None
    resource_id: StrictStr | None = None
    id: Any = None
    provisioning_errors: Any = None
    created_on: Any = None
    provisioning_state: Any = None


class AmlComputeSshSettings(Entity):
    admin_username: StrictStr | None = None
    admin_password: StrictStr | None = None
    ssh_key_value: StrictStr | None = None


class AmlCompute(AzureCompute):
    """A compute cluster; locally, `max_instances` steps run at a time."""

    type: Annotated[Literal["amlcompute"], LOWER]
    size: StrictStr | None = None
    tier: Annotated[Literal["low_priority", "dedicated"], LOWER] | None = None
    min_instances: int | None = None
    max_instances: int | None = None
    idle_time_before_scale_down: int | None = None
    ssh_public_access_enabled: bool | None = None
    ssh_settings: AmlComputeSshSettings | None = None
    network_settings: NetworkSettings | None = None
    identity: ComputeIdentity | None = None
    enable_node_public_ip: bool | None = None

    @field_validator("max_instances")
    @classmethod
    def _not_below_min(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Azure's SDK leaves this to the service, which refuses it; say so before anything runs.
        low = info.data.get("min_instances")
        if value is not None and isinstance(low, int) and value < low:
            raise ValueError(f"`max_instances` ({value}) is below `min_instances` ({low})")
        return value


class ComputeCronTrigger(Entity):
    type: Annotated[Literal["cron"], LOWER]
    expression: StrictStr
    start_time: StrictStr | None = None
    time_zone: StrictStr | None = None


class ComputeRecurrencePattern(Entity):
    week_days: list[WeekDay] | None = None
    hours: list[int] | None = None
    minutes: list[int] | None = None


class ComputeRecurrenceTrigger(Entity):
    type: Annotated[Literal["recurrence"], LOWER]
    frequency: Annotated[Literal["minute", "hour", "day", "week", "month"], LOWER]
    interval: int | None = None
    schedule: ComputeRecurrencePattern | None = None
    start_time: StrictStr | None = None
    time_zone: StrictStr | None = None


_TRIGGER_TAGS = {"cron": "<cron>", "recurrence": "<recurrence>"}

ComputeTrigger = Annotated[
    Annotated[ComputeCronTrigger, Tag("<cron>")]
    | Annotated[ComputeRecurrenceTrigger, Tag("<recurrence>")],
    choose_by("bad_trigger", "type", tuple(_TRIGGER_TAGS), lambda v: tag_of(v, _TRIGGER_TAGS)),
]


class ComputeStartStop(Entity):
    trigger: ComputeTrigger | None = None
    action: Annotated[Literal["start", "stop"], LOWER]
    state: Annotated[Literal["enabled", "disabled"], LOWER] | None = None
    schedule_id: Any = None
    provisioning_state: Any = None


class ComputeSchedules(Entity):
    compute_start_stop: list[ComputeStartStop] | None = None


class ScriptReference(Entity):
    path: StrictStr | None = None
    command: StrictStr | None = None
    timeout_minutes: int | None = None


class SetupScripts(Entity):
    creation_script: ScriptReference | None = None
    startup_script: ScriptReference | None = None


class ImageSettings(Entity):
    reference: StrictStr | None = None


class Endpoint(Entity):
    target: int | None = None
    published: int | None = None


class BindMount(Entity):
    source: StrictStr | None = None
    target: StrictStr | None = None


class CustomApplication(Entity):
    name: StrictStr
    type: Annotated[Literal["docker"], LOWER] | None = None
    image: ImageSettings | None = None
    endpoints: list[Endpoint] | None = None
    environment_variables: dict[StrictStr, Any] | None = None
    bind_mounts: list[BindMount] | None = None


class CreateOnBehalfOf(Entity):
    user_tenant_id: StrictStr | None = None
    user_object_id: StrictStr | None = None


class ComputeInstanceSshSettings(Entity):
    ssh_key_value: StrictStr | None = None
    admin_username: Any = None
    ssh_port: Any = None


class ComputeInstance(AzureCompute):
    """A compute instance (a development machine); locally, one step at a time."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (
        *AzureCompute.SERVICE_KEYS,
        "state",
        "last_operation",
        "services",
        "os_image_metadata",
    )

    type: Annotated[Literal["computeinstance"], LOWER]
    size: StrictStr | None = None
    network_settings: NetworkSettings | None = None
    create_on_behalf_of: CreateOnBehalfOf | None = None
    ssh_settings: ComputeInstanceSshSettings | None = None
    ssh_public_access_enabled: bool | None = None
    schedules: ComputeSchedules | None = None
    identity: ComputeIdentity | None = None
    idle_time_before_shutdown: StrictStr | None = None
    idle_time_before_shutdown_minutes: int | None = None
    custom_applications: list[CustomApplication] | None = None
    setup_scripts: SetupScripts | None = None
    enable_node_public_ip: bool | None = None
    enable_sso: bool | None = None
    enable_root_access: bool | None = None
    release_quota_on_stop: bool | None = None
    enable_os_patching: bool | None = None
    state: Any = None
    last_operation: Any = None
    services: Any = None
    os_image_metadata: Any = None


class KubernetesCompute(AzureCompute):
    type: Annotated[Literal["kubernetes"], LOWER]
    # Azure marks `namespace` required, yet its loader fills in `default` when it is absent.
    namespace: StrictStr = "default"
    properties: dict[StrictStr, Any] | None = None
    identity: ComputeIdentity | None = None


class VirtualMachineSshSettings(Entity):
    admin_username: StrictStr | None = None
    admin_password: StrictStr | None = None
    ssh_port: int | None = None
    ssh_private_key_file: StrictStr | None = None


class VirtualMachineCompute(AzureCompute):
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (*AzureCompute.SERVICE_KEYS, "compute_location")

    type: Annotated[Literal["virtualmachine"], LOWER]
    resource_id: StrictStr
    ssh_settings: VirtualMachineSshSettings | None = None
    compute_location: Any = None


class SparkPoolSettings(Entity):
    """`scale_settings`/`auto_pause_settings`: every key is filled in by the service."""

    min_node_count: Any = None
    max_node_count: Any = None
    auto_scale_enabled: Any = None
    delay_in_minutes: Any = None
    auto_pause_enabled: Any = None


class SynapseSparkCompute(AzureCompute):
    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (
        *AzureCompute.SERVICE_KEYS,
        "node_family",
        "node_size",
        "node_count",
        "spark_version",
    )

    type: Annotated[Literal["synapsespark"], LOWER]
    resource_id: StrictStr
    identity: ComputeIdentity | None = None
    scale_settings: SparkPoolSettings | None = None
    auto_pause_settings: SparkPoolSettings | None = None
    node_family: Any = None
    node_size: Any = None
    node_count: Any = None
    spark_version: Any = None


class LocalCompute(NamedCompute):
    """Cairn: this machine, `max_instances` steps at a time (default: Cairn's own setting)."""

    type: Annotated[Literal["local"], LOWER]
    max_instances: Annotated[int, Field(ge=1)] | None = None


RAY_ADDRESS = re.compile(r"^(auto|(ray|http|https)://[^\s/:]+(:\d+)?/?|[^\s/:]+:\d+)$")
"""`auto`, `ray://host[:port]`, `http(s)://host[:port]` (the dashboard), or `host:port`."""


class RayCompute(NamedCompute):
    """Cairn: a Ray cluster at `address`, `max_instances` steps at a time."""

    type: Annotated[Literal["ray"], LOWER]
    address: StrictStr
    max_instances: Annotated[int, Field(ge=1)] | None = None

    @field_validator("address")
    @classmethod
    def _ray_address(cls, value: str) -> str:
        if not RAY_ADDRESS.match(value):
            raise ValueError(
                f"`{value}` is not a Ray cluster address: use `ray://host:10001`, "
                "`http://host:8265`, `host:port` or `auto`"
            )
        return value


AnyCompute = (
    AmlCompute
    | ComputeInstance
    | KubernetesCompute
    | VirtualMachineCompute
    | SynapseSparkCompute
    | LocalCompute
    | RayCompute
)

COMPUTE_MODELS: dict[str, type[AnyCompute]] = {
    "amlcompute": AmlCompute,
    "computeinstance": ComputeInstance,
    "kubernetes": KubernetesCompute,
    "virtualmachine": VirtualMachineCompute,
    "synapsespark": SynapseSparkCompute,
    "local": LocalCompute,
    "ray": RayCompute,
}
AZURE_COMPUTE_TYPES = (
    "amlcompute",
    "computeinstance",
    "kubernetes",
    "virtualmachine",
    "synapsespark",
)
COMPUTE_TYPES = tuple(COMPUTE_MODELS)


_COMPUTE_TAGS = {t: f"<{t}>" for t in COMPUTE_MODELS}

Compute = Annotated[
    Annotated[AmlCompute, Tag("<amlcompute>")]
    | Annotated[ComputeInstance, Tag("<computeinstance>")]
    | Annotated[KubernetesCompute, Tag("<kubernetes>")]
    | Annotated[VirtualMachineCompute, Tag("<virtualmachine>")]
    | Annotated[SynapseSparkCompute, Tag("<synapsespark>")]
    | Annotated[LocalCompute, Tag("<local>")]
    | Annotated[RayCompute, Tag("<ray>")],
    choose_by("bad_compute", "type", COMPUTE_TYPES, lambda v: tag_of(v, _COMPUTE_TAGS)),
]
"""Any compute, as a field of another document (a file of its own goes through `compute_model`)."""


def compute_model(document: Any) -> type[AnyCompute] | None:
    """The model for a compute document, chosen by its `type`; None when that is missing or
    unknown (the caller reports it)."""
    kind = document.get("type") if isinstance(document, dict) else None
    return COMPUTE_MODELS.get(kind.lower()) if isinstance(kind, str) else None
