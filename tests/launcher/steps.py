"""Helpers shared by the launcher and executor tests: build step specs, run launchers, find the
processes a step left behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cairn.launcher.protocol import InputSpec, LaunchSpec, OutputSpec, StepRecord
from cairn.launcher.run import main

TIMEOUT = 30.0
STEP_TIMEOUT = 60.0


def make_spec(
    root: Path,
    command: str,
    *,
    name: str = "step",
    inputs: Sequence[InputSpec] = (),
    outputs: Sequence[OutputSpec] = (),
    **fields: Any,
) -> LaunchSpec:
    """Write `spec.json` for a step in `root/steps/<name>` and return the spec."""
    workdir = root / "steps" / name
    workdir.mkdir(parents=True)
    fields.setdefault("timeout", STEP_TIMEOUT)  # a failing test must not leave a step running
    spec = LaunchSpec(
        job_name=f"job-{name}",
        step_id=f"id-{name}",
        workdir=str(workdir),
        command=command,
        inputs=list(inputs),
        outputs=list(outputs),
        **fields,
    )
    spec.write()
    return spec


def output(root: Path, name: str, type: str = "uri_folder", dest: str | None = None) -> OutputSpec:
    commit_to = root / "datastore" / (dest or name)
    return OutputSpec(name, type, "rw_mount", str(commit_to), f"azureml://datastores/ds/{name}")


def start_launcher(workdir: str) -> int:
    """Fork this process and run the launcher in the child, in its own session; its pid."""
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.setsid()
            code = main(workdir)
        finally:
            os._exit(code)
    return pid


def wait_exit(pid: int, timeout: float = TIMEOUT) -> int:
    """Wait for a child process to exit (bounded); its exit status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    raise AssertionError(f"launcher {pid} did not exit within {timeout} s")


def run_step(spec: LaunchSpec, timeout: float = TIMEOUT) -> StepRecord:
    """Run the step to its end in a forked launcher; its record."""
    assert wait_exit(start_launcher(spec.workdir), timeout) == 0
    record = StepRecord.read(spec.workdir)
    assert record is not None
    return record


def wait_for(check: Callable[[], Any], timeout: float = TIMEOUT, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def survivors(workdir: str) -> list[int]:
    """Live (not zombie) processes that run with this step's `CAIRN_WORKDIR`."""
    marker = f"\0CAIRN_WORKDIR={workdir}\0".encode()
    found = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
                environ = b"\0" + Path(entry.path, "environ").read_bytes()
            except OSError:
                continue
            if state != "Z" and marker in environ:
                found.append(int(entry.name))
    return found


def log_text(spec: LaunchSpec, name: str = "std_log.txt") -> str:
    return (Path(spec.workdir) / "user_logs" / name).read_text()
