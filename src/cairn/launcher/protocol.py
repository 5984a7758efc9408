"""The contract between the engine, the executors and the launcher: what a step is told to do
(`LaunchSpec`, written as `spec.json`) and what it reports (`StepRecord`, `record.json`, written
atomically and last), plus the layout of a step's work folder.

Plain dataclasses and JSON on purpose: the launcher must start fast and must not need pydantic.

A step's work folder (one per attempt), itself held (flock) by the launcher for its whole life:
the liveness signal that survives restarts and cannot be fooled by pid reuse.

    spec.json        what to run (written by the engine before launch)
    events.jsonl     the launcher's own timeline (preparing/running/finalizing), appended; the
                     `preparing` mark names the launcher's pid, `running` the process group of
                     the user command
    cancel.json      the grace period a canceller asked for (written before it sends SIGTERM)
    wd/              the working directory: a fresh copy of the code snapshot
    inputs/<name>    private copies of `download` / `eval_download` inputs
    outputs/<name>   private output locations, committed only after exit 0 (a `uri_file`
                     output is the file `outputs/<name>/<last component of commit_to>`)
    user_logs/std_log.txt (std_log_process_<rank>.txt for distributed steps)
    record.json      the outcome, written last (temp file + rename + fsync)

What the step leaves under `wd/outputs/` and `wd/logs/`, and `user_logs/` (linked), go to the
artifact store folder `LaunchSpec.artifacts` whatever the outcome (`cairn.launcher.artifacts`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

SPEC = "spec.json"
RECORD = "record.json"
EVENTS = "events.jsonl"
WORKDIR = "wd"
OUTPUTS = "outputs"
USER_LOGS = "user_logs"
STD_LOG = "std_log.txt"

Outcome = Literal["Completed", "Failed", "Canceled"]
Reason = Literal[
    "completed",
    "exit_code",
    "timeout",
    "canceled",
    "input_modified",
    "output_missing",
    "commit_failed",
    "launch_error",
    "environment",
    "lost",
]


@dataclass(frozen=True)
class InputSpec:
    """One input as the step sees it: a literal `value`, or data at a local `path`."""

    name: str
    type: str
    mode: str = "ro_mount"
    value: str | int | float | bool | None = None
    path: str | None = None
    """Local path of the data (a committed output, a datastore folder, a download cache entry)."""
    uri: str | None = None
    content_hash: str | None = None


@dataclass(frozen=True)
class OutputSpec:
    """One output: the step writes to `WORKDIR/outputs/<name>`; after exit 0 it is moved to
    `commit_to` (a local path of the datastore) and hashed."""

    name: str
    type: str
    mode: str
    commit_to: str
    uri: str


@dataclass(frozen=True)
class ArtifactStore:
    """Where the step's artifacts go: Azure's default artifact location for its job name
    (`azureml://datastores/workspaceartifactstore/paths/ExperimentRun/dcid.<job>/`)."""

    uri: str
    path: str
    """Its local folder."""


@dataclass(frozen=True)
class LaunchSpec:
    job_name: str
    """The step's job name (`AZUREML_RUN_ID`)."""
    step_id: str
    workdir: str
    command: str
    """The component's command template (`${{inputs.x}}` …), rendered by the launcher."""
    inputs: list[InputSpec] = field(default_factory=list)
    outputs: list[OutputSpec] = field(default_factory=list)
    code: str | None = None
    """The code snapshot folder to copy into `wd/` (None: an empty working folder)."""
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment: the component's `environment_variables` and Azure's variables."""
    python_bin: str | None = None
    """A folder put first on PATH (a built environment's `bin/`); None inherits."""
    timeout: float | None = None
    grace: float = 10.0
    log_cap_bytes: int = 100 * 1024 * 1024
    instance_count: int = 1
    distribution: dict[str, Any] | None = None
    notify: str | None = None
    """A Unix datagram socket to tell the executor about progress (best effort)."""
    attempt: int = 1
    environment: dict[str, Any] | None = None
    """The step's environment: `strategy` and `identity`; for `venv`, what to build (or find
    built) before running: `python`, `requirements`, `envs` (the folder of built environments).
    Any other strategy (or None) runs with `python_bin`."""
    artifacts: ArtifactStore | None = None
    """The artifact store folder (None: the step's artifacts are not kept)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LaunchSpec:
        data = json.loads(text)
        data["inputs"] = [InputSpec(**i) for i in data.get("inputs", [])]
        data["outputs"] = [OutputSpec(**o) for o in data.get("outputs", [])]
        if data.get("artifacts") is not None:
            data["artifacts"] = ArtifactStore(**data["artifacts"])
        return cls(**data)

    def write(self) -> Path:
        path = Path(self.workdir) / SPEC
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not fsynced: after a machine crash the engine rewrites specs of steps that never ran.
        write_atomic(path, self.to_json(), durable=False)
        return path


@dataclass(frozen=True)
class CommittedOutput:
    name: str
    uri: str
    path: str
    content_hash: str
    size: int
    files: int
    manifest: dict[str, str] | None = None
    """relative path → hash of each file, for outputs of at most `MANIFEST_FILES` files (so a
    later check can name the file that went missing or changed)."""


MANIFEST_FILES = 200


@dataclass(frozen=True)
class StepRecord:
    """How a step ended. `times` holds epoch seconds for `preparing`, `running`, `finalizing`
    and `ended` where reached."""

    status: Outcome
    reason: Reason
    message: str = ""
    exit_code: int | None = None
    times: dict[str, float] = field(default_factory=dict)
    outputs: list[CommittedOutput] = field(default_factory=list)
    log_tail: list[str] = field(default_factory=list)
    """The last lines of the step's log (at most 50), for the root-failure view."""
    environment: dict[str, Any] | None = None
    """The environment the step ran in: `strategy`, `identity`; for a venv its `folder`,
    `packages` (the lock) and `built` (this time)."""
    artifacts: dict[str, str] | None = None
    """Where the step's artifacts were stored: `uri` and local `path` (None: nowhere)."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StepRecord:
        data = json.loads(text)
        data["outputs"] = [CommittedOutput(**o) for o in data.get("outputs", [])]
        return cls(**data)

    @classmethod
    def read(cls, workdir: str | Path) -> StepRecord | None:
        """The record of a finished step, or None while there is none."""
        try:
            text = (Path(workdir) / RECORD).read_text()
        except FileNotFoundError:
            return None
        return cls.from_json(text)


def write_atomic(path: Path, text: str, *, durable: bool = True) -> None:
    """Write `text` so that readers see either nothing or all of it (and, `durable`, so that it
    survives a machine crash once this returns)."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temp.open("w") as handle:
        handle.write(text)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    temp.replace(path)
    if not durable:
        return
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
