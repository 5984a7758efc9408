"""Studio sign-in: one-time login codes, browser sessions and the cross-site request checks.

A caller holding the API token (the CLI) asks for a login code; the code travels in a link, is
redeemed once within `CODE_TTL` seconds, and becomes an HttpOnly, SameSite=Strict session cookie
that carries the same principal as the token that asked for it. Mutating requests made with the
cookie must also carry the session's CSRF token (`X-CSRF-Token`) and come from the server's own
origin (`Origin`, and `Sec-Fetch-Site` where the browser sends it).

Owns: codes, sessions, the cookie's name and attributes, the CSRF/origin check. Must not: render
pages or touch the store. Sessions live in the server process (a restarted server forgets them:
run `cairn studio` again), which keeps them revocable without another table.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cairn.errors import Forbidden

if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.requests import Request

    from cairn.server.auth import Principal

COOKIE = "cairn_studio"
CSRF_HEADER = "x-csrf-token"
CODE_TTL = 300.0
SESSION_TTL = 12 * 3600.0
MAX_PENDING_CODES = 1000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    id: str
    principal: Principal
    csrf: str
    expires: float


@dataclass
class StudioSessions:
    """In-memory codes and sessions; thread-safe (routes run in a thread pool)."""

    clock: Callable[[], float] = time.monotonic
    _codes: dict[str, tuple[Principal, float]] = field(default_factory=dict)
    _sessions: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _now(self) -> float:
        return self.clock()

    def issue_code(self, principal: Principal) -> str:
        """A one-time code that signs its redeemer in as `principal`."""
        code = secrets.token_urlsafe(32)
        now = self._now()
        with self._lock:
            self._expire(now)
            if len(self._codes) >= MAX_PENDING_CODES:
                oldest = min(self._codes, key=lambda c: self._codes[c][1])
                del self._codes[oldest]
            self._codes[code] = (principal, now + CODE_TTL)
        return code

    def redeem(self, code: str) -> Session | None:
        """The new session for a valid code (which is then spent), or None."""
        now = self._now()
        with self._lock:
            self._expire(now)
            found = self._codes.pop(code, None)
            if found is None:
                return None
            session = Session(
                id=secrets.token_urlsafe(32),
                principal=found[0],
                csrf=secrets.token_urlsafe(24),
                expires=now + SESSION_TTL,
            )
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> Session | None:
        now = self._now()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.expires <= now:
                del self._sessions[session_id]
                return None
            return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def _expire(self, now: float) -> None:
        for code in [c for c, (_, until) in self._codes.items() if until <= now]:
            del self._codes[code]
        for sid in [s for s, session in self._sessions.items() if session.expires <= now]:
            del self._sessions[sid]

    # -- requests ------------------------------------------------------------------------------

    def session_of(self, request: Request) -> Session | None:
        """The session the request's cookie names, or None."""
        sid = request.cookies.get(COOKIE)
        return self.get(sid) if sid else None

    def principal_for(self, request: Request) -> Principal | None:
        """The caller a session cookie signs in, with the cross-site checks for mutations;
        None without a valid session. Raises `Forbidden` for a cross-site mutation."""
        session = self.session_of(request)
        if session is None:
            return None
        if request.method not in SAFE_METHODS:
            check_same_origin(request)
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not secrets.compare_digest(sent.encode(), session.csrf.encode()):
                raise Forbidden("this action needs the page's CSRF token")
        return session.principal


def own_origin(request: Request) -> str:
    """The origin the browser used to reach this server (scheme, host and port)."""
    host = request.headers.get("host", "")
    return f"{request.url.scheme}://{host}"


def check_same_origin(request: Request) -> None:
    """Refuse a request that a page of another origin made (or that says nothing of its origin:
    browsers send `Origin` on every POST, so its absence means it is not a page of ours)."""
    origin = request.headers.get("origin")
    if origin is None or origin != own_origin(request):
        raise Forbidden("cross-origin requests may not change anything")
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        raise Forbidden("cross-site requests may not change anything")


def cookie_header(session: Session, *, secure: bool) -> str:
    """The `Set-Cookie` value for a new session."""
    attributes = f"; Path=/; HttpOnly; SameSite=Strict; Max-Age={int(SESSION_TTL)}"
    return f"{COOKIE}={session.id}{attributes}{'; Secure' if secure else ''}"
