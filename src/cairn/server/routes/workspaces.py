"""`/api/v1/workspaces`: list, show, create."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from cairn.server.auth import Permission, require
from cairn.server.routes.deps import State, WorkspaceName
from cairn.server.schemas import WorkspaceCreate

router = APIRouter(prefix="/workspaces", tags=["workspaces"])


def _view(workspace: Any) -> dict[str, Any]:
    return {
        "name": workspace.name,
        "description": workspace.description,
        "created_at": workspace.created_at.isoformat(),
    }


@router.get("", dependencies=[require(Permission.READ)])
def list_workspaces(server: State) -> list[dict[str, Any]]:
    return [_view(w) for w in server.store.workspaces.list()]


@router.get("/{name}", dependencies=[require(Permission.READ)])
def show_workspace(name: WorkspaceName, server: State) -> dict[str, Any]:
    return _view(server.store.workspaces.get(name))


@router.post("", status_code=201, dependencies=[require(Permission.MANAGE)])
def create_workspace(body: WorkspaceCreate, server: State) -> dict[str, Any]:
    created = server.store.workspaces.create(body.name, description=body.description, actor="owner")
    return _view(created)
