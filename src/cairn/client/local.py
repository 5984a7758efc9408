"""Finding — or starting — the server of a Cairn home, as the CLI does on every call.

`connect()` uses a running server of this version (read from `run/server.json`: pid alive, same
version) without an extra round trip; otherwise it takes `run/server.lock` (so that concurrent
first calls start exactly one server), replaces a stale server (dead pid or another version),
starts `python -m cairn.server` in the background on a free loopback port, and waits until it
answers. `CAIRN_SERVER_URL` with `CAIRN_TOKEN` points the CLI at a team's server instead.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from cairn import __version__
from cairn.client.client import Client
from cairn.errors import ServerUnavailable
from cairn.home import TOKEN_ENV, Home
from cairn.server.run import SERVER_FILE, read_server_file, read_token

if TYPE_CHECKING:
    from collections.abc import Iterator

SERVER_URL_ENV = "CAIRN_SERVER_URL"
START_TIMEOUT = 60.0


def connect(home: Home | None = None, *, workspace: str = "default", start: bool = True) -> Client:
    """A client for the configured server, starting the local one if needed."""
    url = os.environ.get(SERVER_URL_ENV)
    if url:
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise ServerUnavailable(f"{SERVER_URL_ENV} is set but {TOKEN_ENV} is not")
        return Client(url, token, workspace=workspace)
    home = home or Home.from_env()
    info = current(home)
    if info is None:
        if not start:
            raise ServerUnavailable(
                f"no Cairn server runs for {home.root}", hint="start one with `cairn server start`"
            )
        info = start_server(home)
    token = read_token(home)
    if token is None:
        raise ServerUnavailable(f"the server's token file is missing in {home.run}")
    return Client(str(info["url"]), token, workspace=workspace, cache=_cache(home))


def current(home: Home) -> dict[str, Any] | None:
    """The running server of this home and version, or None."""
    info = read_server_file(home)
    if info is None or info.get("version") != __version__ or not _alive(info.get("pid")):
        return None
    return info


def start_server(home: Home) -> dict[str, Any]:
    home.ensure()
    with _lock(home):
        info = current(home)
        if info is not None:
            return info
        stop_server(home)
        return _wait_until_up(home, _spawn(home))


def _spawn(home: Home) -> int:
    """Start `python -m cairn.server` in a session of its own, its output in the home's log.

    `posix_spawn` rather than `subprocess.Popen`: the server outlives this process by design,
    and a `Popen` that is never waited for is reported as a leak when it is collected.
    """
    log = os.open(home.logs / "server.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    try:
        return os.posix_spawn(
            sys.executable,
            [sys.executable, "-m", "cairn.server", "--home", str(home.root)],
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log)
        os.close(devnull)


def stop_server(home: Home, timeout: float = 15.0) -> bool:
    """Stop the home's server if one runs (any version); True if one was stopped."""
    info = read_server_file(home)
    pid = info.get("pid") if info else None
    if not isinstance(pid, int) or not _alive(pid) or not _is_cairn(pid):
        (home.run / SERVER_FILE).unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
    (home.run / SERVER_FILE).unlink(missing_ok=True)
    return True


def _wait_until_up(home: Home, pid: int) -> dict[str, Any]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        ended, status = os.waitpid(pid, os.WNOHANG)
        if ended:
            raise ServerUnavailable(
                f"the Cairn server exited at start (status {os.waitstatus_to_exitcode(status)})",
                hint=f"see its log: {home.logs / 'server.log'}",
            )
        info = read_server_file(home)
        if info is not None and info.get("pid") == pid:
            token = read_token(home)
            if token is not None and _answers(str(info["url"]), token):
                return info
        time.sleep(0.05)
    raise ServerUnavailable(
        f"the Cairn server did not answer within {START_TIMEOUT:.0f} s",
        hint=f"see its log: {home.logs / 'server.log'}",
    )


def _answers(url: str, token: str) -> bool:
    with Client(url, token, timeout=2) as probe:
        try:
            probe.health()
        except ServerUnavailable:
            return False
    return True


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _is_cairn(pid: int) -> bool:
    """Whether `pid` still runs Cairn: a stale `server.json` may name a pid the system has since
    given to an unrelated process, which must not be signalled. Unknown (no /proc): yes."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:  # noqa: PTH123 - a /proc file
            return b"cairn" in handle.read()
    except FileNotFoundError:
        return not os.path.isdir("/proc/self")  # noqa: PTH112 - /proc, not a project path
    except OSError:
        return True


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:  # noqa: PTH123 - a /proc file
            return handle.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


@contextlib.contextmanager
def _lock(home: Home) -> Iterator[None]:
    home.run.mkdir(parents=True, exist_ok=True)
    with (home.run / "server.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _cache(home: Home) -> Any:
    from cairn.data.stat_cache import StatCache

    home.cache.mkdir(parents=True, exist_ok=True)
    return StatCache(home.cache)
