"""Building an environment: a uv venv under `<envs>/<key>/`, exactly once per identity.

Builds of the same identity take turns on a file lock (the second finds the first's result);
different identities build in parallel. The folder counts as ready only once `ready.json` is
written, last; a build interrupted at any point leaves no `ready.json`, and the next build stops
whatever the interrupted one left running (uv runs in a process group of its own, recorded in
`.run/<key>.procs`) and starts that folder over. The first build's exact package set is kept as
the identity's lock, and every later build of the identity installs exactly it (`uv pip sync`).

Why uv by hand rather than a library: uv is the installer; this module only sequences its
commands, streams their output into the step's log and makes the result all-or-nothing.
Interpreters: the server's own when the request allows it, else one uv finds on this machine;
`UV_PYTHON_DOWNLOADS=never`, so nothing is downloaded.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cairn.envs.folders import (
    READY,
    BuildCanceled,
    Built,
    build_lock,
    env_folder,
    ready,
    run_file,
    save_lock,
    saved_lock,
)
from cairn.errors import CairnError

if TYPE_CHECKING:
    from collections.abc import Callable

    from cairn.envs.spec import Request

__all__ = [
    "BuildCanceled",
    "Built",
    "EnvironmentBuildFailed",
    "count",
    "ensure",
    "ready",
    "saved_lock",
]

MARKER = "CAIRN_ENV_BUILD"
"""Set in uv's environment to the folder it builds: how a leftover build process is recognised."""
_POLL = 0.05
_STOP_WAIT = 5.0


class TextSink(Protocol):
    """Where build output goes (a file, a step's log, stdout)."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class EnvironmentBuildFailed(CairnError):
    """uv could not build a step's environment (a package or interpreter it cannot find); the
    step fails with reason `environment` and its log has uv's output."""

    code = "environment_build_failed"
    http_status = 500


def count(packages: tuple[str, ...]) -> str:
    return f"{len(packages)} package" + ("" if len(packages) == 1 else "s")


def uv_binary() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def ensure(
    request: Request,
    envs: Path,
    log: TextSink,
    *,
    lock: tuple[str, ...] = (),
    build: bool = True,
    cancelled: Callable[[], bool] | None = None,
) -> Built:
    """The environment for `request`, building it if no ready one exists (`log` gets the build
    output). With `lock`, a build installs exactly those versions; without, the identity's saved
    lock if it has one. A running step holds the environment (`hold`) before calling this, so
    that `prune` cannot remove what is found. `cancelled()` true stops a build; without `build`,
    an environment that is not built is an error instead of being built."""
    found = ready(envs, request.identity)
    if found is not None:
        _touch(found.folder)
        return found

    def waiting() -> None:
        log.write(f"waiting for another build of {request.identity}\n")
        log.flush()

    if not build:
        raise CairnError(f"the environment {request.identity} is not built (it was pruned?)")
    with build_lock(envs, request.identity, waiting, cancelled):
        found = ready(envs, request.identity)
        if found is not None:
            _touch(found.folder)
            return found
        return _build(request, envs, log, lock or saved_lock(envs, request.identity), cancelled)


def _touch(folder: Path) -> None:
    """Record a use (`prune` removes by last use); a read-only cache is still usable."""
    with contextlib.suppress(OSError):
        os.utime(folder / READY)


def _build(
    request: Request,
    envs: Path,
    log: TextSink,
    lock: tuple[str, ...],
    cancelled: Callable[[], bool] | None,
) -> Built:
    folder = env_folder(envs, request.identity)
    procs = run_file(envs, request.identity, "procs")
    stop_leftovers(procs, folder, log)
    if folder.exists() or folder.is_symlink():
        log.write(f"removing an unfinished build in {folder}\n")
        _remove(folder)
    started = time.monotonic()
    env = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "VIRTUAL_ENV": str(folder),
        MARKER: str(folder),
    }
    try:
        packages = _install(request, folder, _Runner(env, log, procs, cancelled), lock, log)
    except CairnError:
        _remove(folder)  # a failed or canceled build leaves nothing behind (its log says why)
        procs.unlink(missing_ok=True)
        raise
    record = {
        "identity": request.identity,
        "python": request.python,
        "requirements": list(request.requirements),
        "packages": list(packages),
        "from_lock": bool(lock),
        "built_in_s": round(time.monotonic() - started, 3),
    }
    save_lock(envs, request.identity, packages)
    temp = folder / f".{READY}.tmp"
    temp.write_text(json.dumps(record, indent=1))
    temp.replace(folder / READY)  # last: from here on the environment is ready
    procs.unlink(missing_ok=True)
    log.write(f"environment ready in {record['built_in_s']} s: {count(packages)}\n")
    log.flush()
    return Built(request.identity, folder, folder / "bin", packages, reused=False)


def _install(
    request: Request, folder: Path, run: _Runner, lock: tuple[str, ...], log: TextSink
) -> tuple[str, ...]:
    """Create the venv, install the lock (exactly) or the requirements; the installed set."""
    uv = uv_binary()
    run([uv, "venv", "--quiet", "--python", interpreter(request.python), str(folder)], "create")
    python = str(folder / "bin" / "python")
    if lock:
        log.write(f"installing the locked package set ({count(lock)})\n")
        (folder / "cairn-lock.txt").write_text("\n".join(lock) + "\n")
        run([uv, "pip", "sync", "--python", python, str(folder / "cairn-lock.txt")], "install")
    elif request.requirements:
        wanted = folder / "requirements.txt"
        wanted.write_text("\n".join(request.requirements) + "\n")
        run([uv, "pip", "install", "--python", python, "-r", str(wanted)], "install")
    frozen = run.capture([uv, "pip", "freeze", "--python", python])
    return tuple(line for line in frozen if line.strip())


def interpreter(python: str | None) -> str:
    """The interpreter a venv is made from: the server's own when `python` (a minor version
    such as `3.11`, or a range such as `>=3.8,<3.12`) allows it, else the request for uv to
    find one on this machine."""
    if python is None or _satisfies(sys.version_info[:3], python):
        return sys.executable
    return python


def _satisfies(version: tuple[int, ...], wanted: str) -> bool:
    """Whether `version` meets `3.11` or a comma-separated set of `<op><version>` clauses."""
    import operator
    import re

    ops = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
    ops |= {"==": operator.eq, "!=": operator.ne}
    for clause in wanted.split(","):
        match = re.fullmatch(r"(>=|<=|==|!=|~=|>|<)?\s*(\d+(?:\.\d+)*)(\.\*)?", clause.strip())
        if match is None:
            return False
        bound = tuple(int(part) for part in match.group(2).split("."))
        op = match.group(1) or "=="
        if op in ("==", "!=") and (match.group(3) or not match.group(1)):
            equal = version[: len(bound)] == bound  # `3.11` and `==3.11.*` match any 3.11.x
            if equal != (op == "=="):
                return False
        elif op == "~=":  # `~=3.8`: 3.8 or later, still 3.x
            if version[: len(bound)] < bound or version[: len(bound) - 1] != bound[:-1]:
                return False
        elif not ops[op](version[: len(bound)], bound):
            return False
    return True


class _Runner:
    """Runs uv commands of one build: each in a process group of its own (recorded, so that a
    next builder can stop it if this process dies), output streamed into the log, stopped at
    once when the build is canceled."""

    def __init__(
        self,
        env: dict[str, str],
        log: TextSink,
        procs: Path,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.env, self.log, self.procs, self.cancelled = env, log, procs, cancelled

    def __call__(self, argv: list[str], what: str) -> None:
        self.log.write("$ " + " ".join(argv) + "\n")
        self.log.flush()
        code, output = self._run(argv)
        if code != 0:
            last = [line for line in output if line.strip()][-5:]
            raise EnvironmentBuildFailed(
                f"could not {what} the environment (uv exited {code}): " + " | ".join(last),
                hint="the step's log has uv's full output; Cairn never downloads interpreters, "
                "so a python pin needs that Python on this machine",
            )

    def capture(self, argv: list[str]) -> list[str]:
        """Stdout of a quick uv command (its stderr says only which environment it looked at)."""
        done = subprocess.run(
            argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            start_new_session=True,
        )
        if done.returncode != 0:
            raise EnvironmentBuildFailed(
                f"could not list the installed packages (uv exited {done.returncode}): "
                + done.stderr.strip()
            )
        return done.stdout.splitlines()

    def _run(self, argv: list[str]) -> tuple[int, list[str]]:
        proc = subprocess.Popen(
            argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs.parent.mkdir(parents=True, exist_ok=True)
        self.procs.write_text(json.dumps({"pgid": proc.pid, "builder": os.getpid()}))
        assert proc.stdout is not None
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text: list[str] = []
        with proc, proc.stdout:
            fd = proc.stdout.fileno()
            while True:
                if self.cancelled is not None and self.cancelled():
                    _kill_group(proc.pid)
                    proc.wait()
                    raise BuildCanceled("the environment build was canceled")
                if not select.select([fd], [], [], _POLL)[0]:
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                piece = decoder.decode(chunk)
                text.append(piece)
                self.log.write(piece)
            text.append(decoder.decode(b"", final=True))
            output = "".join(text)
            self.log.write(text[-1] + ("\n" if output and not output.endswith("\n") else ""))
            self.log.flush()
            code = proc.wait()
        return code, output.splitlines()


def stop_leftovers(procs: Path, folder: Path, log: TextSink) -> None:
    """Stop what an earlier builder of `folder` left running (it died mid-build; its uv, in a
    group of its own, may still be writing into the folder). Only a group with a live process
    that carries the build's marker is signalled, never one whose id was reused since."""
    try:
        pgid = int(json.loads(procs.read_text())["pgid"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return
    marker = f"\0{MARKER}={folder}\0".encode()
    if _group_has(pgid, marker):
        log.write(f"stopping the processes an interrupted build left running (group {pgid})\n")
        _kill_group(pgid)
        deadline = time.monotonic() + _STOP_WAIT
        while _group_has(pgid, marker) and time.monotonic() < deadline:
            time.sleep(_POLL)
    procs.unlink(missing_ok=True)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _group_has(pgid: int, marker: bytes) -> bool:
    try:
        processes = [entry for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return False
    for process in processes:
        try:
            stat = (process / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            if marker in b"\0" + (process / "environ").read_bytes():
                return True
        except (OSError, ValueError, IndexError):
            continue
    return False


def _remove(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.exists():
        shutil.rmtree(folder)
