"""Running a server: the token file, binding a port, announcing where the server listens.

`server.json` in the home's `run/` folder (written once the socket is bound) tells the CLI where
the server is, which process it is and which version it runs; the token lives in `run/token`
(0600). `python -m cairn.server` is what `cairn server start` runs in the background and what
`cairn server run` runs in the foreground.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn import __version__

if TYPE_CHECKING:
    from cairn.home import Home

SERVER_FILE = "server.json"
TOKEN_FILE = "token"  # noqa: S105 - a file name, not a secret


def ensure_token(home: Home) -> str:
    """The home's API token, created (0600, owner only) on first use."""
    path = home.run / TOKEN_FILE
    home.run.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(token)
    return token


def read_token(home: Home) -> str | None:
    try:
        return (home.run / TOKEN_FILE).read_text().strip()
    except FileNotFoundError:
        return None


def read_server_file(home: Home) -> dict[str, Any] | None:
    try:
        data = json.loads((home.run / SERVER_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say they are TCP, and accepted sockets inherit this one's protocol. With Nagle on, every
    # response body waits for the client's delayed ACK of its headers: 40 ms per request.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def announce(home: Home, sock: socket.socket) -> dict[str, Any]:
    from cairn.launcher.protocol import write_atomic  # not at import: the CLI reads this module

    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    info = {
        "pid": os.getpid(),
        "host": host,
        "port": port,
        "url": f"http://{shown}:{port}",
        "version": __version__,
        "started_at": time.time(),
    }
    write_atomic(home.run / SERVER_FILE, json.dumps(info))
    return info


def forget(home: Home) -> None:
    """Remove `server.json` if it still names this process."""
    info = read_server_file(home)
    if info is not None and info.get("pid") == os.getpid():
        Path(home.run / SERVER_FILE).unlink(missing_ok=True)
