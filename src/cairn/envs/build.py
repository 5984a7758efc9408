"""Building an environment: a uv venv under `<envs>/<identity>/`, exactly once.

Builds of the same identity take turns on a file lock (the second finds the first's result);
different identities build in parallel. The folder counts as ready only once `ready.json` (with
the lock of installed packages) is written last; a build interrupted at any point leaves no
`ready.json`, and the next build starts that folder over. Rebuilding from a lock installs
exactly the locked versions.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cairn.errors import CairnError

if TYPE_CHECKING:
    from cairn.envs.spec import Request

READY = "ready.json"


class TextSink(Protocol):
    """Where build output goes (a file, a step's log, stdout)."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class EnvironmentBuildFailed(CairnError):
    """uv could not build a step's environment (a package or interpreter it cannot find); the
    step fails with reason `environment` and its log has uv's output."""

    code = "environment_build_failed"
    http_status = 500


@dataclass(frozen=True)
class Built:
    identity: str
    folder: Path
    bin: Path
    packages: tuple[str, ...]
    """`name==version` lines of everything installed (the lock)."""
    reused: bool


def uv_binary() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def ready(envs: Path, identity: str) -> Built | None:
    folder = envs / identity.split(":", 1)[-1]
    try:
        data = json.loads((folder / READY).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return Built(identity, folder, folder / "bin", tuple(data.get("packages", [])), reused=True)


def ensure(request: Request, envs: Path, log: TextSink, *, lock: tuple[str, ...] = ()) -> Built:
    """The environment for `request`, building it if no ready one exists (`log` gets the build
    output). With `lock`, installs exactly those versions."""
    found = ready(envs, request.identity)
    if found is not None:
        os.utime(found.folder / READY)  # last use, for `prune`
        return found
    envs.mkdir(parents=True, exist_ok=True)
    folder = envs / request.identity.split(":", 1)[-1]
    with (envs / f"{folder.name}.lock").open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        found = ready(envs, request.identity)
        if found is not None:
            return found
        return _build(request, folder, log, lock or saved_lock(envs, request.identity))


def _build(request: Request, folder: Path, log: TextSink, lock: tuple[str, ...]) -> Built:
    if folder.exists():
        log.write(f"removing an unfinished build in {folder}\n")
        shutil.rmtree(folder)
    started = time.monotonic()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "VIRTUAL_ENV": str(folder)}
    uv = uv_binary()
    python = ["--python", request.python] if request.python else ["--python", _current_python()]
    _run([uv, "venv", "--quiet", *python, str(folder)], env, log, "create the environment")
    wanted = list(lock or request.requirements)
    if wanted:
        requirements = folder / "requirements.txt"
        requirements.write_text("\n".join(wanted) + "\n")
        _run(
            [
                uv,
                "pip",
                "install",
                "--python",
                str(folder / "bin" / "python"),
                "-r",
                str(requirements),
            ],
            env,
            log,
            "install the packages",
        )
    frozen = subprocess.run(
        [uv, "pip", "freeze", "--python", str(folder / "bin" / "python")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    packages = tuple(line for line in frozen.stdout.splitlines() if line.strip())
    record = {
        "identity": request.identity,
        "python": request.python,
        "requirements": list(request.requirements),
        "packages": list(packages),
        "built_in_s": round(time.monotonic() - started, 3),
    }
    _save_lock(folder.parent, request.identity, packages)
    temp = folder / f".{READY}.tmp"
    temp.write_text(json.dumps(record, indent=1))
    temp.replace(folder / READY)
    log.write(f"environment ready in {record['built_in_s']} s: {len(packages)} packages\n")
    return Built(request.identity, folder, folder / "bin", packages, reused=False)


def _lock_path(envs: Path, identity: str) -> Path:
    return envs / "locks" / f"{identity.split(':', 1)[-1]}.txt"


def saved_lock(envs: Path, identity: str) -> tuple[str, ...]:
    """The exact package set of an earlier build of `identity` (kept when the build is pruned,
    so that a rebuild installs exactly the same versions)."""
    try:
        text = _lock_path(envs, identity).read_text()
    except FileNotFoundError:
        return ()
    return tuple(line for line in text.splitlines() if line.strip())


def _save_lock(envs: Path, identity: str, packages: tuple[str, ...]) -> None:
    path = _lock_path(envs, identity)
    if path.exists() or not packages:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text("\n".join(packages) + "\n")
    temp.replace(path)


def _run(argv: list[str], env: dict[str, str], log: TextSink, what: str) -> None:
    log.write("$ " + " ".join(argv) + "\n")
    log.flush()
    result = subprocess.run(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    log.write(result.stdout)
    log.flush()
    if result.returncode != 0:
        last = [line for line in result.stdout.splitlines() if line.strip()][-5:]
        raise EnvironmentBuildFailed(
            f"could not {what} (uv exited {result.returncode}): " + " | ".join(last),
            hint="the step's log has uv's full output",
        )


def _current_python() -> str:
    import sys

    return sys.executable


def prune(envs: Path, keep: set[str], older_than_s: float) -> list[str]:
    """Remove built environments not in `keep` whose last use is older than `older_than_s`."""
    removed = []
    now = time.time()
    for folder in sorted(envs.iterdir()) if envs.is_dir() else []:
        if (
            not folder.is_dir()
            or folder.name.startswith(".")
            or folder.name == "locks"
            or f"env:{folder.name}" in keep
        ):
            continue
        stamp = folder / READY
        age = now - (stamp.stat().st_mtime if stamp.exists() else folder.stat().st_mtime)
        if age >= older_than_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed
