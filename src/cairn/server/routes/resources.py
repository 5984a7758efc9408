"""`/api/v1/workspaces/{workspace}/computes` and `/datastores`: create, list, show, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cairn.data.paths import confine
from cairn.errors import UsageError
from cairn.server import views
from cairn.server.auth import Permission, require
from cairn.server.routes.deps import State, WorkspaceDep
from cairn.server.schemas import ComputeCreate, Manifest
from cairn.server.uploads import BlobStore
from cairn.workspace import resources

router = APIRouter(prefix="/workspaces/{name}", tags=["computes", "datastores"])


@router.post("/computes", status_code=201, dependencies=[require(Permission.MANAGE)])
def create_compute(body: ComputeCreate, server: State, workspace: WorkspaceDep) -> dict[str, Any]:
    file = None
    overrides: list[str] = []
    if body.manifest is not None:
        folder = BlobStore(server.settings.home.root).stage(body.manifest.files)
        file = confine(folder, body.manifest.entry)
        overrides = body.manifest.set
    elif not (body.name and body.type):
        raise UsageError("give a compute file, or a name and a type")
    created = resources.create_compute(
        workspace,
        file,
        name=body.name,
        type=body.type,
        max_instances=body.max_instances,
        overrides=overrides,
    )
    return views.compute_view(created)


@router.get("/computes", dependencies=[require(Permission.READ)])
def list_computes(workspace: WorkspaceDep) -> list[dict[str, Any]]:
    builtin = {
        "name": "local",
        "type": "local",
        "max_instances": resources.local_slots(),
        "spec": {},
        "builtin": True,
    }
    return [
        builtin,
        *(views.compute_view(c) for c in workspace.store.computes.list(workspace.name)),
    ]


@router.get("/computes/{compute_name}", dependencies=[require(Permission.READ)])
def show_compute(compute_name: str, workspace: WorkspaceDep) -> dict[str, Any]:
    if compute_name in ("local", "serverless"):
        return {
            "name": compute_name,
            "type": "local",
            "max_instances": resources.local_slots(),
            "spec": {},
            "builtin": True,
        }
    return views.compute_view(workspace.store.computes.get(workspace.name, compute_name))


@router.delete(
    "/computes/{compute_name}", status_code=204, dependencies=[require(Permission.MANAGE)]
)
def delete_compute(compute_name: str, workspace: WorkspaceDep) -> None:
    workspace.store.computes.delete(workspace.name, compute_name, actor=workspace.actor)


@router.post("/datastores", status_code=201, dependencies=[require(Permission.MANAGE)])
def create_datastore(body: Manifest, server: State, workspace: WorkspaceDep) -> dict[str, Any]:
    blobs = BlobStore(server.settings.home.root)
    folder = blobs.stage(body.files)
    try:
        created = resources.create_datastore(
            workspace, confine(folder, body.entry), overrides=body.set
        )
    finally:  # the document may hold an account key or SAS token: keep only the encrypted copy
        blobs.discard(folder, body.files, body.entry)
    return resources.datastore_view(workspace, created)


BUILTIN_DATASTORES = ("workspaceblobstore", "workspaceartifactstore")


def _builtin_datastore(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "local",
        "is_default": name == BUILTIN_DATASTORES[0],
        "builtin": True,
    }


@router.get("/datastores", dependencies=[require(Permission.READ)])
def list_datastores(workspace: WorkspaceDep) -> list[dict[str, Any]]:
    defaults = [_builtin_datastore(n) for n in BUILTIN_DATASTORES]
    registered = [
        {**resources.datastore_view(workspace, d), "builtin": False}
        for d in workspace.store.datastores.list(workspace.name)
    ]
    return defaults + registered


@router.get("/datastores/{datastore_name}", dependencies=[require(Permission.READ)])
def show_datastore(datastore_name: str, workspace: WorkspaceDep) -> dict[str, Any]:
    if datastore_name in BUILTIN_DATASTORES:
        return _builtin_datastore(datastore_name)
    return resources.datastore_view(
        workspace, workspace.store.datastores.get(workspace.name, datastore_name)
    )


@router.delete(
    "/datastores/{datastore_name}", status_code=204, dependencies=[require(Permission.MANAGE)]
)
def delete_datastore(datastore_name: str, workspace: WorkspaceDep) -> None:
    workspace.store.datastores.delete(workspace.name, datastore_name, actor=workspace.actor)
