"""HTTP for the client, on the standard library's `http.client`.

Why not httpx (which the server's tests still use): importing it costs about 200 ms, more than
half of what a `cairn job list` may take in all, and every CLI call pays it. The client needs
little: JSON requests on one kept-alive connection, a streamed request body, and streamed
responses (server-sent events, tar downloads). This module does only that, and turns every
transport failure into `ServerUnavailable`; it knows nothing of Cairn's API.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import urlencode, urlsplit

from cairn.errors import ServerUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

_BLOCK = 1 << 20
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.content) if self.content else None


class StreamedResponse:
    """A response whose body is read as it arrives (`iter_lines`, `iter_bytes`)."""

    def __init__(self, raw: http.client.HTTPResponse) -> None:
        self._raw = raw
        self.status = raw.status
        self.reason = raw.reason

    def read(self) -> Response:
        return Response(self.status, self.reason, dict(self._raw.getheaders()), self._raw.read())

    def iter_bytes(self) -> Iterator[bytes]:
        while block := self._raw.read1(_BLOCK):
            yield block

    def iter_lines(self) -> Iterator[str]:
        for line in self._raw:
            yield line.decode(errors="replace").rstrip("\r\n")


class Transport:
    """Requests to one server: `base_url` plus a path prefix, with fixed headers."""

    def __init__(
        self, base_url: str, *, prefix: str = "", headers: Mapping[str, str], timeout: float
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerUnavailable(f"{base_url!r} is not an http(s) URL of a Cairn server")
        self.base_url = base_url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/") + prefix
        self._headers = dict(headers)
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = cls(self._host, self._port, timeout=timeout, blocksize=_BLOCK)
        conn.connect()
        # A request's headers and a streamed body go out in separate writes: without
        # TCP_NODELAY the body would wait for the server's delayed ACK.
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        query = urlencode(_flatten(params or {}), doseq=True)
        return self._prefix + path + (f"?{query}" if query else "")

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        content: bytes | BinaryIO | None = None,
        size: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request on the kept-alive connection and read the whole answer."""
        body, headers = _body(json_body, content, size)
        target = self.url(path, params)
        for attempt in (1, 2):
            reused = self._conn is not None
            try:
                if self._conn is None:
                    self._conn = self._connect(self._timeout)
                conn = self._conn
                if conn.sock is not None:
                    conn.sock.settimeout(timeout or self._timeout)
                conn.request(method, target, body=body, headers={**self._headers, **headers})
                raw = conn.getresponse()
                answer = Response(raw.status, raw.reason, dict(raw.getheaders()), raw.read())
            except _STALE as exc:
                # The server closed an idle kept-alive connection: retry once on a fresh one.
                self.close()
                if attempt == 2 or not reused or not _rewind(body):
                    raise self._unavailable(exc) from exc
                continue
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._unavailable(exc) from exc
            if raw.will_close:
                self.close()
            return answer
        raise AssertionError("unreachable")

    @contextlib.contextmanager
    def stream(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None
    ) -> Iterator[StreamedResponse]:
        """A request on its own connection, with no read timeout, read as it arrives."""
        conn: http.client.HTTPConnection | None = None
        try:
            try:
                conn = self._connect(None)
                conn.request(method, self.url(path, params), headers=self._headers)
                raw = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                raise self._unavailable(exc) from exc
            try:
                yield StreamedResponse(raw)
            except (OSError, http.client.HTTPException) as exc:
                raise ServerUnavailable(f"lost the connection to {self.base_url}: {exc}") from exc
        finally:
            if conn is not None:
                conn.close()

    def _unavailable(self, exc: BaseException) -> ServerUnavailable:
        return ServerUnavailable(
            f"cannot reach the Cairn server at {self.base_url}: {exc or type(exc).__name__}",
            hint="`cairn server status` says whether it runs; `cairn server start` starts it",
        )


def _flatten(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list | tuple):
            value = [str(v) for v in value]
        out[key] = value
    return out


def _body(
    json_body: Any, content: bytes | BinaryIO | None, size: int | None
) -> tuple[bytes | BinaryIO | None, dict[str, str]]:
    if json_body is not None:
        data = json.dumps(json_body).encode()
        return data, {"Content-Type": "application/json", "Content-Length": str(len(data))}
    if content is None:
        return None, {"Content-Length": "0"}
    if isinstance(content, bytes):
        return content, {"Content-Length": str(len(content))}
    if size is None:
        raise ValueError("a streamed body needs its size")
    return content, {"Content-Length": str(size)}


def _rewind(body: bytes | BinaryIO | None) -> bool:
    """Whether the body can be sent again (a file is sought back to its start)."""
    if body is None or isinstance(body, bytes):
        return True
    try:
        body.seek(0)
    except (OSError, ValueError):
        return False
    return True
