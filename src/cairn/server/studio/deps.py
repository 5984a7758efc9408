"""Dependencies shared by the studio's routes: the workspace a page shows (`?ws=`, default the
server's), and the links that keep it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from starlette.responses import HTMLResponse

from cairn.server.auth import Principal, principal_of
from cairn.server.routes.deps import State
from cairn.server.studio.templating import render
from cairn.workspace.context import Workspace

WS_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


def studio_workspace(
    server: State,
    caller: Annotated[Principal, Depends(principal_of)],
    ws: Annotated[str | None, Query(pattern=WS_PATTERN)] = None,
) -> Workspace:
    return server.workspace(ws or server.settings.workspace, actor=caller.name)


StudioWorkspace = Annotated[Workspace, Depends(studio_workspace)]


def ws_params(workspace: Workspace, default: str) -> dict[str, Any]:
    """The query parameters that keep a link in the workspace shown (none for the default)."""
    return {} if workspace.name == default else {"ws": workspace.name}


def page(request: Request, workspace: Workspace, template: str, **context: Any) -> HTMLResponse:
    """Render a page of `workspace`, its links keeping the workspace."""
    default = request.app.state.cairn.settings.workspace
    return render(
        request, template, ws=workspace.name, wsq=ws_params(workspace, default), **context
    )
