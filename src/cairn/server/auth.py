"""Who may call what. Every route declares the permission it needs with `Depends(require(...))`;
a request without a valid bearer token is refused before any route code runs.

In local mode the token in the Cairn home's 0600 file grants every permission (one user); teams
map further tokens to narrower permission sets through the same mechanism.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request

from cairn.errors import Forbidden, Unauthenticated

if TYPE_CHECKING:
    from collections.abc import Callable


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


def principal_of(request: Request) -> Principal:
    """The caller, from `Authorization: Bearer <token>`; raises `Unauthenticated`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    expected: str = request.app.state.cairn.settings.token
    if scheme.lower() != "bearer" or not token or not secrets.compare_digest(token, expected):
        raise Unauthenticated(
            "a valid token is required",
            hint="the CLI reads it from the Cairn home; other clients send `Authorization: Bearer`",
        )
    return Principal("owner", frozenset(Permission))


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
