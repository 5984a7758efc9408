"""Shared route dependencies: the server state, the workspace a path names, the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from cairn.server.auth import Principal, principal_of
from cairn.server.state import ServerState
from cairn.workspace.context import Workspace


def state(request: Request) -> ServerState:
    found: ServerState = request.app.state.cairn
    return found


State = Annotated[ServerState, Depends(state)]
WorkspaceName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def workspace(
    name: WorkspaceName, server: State, caller: Annotated[Principal, Depends(principal_of)]
) -> Workspace:
    return server.workspace(name, actor=caller.name)


WorkspaceDep = Annotated[Workspace, Depends(workspace)]
