"""`/api/v1/workspaces/{workspace}/{components|data|environments|models}`: versioned assets.

An environment's `show` adds its build (strategy, built, lock); `POST environments/prune`
removes built environments no step has used for a while."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query

from cairn.data.paths import confine
from cairn.server import views
from cairn.server.auth import Permission, require
from cairn.server.routes.deps import State, WorkspaceDep
from cairn.server.schemas import AssetCreate
from cairn.server.uploads import BlobStore
from cairn.store.records import AssetKind
from cairn.workspace import assets
from cairn.workspace.environments import build_state, prune_environments

if TYPE_CHECKING:
    from collections.abc import Callable

router = APIRouter(prefix="/workspaces/{name}", tags=["assets"])

KINDS: dict[str, AssetKind] = {
    "components": AssetKind.COMPONENT,
    "data": AssetKind.DATA,
    "environments": AssetKind.ENVIRONMENT,
    "models": AssetKind.MODEL,
}
CREATORS: dict[AssetKind, Callable[..., Any]] = {
    AssetKind.COMPONENT: assets.create_component,
    AssetKind.DATA: assets.create_data,
    AssetKind.ENVIRONMENT: assets.create_environment,
    AssetKind.MODEL: assets.create_model,
}
KindPath = Annotated[str, Path(pattern="^(components|data|environments|models)$")]


@router.post("/environments/prune", dependencies=[require(Permission.MANAGE)])
def prune_built_environments(
    workspace: WorkspaceDep, older_than_s: Annotated[float, Query(ge=0)]
) -> dict[str, Any]:
    return prune_environments(workspace, older_than_s)


@router.post("/{kind}", status_code=201, dependencies=[require(Permission.MANAGE)])
def create_asset(
    kind: KindPath, body: AssetCreate, server: State, workspace: WorkspaceDep
) -> dict[str, Any]:
    folder = BlobStore(server.settings.home.root).stage(body.files)
    created = CREATORS[KINDS[kind]](
        workspace,
        confine(folder, body.entry),
        name=body.name,
        version=body.version,
        overrides=body.set,
    )
    return views.asset_view(created)


@router.get("/{kind}", dependencies=[require(Permission.READ)])
def list_assets(
    kind: KindPath,
    workspace: WorkspaceDep,
    asset_name: Annotated[str | None, Query(alias="name")] = None,
    include_archived: bool = False,
) -> list[dict[str, Any]]:
    store = workspace.store
    if asset_name:
        found = store.assets.versions(
            workspace.name, KINDS[kind], asset_name, include_archived=include_archived
        )
    else:
        found = store.assets.list_latest(
            workspace.name, KINDS[kind], include_archived=include_archived
        )
    return [views.asset_view(a) for a in found]


@router.get("/{kind}/{asset_name}", dependencies=[require(Permission.READ)])
def show_asset(
    kind: KindPath,
    asset_name: str,
    workspace: WorkspaceDep,
    version: str | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    ref = f"{asset_name}:{version}" if version else f"{asset_name}@{label or 'latest'}"
    asset = workspace.store.assets.resolve(workspace.name, KINDS[kind], ref)
    view = views.asset_view(asset)
    if asset.produced_by_job_id is not None:  # lineage by name, as `job show` takes it
        producer = workspace.store.jobs.get(asset.produced_by_job_id)
        view["produced_by"] = {"job": producer.name, "output": asset.produced_by_output}
    if asset.kind is AssetKind.ENVIRONMENT:
        view.update(build_state(workspace, asset))
    return view


@router.post("/{kind}/{asset_name}/archive", dependencies=[require(Permission.MANAGE)])
def archive_asset(
    kind: KindPath, asset_name: str, workspace: WorkspaceDep, version: str | None = None
) -> list[dict[str, Any]]:
    changed = workspace.store.assets.set_archived(
        workspace.name, KINDS[kind], asset_name, True, version=version, actor=workspace.actor
    )
    return [views.asset_view(a) for a in changed]


@router.post("/{kind}/{asset_name}/restore", dependencies=[require(Permission.MANAGE)])
def restore_asset(
    kind: KindPath, asset_name: str, workspace: WorkspaceDep, version: str | None = None
) -> list[dict[str, Any]]:
    changed = workspace.store.assets.set_archived(
        workspace.name, KINDS[kind], asset_name, False, version=version, actor=workspace.actor
    )
    return [views.asset_view(a) for a in changed]
