"""Computes and datastores of a workspace, created from Azure's own YAML (or from flags).

Any Azure compute kind is accepted and runs on this machine with `max_instances` step slots
(default: the CPU count for `local`, Azure's default of 4 for `amlcompute`); Cairn's `ray` kind
names a Ray cluster. Datastore credentials are encrypted before they reach the store and never
come back out through `show`/`list`.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from cairn.data.datastore_config import datastore_from_record, parse_datastore
from cairn.errors import UsageError
from cairn.spec import documents
from cairn.spec.validate import validate_asset_file
from cairn.workspace.context import LOCAL_COMPUTES
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from cairn.store.records import Compute, Datastore
    from cairn.workspace.context import Workspace

COMPUTE_TYPES = ("local", "amlcompute", "computeinstance", "kubernetes", "virtualmachine", "ray")
_DEFAULT_SLOTS = {"amlcompute": 4}


def local_slots() -> int:
    """Slots of the built-in `local` compute: the CPUs this process may use."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def create_compute(
    workspace: Workspace,
    file: Path | None = None,
    *,
    name: str | None = None,
    type: str | None = None,
    max_instances: int | None = None,
    overrides: Sequence[str] = (),
) -> Compute:
    """`cairn compute create --file F` or `--name N --type T [--max-instances K]`."""
    spec: dict[str, Any] = {}
    if file is not None:
        report = validate_asset_file(file, overrides, kind=documents.COMPUTE)
        require_valid(report, "compute")
        assert report.entity is not None
        spec = report.entity.model_dump(mode="json", by_alias=True, exclude_none=True)
    name = name or spec.get("name")
    kind = (type or spec.get("type") or "").lower()
    if not name or not kind:
        raise UsageError("a compute needs a name and a type (--name, --type or --file)")
    if kind not in COMPUTE_TYPES and file is None:
        raise UsageError(f"--type {kind}: use one of {', '.join(COMPUTE_TYPES)}")
    if name in LOCAL_COMPUTES:
        raise UsageError(f"`{name}` is built in; give the compute another name")
    slots = max_instances if max_instances is not None else spec.get("max_instances")
    if slots is None:
        slots = _default_slots(kind)
    if slots < 1:
        # Azure may scale a cluster to nothing; a local compute without a slot would never run.
        raise UsageError(f"compute {name}: `max_instances` must be at least 1, not {slots}")
    spec.update({"name": name, "type": kind, "max_instances": slots})
    return workspace.store.computes.create(
        workspace.name, name, kind, max_instances=slots, spec=spec, actor=workspace.actor
    )


def _default_slots(kind: str) -> int:
    return local_slots() if kind == "local" else _DEFAULT_SLOTS.get(kind, 1)


def compute_slots(workspace: Workspace) -> dict[str, int]:
    """Step slots per compute name, the built-in `local` included."""
    slots = {"local": local_slots()}
    for compute in workspace.store.computes.list(workspace.name):
        slots[compute.name] = compute.max_instances
    return slots


def create_datastore(
    workspace: Workspace, file: Path, *, overrides: Sequence[str] = ()
) -> Datastore:
    """`cairn datastore create --file F`: secrets are encrypted before they are stored."""
    report = validate_asset_file(file, overrides, kind=documents.DATASTORE)
    require_valid(report, "datastore")
    assert report.entity is not None
    document = report.entity.model_dump(mode="json", by_alias=True, exclude_none=True)
    config = parse_datastore(document, base_dir=file.resolve().parent)
    record = config.to_record(workspace.box)
    credentials = record.pop("credentials", None)
    secret = json.dumps(credentials).encode() if credentials else None
    public = {k: v for k, v in record.items() if k not in ("name", "type") and v is not None}
    return workspace.store.datastores.create(
        workspace.name,
        config.name,
        config.type,
        spec=public,
        secret_blob=secret,
        actor=workspace.actor,
    )


def datastore_view(workspace: Workspace, datastore: Datastore) -> dict[str, Any]:
    """What `show`/`list` print: the public description, never a secret."""
    config = datastore_from_record(datastore_record(datastore), workspace.box)
    return {
        "name": datastore.name,
        "type": datastore.type,
        "is_default": datastore.is_default,
        **config.public_view(),
    }


def datastore_record(datastore: Datastore) -> dict[str, Any]:
    """The stored form of a datastore, as `datastore_from_record` reads it."""

    record: dict[str, Any] = {
        "name": datastore.name,
        "type": datastore.type,
        **dict(datastore.spec),
    }
    if datastore.secret_blob:
        record["credentials"] = json.loads(datastore.secret_blob)
    return record
