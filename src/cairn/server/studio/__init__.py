"""Cairn's studio: the web view of jobs, their graphs, logs, timelines and lineage, served by the
Cairn server at `/` in the same process and behind the same permissions as the API.

Server-rendered pages (Jinja2, autoescaped) with a little plain JavaScript and server-sent
events; no CDN and no build step: the static files in `static/` are the source. `install(app)`
adds the routes, the session registry, the security headers and the static files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.staticfiles import StaticFiles

from cairn.server.studio import actions, assets, compare, jobs, login, steps, timeline
from cairn.server.studio.cache import StudioCache
from cairn.server.studio.security import SecurityHeaders
from cairn.server.studio.sessions import StudioSessions
from cairn.server.studio.templating import environment

if TYPE_CHECKING:
    from fastapi import FastAPI


def install(app: FastAPI, *, api_prefix: str = "/api/v1") -> None:
    """Serve the studio from `app` (call once, after the API routes are in)."""
    app.state.studio_sessions = StudioSessions()
    app.state.studio_templates = environment()
    app.state.studio_cache = StudioCache()
    app.include_router(login.api, prefix=api_prefix)
    for router in (
        login.router,
        jobs.router,
        steps.router,
        timeline.router,
        compare.router,
        assets.router,
        actions.router,
    ):
        app.include_router(router)
    app.mount(
        "/static",
        StaticFiles(packages=[("cairn.server.studio", "static")]),
        name="studio-static",
    )
    app.add_middleware(SecurityHeaders, api_prefix=api_prefix)
