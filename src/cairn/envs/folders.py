"""The folder of built environments (`<home>/envs`): where each thing lives, what counts as ready,
and the file locks that keep builders, users and `prune` out of each other's way.

    <key>/               a uv venv; `ready.json` inside is written last, so it means "complete"
    locks/<key>.txt      the exact package set of the identity's first build — kept when the
                         build is pruned, so that a rebuild installs exactly the same versions
    .run/<key>.build     flock, exclusive: held by the one process building <key>
    .run/<key>.use       flock, shared: held by every step running in <key>; `prune` takes it
                         exclusively (without waiting) and skips the environment when it cannot
    .run/<key>.procs     the process group of the build's running uv, so that the next builder can
                         stop what a builder killed mid-way left running before starting over
    .trash/              folders being removed: renamed here first, so that a half-removed
                         environment is never found where a ready one would be

Lock files are never deleted: a process may have opened one and be about to lock it, and a new
file under the same name would let two processes hold "the" lock at once.
Must not: run uv or decide what to install (`build.py`), or choose what to remove (`prune.py`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cairn.errors import CairnError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

READY = "ready.json"
LOCKS = "locks"
RUN = ".run"
TRASH = ".trash"
_WAIT_STEP = 0.05


class BuildCanceled(CairnError):
    """A step was canceled while its environment was being built (or while it waited for another
    step's build): the build stops and leaves nothing behind; the step ends `Canceled`."""

    code = "environment_build_canceled"
    http_status = 409


@dataclass(frozen=True)
class Built:
    identity: str
    folder: Path
    bin: Path
    packages: tuple[str, ...]
    """`name==version` lines of everything installed (the lock)."""
    reused: bool


def key(identity: str) -> str:
    """The folder name of an identity (`env:<hash>` → `<hash>`)."""
    return identity.split(":", 1)[-1]


def env_folder(envs: Path, identity: str) -> Path:
    return envs / key(identity)


def run_file(envs: Path, identity: str, suffix: str) -> Path:
    return envs / RUN / f"{key(identity)}.{suffix}"


def ready(envs: Path, identity: str) -> Built | None:
    """The built environment of `identity`, or None when there is none that is complete (no
    `ready.json`, or its interpreter is gone — a venv whose base Python was removed)."""
    folder = env_folder(envs, identity)
    try:
        data = json.loads((folder / READY).read_text())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    if not (folder / "bin" / "python").exists():
        return None
    return Built(identity, folder, folder / "bin", tuple(data.get("packages", [])), reused=True)


def lock_path(envs: Path, identity: str) -> Path:
    return envs / LOCKS / f"{key(identity)}.txt"


def saved_lock(envs: Path, identity: str) -> tuple[str, ...]:
    """The exact package set of the first build of `identity` (empty when never built)."""
    try:
        text = lock_path(envs, identity).read_text()
    except FileNotFoundError:
        return ()
    return tuple(line for line in text.splitlines() if line.strip())


def save_lock(envs: Path, identity: str, packages: tuple[str, ...]) -> None:
    """Keep the package set of a build — only the first: an environment version is immutable
    once built, so later builds of the same identity install this set, never a newer one."""
    path = lock_path(envs, identity)
    if path.exists() or not packages:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text("\n".join(packages) + "\n")
    temp.replace(path)


def hold(envs: Path, identity: str) -> int:
    """Mark the environment as in use (`prune` skips it) until the returned descriptor is closed
    (or the process exits). Each call takes a shared lock of its own, so the steps one process
    runs at once hold and let go independently."""
    fd = _open(run_file(envs, identity, "use"))
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while a prune is removing this environment
    return fd


@contextlib.contextmanager
def build_lock(
    envs: Path,
    identity: str,
    on_wait: Callable[[], None],
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[None]:
    """Hold the build lock of `identity`; `on_wait` is called once if another process holds it.
    Waiting polls rather than blocks, so that a cancel (`cancelled()`) ends the wait."""
    fd = _open(run_file(envs, identity, "build"))
    try:
        waited = False
        while not _try_lock(fd, fcntl.LOCK_EX):
            if not waited:
                on_wait()
                waited = True
            if cancelled is not None and cancelled():
                raise BuildCanceled("canceled while waiting for another build of the environment")
            time.sleep(_WAIT_STEP)
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def exclusive_if_free(envs: Path, identity: str) -> Iterator[bool]:
    """Both locks of `identity` held exclusively, if no one holds either now (True), else False:
    neither built nor used by anyone while the block runs."""
    fds = [_open(run_file(envs, identity, suffix)) for suffix in ("build", "use")]
    try:
        yield all(_try_lock(fd, fcntl.LOCK_EX) for fd in fds)
    finally:
        for fd in fds:
            os.close(fd)


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


def _try_lock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
