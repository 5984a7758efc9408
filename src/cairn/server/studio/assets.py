"""Studio pages of assets (components, data, environments, models) and computes: versions,
what produced each version and what consumed it (with the lineage graph), and per compute the
slots in use and the steps waiting for one.

Must not: change anything.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from cairn.server.auth import Permission, require
from cairn.server.studio.deps import StudioWorkspace, page
from cairn.server.studio.lineage import lineage
from cairn.server.studio.templating import StudioRoute
from cairn.store.records import AssetKind
from cairn.store.status import ACTIVE_STATUSES, JobStatus
from cairn.workspace.resources import local_slots

router = APIRouter(route_class=StudioRoute, include_in_schema=False)
READ = [require(Permission.READ)]
KINDS = {
    "components": AssetKind.COMPONENT,
    "data": AssetKind.DATA,
    "environments": AssetKind.ENVIRONMENT,
    "models": AssetKind.MODEL,
}
Kind = Annotated[str, Path(pattern="^(components|data|environments|models)$")]


@router.get("/assets", dependencies=READ)
def assets_home(request: Request, workspace: StudioWorkspace) -> Response:
    return asset_list(request, "models", workspace)


@router.get("/assets/{kind}", dependencies=READ)
def asset_list(request: Request, kind: Kind, workspace: StudioWorkspace) -> Response:
    found = workspace.store.assets.list_latest(workspace.name, KINDS[kind], include_archived=True)
    return page(
        request,
        workspace,
        "assets.html",
        title="Assets",
        kind=kind,
        kinds=list(KINDS),
        assets=found,
    )


@router.get("/assets/{kind}/{name}", dependencies=READ)
def asset_versions(request: Request, kind: Kind, name: str, workspace: StudioWorkspace) -> Response:
    versions = workspace.store.assets.versions(workspace.name, KINDS[kind], name)
    return page(
        request,
        workspace,
        "asset_versions.html",
        title=name,
        kind=kind,
        name=name,
        versions=versions,
    )


@router.get("/assets/{kind}/{name}/{version}", dependencies=READ)
def asset_page(
    request: Request, kind: Kind, name: str, version: str, workspace: StudioWorkspace
) -> Response:
    asset = workspace.store.assets.get(workspace.name, KINDS[kind], name, version)
    graph = lineage(workspace.store, workspace.name, asset)
    spec = {k: v for k, v in dict(asset.spec).items() if not k.startswith("_")}
    return page(
        request,
        workspace,
        "asset.html",
        title=f"{name}:{version}",
        kind=kind,
        asset=asset,
        spec=spec,
        graph=graph,
    )


WAITING = frozenset({JobStatus.QUEUED})


@router.get("/computes", dependencies=READ)
def computes_page(request: Request, workspace: StudioWorkspace) -> Response:
    store = workspace.store
    computes = [("local", "local", local_slots())]
    computes += [(c.name, c.type, c.max_instances) for c in store.computes.list(workspace.name)]
    busy = store.jobs.list(
        workspace.name,
        status=ACTIVE_STATUSES | WAITING,
        include_children=True,
        limit=1000,
    ).items
    usage: dict[str, dict[str, list[str]]] = {
        name: {"busy": [], "queued": []} for name, *_ in computes
    }
    for job in busy:
        if job.parent_id is None and job.type == "pipeline":
            continue
        target = (job.compute or "local").removeprefix("azureml:")
        target = "local" if target == "serverless" else target
        slot = usage.setdefault(target, {"busy": [], "queued": []})
        slot["queued" if job.status in WAITING else "busy"].append(job.name)
    return page(
        request, workspace, "computes.html", title="Computes", computes=computes, usage=usage
    )
