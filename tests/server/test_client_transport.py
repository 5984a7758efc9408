"""The client's HTTP transport against a deliberately rude server: one that drops kept-alive
connections without saying so, as any server does to idle ones."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest

from cairn.client.transport import Transport
from cairn.errors import ServerUnavailable

if TYPE_CHECKING:
    from collections.abc import Iterator


class DropsEveryConnection(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # promises keep-alive, then closes anyway

    def do_GET(self) -> None:
        self._answer(b"")

    def do_PUT(self) -> None:
        self._answer(self.rfile.read(int(self.headers["Content-Length"])))

    def _answer(self, echoed: bytes) -> None:
        body = b'{"path": "%s", "got": %d}' % (self.path.encode(), len(echoed))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def rude() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), DropsEveryConnection)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_dropped_kept_alive_connection_is_retried_once(rude: str, tmp_path: object) -> None:
    http = Transport(rude, prefix="/api", headers={}, timeout=5)
    try:
        for n in range(3):
            answer = http.request("GET", "/x", params={"n": n, "flag": True, "skip": None})
            assert answer.status == 200 and answer.json()["path"] == f"/api/x?n={n}&flag=true"
        import io

        body = io.BytesIO(b"abc" * 1000)
        for _ in range(2):  # a streamed body is sent again from its start
            answer = http.request("PUT", "/blob", content=body, size=3000)
            assert answer.json()["got"] == 3000
    finally:
        http.close()


def test_refusals_and_bad_urls_are_server_unavailable() -> None:
    with pytest.raises(ServerUnavailable, match="not an http"):
        Transport("ftp://example", headers={}, timeout=1)
    http = Transport("http://127.0.0.1:9", headers={}, timeout=1)
    with pytest.raises(ServerUnavailable, match="cannot reach"):
        http.request("GET", "/")
    with pytest.raises(ServerUnavailable, match="cannot reach"), http.stream("GET", "/"):
        pass
