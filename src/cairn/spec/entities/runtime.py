"""Run settings shared by command components, command nodes and jobs: resources, distribution,
limits, queue settings, identity and interactive services.

Source: azure-ai-ml `_schema/job_resource_configuration.py`, `_schema/job/distribution.py`,
`_schema/job/job_limits.py`, `_schema/queue_settings.py`, `_schema/job/identity.py`,
`_schema/job/services.py` (azure-compat.md §2.1, §8.7).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StrictStr, Tag

from cairn.spec.entities.base import LOWER, Entity, OpenEntity, choose_by, tag_of


class Resources(OpenEntity):
    """`resources:` — how many instances of which size. Azure keeps unknown keys here."""

    instance_count: int | None = None
    instance_type: StrictStr | None = None
    properties: dict[StrictStr, Any] | None = None
    locations: list[StrictStr] | None = None
    shm_size: StrictStr | None = None
    max_instance_count: int | None = None
    docker_args: StrictStr | list[StrictStr] | None = None


class PyTorchDistribution(OpenEntity):
    type: Annotated[Literal["pytorch"], LOWER]
    process_count_per_instance: int | None = None


class TensorFlowDistribution(OpenEntity):
    type: Annotated[Literal["tensorflow"], LOWER]
    worker_count: int | None = None
    parameter_server_count: int | None = None


class MpiDistribution(OpenEntity):
    type: Annotated[Literal["mpi"], LOWER]
    process_count_per_instance: int | None = None


class RayDistribution(OpenEntity):
    type: Annotated[Literal["ray"], LOWER]
    port: int | None = None
    address: StrictStr | None = None
    include_dashboard: bool | None = None
    dashboard_port: int | None = None
    head_node_additional_args: StrictStr | None = None
    worker_node_additional_args: StrictStr | None = None


_DISTRIBUTION_TAGS = {t: f"<{t}>" for t in ("pytorch", "tensorflow", "mpi", "ray")}

Distribution = Annotated[
    Annotated[PyTorchDistribution, Tag("<pytorch>")]
    | Annotated[TensorFlowDistribution, Tag("<tensorflow>")]
    | Annotated[MpiDistribution, Tag("<mpi>")]
    | Annotated[RayDistribution, Tag("<ray>")],
    choose_by(
        "bad_distribution",
        "type",
        tuple(_DISTRIBUTION_TAGS),
        lambda v: tag_of(v, _DISTRIBUTION_TAGS),
    ),
]


class CommandLimits(Entity):
    """`limits:` of a command: `timeout` in seconds."""

    timeout: int | None = None


class QueueSettings(Entity):
    job_tier: Annotated[Literal["spot", "basic", "standard", "premium"], LOWER] | None = None
    priority: Annotated[Literal["low", "medium", "high"], LOWER] | None = None


class ManagedIdentity(Entity):
    type: Annotated[Literal["managed", "managed_identity"], LOWER]
    client_id: StrictStr | None = None
    object_id: StrictStr | None = None
    msi_resource_id: StrictStr | None = None


class TokenIdentity(Entity):
    type: Annotated[Literal["aml_token"], LOWER]


class UserIdentity(Entity):
    type: Annotated[Literal["user_identity"], LOWER]


_IDENTITY_TAGS = {
    "managed": "<managed>",
    "managed_identity": "<managed>",
    "aml_token": "<aml_token>",
    "user_identity": "<user_identity>",
}

Identity = Annotated[
    Annotated[ManagedIdentity, Tag("<managed>")]
    | Annotated[TokenIdentity, Tag("<aml_token>")]
    | Annotated[UserIdentity, Tag("<user_identity>")],
    choose_by("bad_identity", "type", tuple(_IDENTITY_TAGS), lambda v: tag_of(v, _IDENTITY_TAGS)),
]


class JobService(Entity):
    """An interactive service (`services:`); accepted and not run locally."""

    type: (
        Annotated[Literal["jupyter_lab", "ssh", "tensor_board", "vs_code", "custom"], LOWER] | None
    ) = None
    port: int | None = None
    nodes: Any = None
    properties: dict[StrictStr, Any] | None = None
    log_dir: StrictStr | None = None
    ssh_public_keys: StrictStr | None = None
