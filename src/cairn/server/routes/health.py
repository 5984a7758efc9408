"""`/api/v1/health`: the server's version and identity (the CLI checks it is talking to the right,
current server)."""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter

from cairn import __version__
from cairn.server.auth import Permission, require
from cairn.server.routes.deps import State

router = APIRouter(tags=["server"])


@router.get("/health", dependencies=[require(Permission.READ)])
def health(server: State) -> dict[str, Any]:
    return {
        "status": "ok",
        "version": __version__,
        "pid": os.getpid(),
        "home": str(server.settings.home.root),
        "workspace": server.settings.workspace,
        "engine": server.engine is not None,
    }
