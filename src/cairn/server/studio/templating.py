"""Rendering studio pages: the Jinja2 environment (autoescaping everything), the formatting
filters, and the route class that turns errors into HTML pages.

Every user-provided string reaches a page through a template variable, and autoescaping is on for
every template (HTML and SVG alike), so names, tags, log lines and file names render as text.
Templates never mark a value `safe`. Must not: read the store.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, Undefined
from starlette.responses import HTMLResponse

from cairn.errors import CairnError

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Mapping

    from starlette.requests import Request
    from starlette.responses import Response

STATUS_CLASSES = {
    "NotStarted": "pending",
    "Queued": "pending",
    "Preparing": "active",
    "Running": "active",
    "Finalizing": "active",
    "CancelRequested": "canceling",
    "Completed": "done",
    "Failed": "failed",
    "Canceled": "canceled",
}


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("cairn.server.studio", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        duration=duration,
        when=when,
        size=size,
        short=short_hash,
        status_class=lambda s: STATUS_CLASSES.get(str(s), "pending"),
    )
    env.globals.update(query=query)
    return env


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.studio_templates
    session = request.app.state.studio_sessions.session_of(request)
    context.setdefault("ws", "")
    context.setdefault("wsq", {})
    context.setdefault("title", "Cairn studio")
    html = env.get_template(template).render(
        request=request, csrf=session.csrf if session else "", **context
    )
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})


def duration(seconds: float | Undefined | None) -> str:
    if seconds is None or isinstance(seconds, Undefined) or math.isnan(seconds):
        return "–"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} m {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} m"


def when(value: datetime | str | Undefined | None) -> str:
    if value is None or isinstance(value, Undefined):
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def size(count: float | Undefined | None) -> str:
    if count is None or isinstance(count, Undefined):
        return "–"
    amount = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if amount < 1024 or unit == "GiB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TiB"


def short_hash(value: str | None) -> str:
    if not value:
        return "–"
    return value.split(":", 1)[-1][:12]


def query(path: str, params: Mapping[str, Any] | None = None, /, **more: Any) -> str:
    """`path?a=1&b=2`, dropping empty values (lists repeat their key)."""
    merged = {**(params or {}), **more}
    pairs = [
        (k, str(item))
        for k, v in merged.items()
        for item in (v if isinstance(v, list | tuple) else [v])
        if item not in (None, "", False)
    ]
    return f"{path}?{urlencode(pairs)}" if pairs else path


class StudioRoute(APIRoute):
    """Routes whose failures come back as an HTML page with the error's status (never a trace)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except CairnError as error:
                return error_page(request, error)

        return handler


def error_page(request: Request, error: CairnError) -> Response:
    return render(
        request,
        "error.html",
        status_code=error.http_status,
        title=type(error).__name__,
        error=error,
        signed_in=request.app.state.studio_sessions.session_of(request) is not None,
    )
