"""`create_app(settings)`: the FastAPI application, with no import-time globals."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from cairn import __version__
from cairn.server import errors, studio
from cairn.server.auth import TokenGate
from cairn.server.routes import assets, blobs, health, jobs, resources, workspaces
from cairn.server.state import ServerState

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from cairn.server.settings import ServerSettings

API = "/api/v1"


def create_app(settings: ServerSettings, state: ServerState | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.cairn.start_engines()
        try:
            yield
        finally:
            app.state.cairn.close()

    app = FastAPI(
        title="Cairn",
        version=__version__,
        description="Azure ML pipeline jobs, run locally: the REST API of a Cairn server.",
        lifespan=lifespan,
        openapi_url=f"{API}/openapi.json",
        docs_url=f"{API}/docs",
        redoc_url=None,
    )
    app.state.cairn = state or ServerState.open(settings)
    app.add_middleware(
        TokenGate,
        prefix=API,
        token=app.state.cairn.settings.token,
        public=frozenset({f"{API}/openapi.json", f"{API}/docs", f"{API}/docs/oauth2-redirect"}),
    )
    errors.install(app)
    # Starlette matches routes in order and ignores path patterns when matching: the fixed
    # `/workspaces/{name}/computes|datastores|jobs` routes must come before assets' `/{kind}`.
    for router in (
        health.router,
        workspaces.router,
        blobs.router,
        jobs.router,
        resources.router,
        assets.router,
    ):
        app.include_router(router, prefix=API)
    studio.install(app, api_prefix=API)
    return app
