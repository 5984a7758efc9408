"""Signing in to the studio: the API call that issues a one-time login code (for `cairn studio`
and `--web`), the link that redeems it for a session cookie, and signing out.

The redeeming page moves on with a `<meta refresh>` rather than a redirect: a SameSite=Strict
cookie set on a redirect that a link from another site started is not sent on the redirected
request, while a navigation the studio's own page starts is same-site.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, Response

from cairn.errors import Unauthenticated
from cairn.server.auth import Permission, Principal, principal_of, require
from cairn.server.studio import sessions
from cairn.server.studio.templating import StudioRoute, render

api = APIRouter(prefix="/studio", tags=["studio"])
router = APIRouter(route_class=StudioRoute, include_in_schema=False)

_NEXT = re.compile(r"^/(?![/\\])[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,2000}$")


class LoginCodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    next: str = Field(default="/jobs", max_length=2000)
    """The studio page the link opens (a path on this server)."""


@api.post("/login-codes", status_code=201, dependencies=[require(Permission.READ)])
def create_login_code(
    body: LoginCodeRequest,
    request: Request,
    caller: Annotated[Principal, Depends(principal_of)],
) -> dict[str, Any]:
    """A one-time code, valid for a few minutes, and the studio link that redeems it."""
    target = safe_next(body.next)
    code = request.app.state.studio_sessions.issue_code(caller)
    base = request.app.state.cairn.settings.public_url or str(request.base_url).rstrip("/")
    from urllib.parse import urlencode

    url = f"{base}/login?{urlencode({'code': code, 'next': target})}"
    return {"code": code, "url": url, "expires_in": int(sessions.CODE_TTL)}


@router.get("/login")
def login(
    request: Request,
    code: Annotated[str, Query(max_length=100)] = "",
    next: Annotated[str, Query(max_length=2000)] = "/jobs",
) -> Response:
    registry: sessions.StudioSessions = request.app.state.studio_sessions
    session = registry.redeem(code) if code else None
    if session is None:
        raise Unauthenticated(
            "this studio link has expired or was already used",
            hint="run `cairn studio` for a new link",
        )
    response = render(request, "login.html", target=safe_next(next), csrf_session=session)
    secure = request.url.scheme == "https"
    response.headers.append("Set-Cookie", sessions.cookie_header(session, secure=secure))
    return response


@router.post("/logout", dependencies=[require(Permission.READ)])
def logout(request: Request) -> Response:
    registry: sessions.StudioSessions = request.app.state.studio_sessions
    session = registry.session_of(request)
    if session is not None:
        registry.end(session.id)
    response = HTMLResponse("", status_code=204)
    response.headers.append("Set-Cookie", f"{sessions.COOKIE}=; Path=/; Max-Age=0; HttpOnly")
    return response


def safe_next(target: str) -> str:
    """A path on this server (never another origin, `//host` or a scheme)."""
    return target if _NEXT.fullmatch(target) else "/jobs"
