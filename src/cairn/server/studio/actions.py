"""Studio actions that change a job: cancel and rerun.

Each is the API call of the same name, made on the caller's behalf inside the server once the
studio route has admitted the caller with the permission that call requires (`submit`) and the
session's CSRF and origin checks have passed; so the studio does exactly what `cairn job cancel`
and `cairn job rerun` do, and nothing the API would refuse.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from cairn.server.auth import Permission, require
from cairn.server.studio.deps import StudioWorkspace

router = APIRouter(include_in_schema=False)
SUBMIT = [require(Permission.SUBMIT)]
API = "/api/v1"
_NO_ROUTE = ("Not Found", "Method Not Allowed")


async def _call_api(request: Request, workspace: str, name: str, verb: str) -> JSONResponse:
    token = request.app.state.cairn.settings.token
    path = f"{API}/workspaces/{quote(workspace, safe='')}/jobs/{quote(name, safe='')}/{verb}"
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://studio.internal") as api:
        response = await api.post(path, headers={"Authorization": f"Bearer {token}"})
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = {"message": response.text}
    if response.status_code in (404, 405) and body.get("message") in _NO_ROUTE:
        unsupported = {"code": "unsupported", "message": f"this server cannot {verb} jobs"}
        return JSONResponse({**unsupported, "details": {}}, status_code=501)
    return JSONResponse(body, status_code=response.status_code)


@router.post("/jobs/{name}/cancel", dependencies=SUBMIT)
async def cancel(request: Request, name: str, workspace: StudioWorkspace) -> JSONResponse:
    return await _call_api(request, workspace.name, name, "cancel")


@router.post("/jobs/{name}/rerun", dependencies=SUBMIT)
async def rerun(request: Request, name: str, workspace: StudioWorkspace) -> JSONResponse:
    return await _call_api(request, workspace.name, name, "rerun")
