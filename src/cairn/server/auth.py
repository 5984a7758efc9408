"""Who may call what. Every route declares the permission it needs with `Depends(require(...))`;
a request without a valid bearer token is refused before any route code runs — and, through
`TokenGate`, before its body is even parsed, so that no malformed request learns more than 401.

In local mode the token in the Cairn home's 0600 file grants every permission (one user); teams
map further tokens to narrower permission sets through the same mechanism.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request
from starlette.responses import JSONResponse

from cairn.errors import Forbidden, Unauthenticated

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.types import ASGIApp, Receive, Scope, Send


class Permission(StrEnum):
    READ = "read"
    """See jobs, logs, outputs, assets, computes and datastores (never secrets)."""
    SUBMIT = "submit"
    """Create, cancel, rerun and archive jobs."""
    MANAGE = "manage"
    """Create and change assets, computes, datastores and workspaces."""


@dataclass(frozen=True)
class Principal:
    name: str
    permissions: frozenset[Permission]


_UNAUTHENTICATED = Unauthenticated(
    "a valid token is required",
    hint="the CLI reads it from the Cairn home; other clients send `Authorization: Bearer`",
)


def _valid(header: str, expected: str) -> bool:
    scheme, _, token = header.partition(" ")
    return (
        scheme.lower() == "bearer"
        and bool(token)
        and secrets.compare_digest(token.encode(), expected.encode())
    )


def principal_of(request: Request) -> Principal:
    """The caller, from `Authorization: Bearer <token>` or a studio session cookie (whose
    mutating requests must pass the studio's CSRF and origin checks); raises `Unauthenticated`."""
    expected: str = request.app.state.cairn.settings.token
    if _valid(request.headers.get("authorization", ""), expected):
        return Principal("owner", frozenset(Permission))
    sessions = getattr(request.app.state, "studio_sessions", None)
    signed_in: Principal | None = sessions.principal_for(request) if sessions else None
    if signed_in is None:
        raise Unauthenticated(_UNAUTHENTICATED.message, hint=_UNAUTHENTICATED.hint)
    return signed_in


class TokenGate:
    """ASGI middleware: every request under `prefix` without the token gets 401 and nothing else
    (the OpenAPI document and its docs page excepted: they describe the API, they hold no data).
    The per-route permission checks still run behind it."""

    def __init__(self, app: ASGIApp, *, prefix: str, token: str, public: frozenset[str]) -> None:
        self.app = app
        self.prefix = prefix
        self.token = token
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path.startswith(self.prefix) and path not in self.public:
            headers = dict(scope.get("headers") or [])
            header = headers.get(b"authorization", b"").decode("latin-1")
            if not _valid(header, self.token):
                payload = _UNAUTHENTICATED.to_payload()
                response = JSONResponse(
                    payload, status_code=401, headers={"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _check_for(permission: Permission) -> Callable[..., Principal]:
    def check(caller: Annotated[Principal, Depends(principal_of)]) -> Principal:
        if permission not in caller.permissions:
            raise Forbidden(f"this needs the `{permission}` permission")
        return caller

    return check


CHECKS: dict[Permission, Callable[..., Principal]] = {p: _check_for(p) for p in Permission}
"""One dependency per permission; a test walks the routes and finds one on each."""


def require(permission: Permission) -> Any:
    """`Depends(...)` that admits callers holding `permission`."""
    return Depends(CHECKS[permission])
