"""Every error leaves the server as `{code, message, details}` with the status of its class."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from cairn.errors import CairnError

if TYPE_CHECKING:
    from fastapi import FastAPI, Request

log = logging.getLogger("cairn.server")


def install(app: FastAPI) -> None:
    @app.exception_handler(CairnError)
    async def cairn_error(_: Request, exc: CairnError) -> JSONResponse:
        return JSONResponse(exc.to_payload(), status_code=exc.http_status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        first = problems[0] if problems else {"loc": [], "message": "invalid request"}
        message = f"invalid request: {'.'.join(first['loc'])}: {first['message']}"
        payload = {"code": "usage_error", "message": message, "details": {"errors": problems}}
        return JSONResponse(payload, status_code=400)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        payload = {"code": code, "message": str(exc.detail), "details": {}}
        return JSONResponse(payload, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def internal(_: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error")
        payload = {
            "code": "internal_error",
            "message": f"internal error: {type(exc).__name__}",
            "details": {},
        }
        return JSONResponse(payload, status_code=500)
