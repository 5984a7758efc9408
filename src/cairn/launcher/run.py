"""One step, start to end: lock, prepare, run, finalize, record.

Runs in a launcher process of its own (`main`, `python -m cairn.launcher`) or on a thread of the
step host (`cairn.launcher.host`, `run_step` with the host's `StepSignals`).

Owns: the order of the phases and the one place where the step's outcome is decided and
`record.json` is written (last, atomically), followed by the `ended` event. Every failure a phase
detects arrives here as a `StepFailure`; anything else the launcher trips over is recorded as
`launch_error` rather than lost, because a step without a record looks lost to the engine.
Must not: import anything heavy (it runs for every step; pydantic is out), or wait by polling.

Exit status of the launcher process: 0 when it wrote a record (whatever the outcome) or found one
already written, 75 when another launcher holds the step's lock, 64 when the folder is unusable.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cairn.envs.build import BuildCanceled, count, ensure
from cairn.envs.folders import hold
from cairn.envs.spec import Request
from cairn.errors import CairnError
from cairn.home import SECRET_KEY_ENV, TOKEN_ENV
from cairn.launcher import control
from cairn.launcher.artifacts import Artifacts, create_working_folders, is_artifact_output
from cairn.launcher.commit import commit_outputs
from cairn.launcher.distribution import ProcessPlan, plan_processes
from cairn.launcher.materialize import (
    INPUTS,
    WatchedInput,
    copy_code,
    find_modified,
    prepare_inputs,
    prepare_outputs,
)
from cairn.launcher.outcome import StepFailure
from cairn.launcher.protocol import (
    OUTPUTS,
    RECORD,
    SPEC,
    STD_LOG,
    USER_LOGS,
    WORKDIR,
    LaunchSpec,
    Outcome,
    Reason,
    StepRecord,
    write_atomic,
)
from cairn.launcher.supervise import (
    Command,
    Ended,
    Signals,
    StepSignals,
    Supervisor,
    adopt_orphans,
)
from cairn.launcher.timeline import Timeline
from cairn.spec.command import render_command

EXIT_RECORDED = 0
EXIT_UNUSABLE = 64
EXIT_BUSY = 75

# The server's own secrets, in its environment when the operator set them there: a step's
# command never sees them (a step is the user's code, its log is shown in the studio).
PRIVATE_VARIABLES = frozenset({SECRET_KEY_ENV, TOKEN_ENV})


def main(workdir: str | os.PathLike[str], *, lock_fd: int | None = None) -> int:
    """Run the step in `workdir` (its `spec.json` written); returns the exit status above.

    `lock_fd` is the step lock already taken by whoever started this launcher (so that no gap
    exists between "launched" and "alive"); without it the launcher takes the lock itself."""
    folder = Path(workdir).absolute()
    if lock_fd is not None:
        os.set_inheritable(lock_fd, False)  # the step's processes must never hold the lock
    else:
        try:
            lock_fd = control.acquire(folder)
        except OSError:
            return EXIT_UNUSABLE
        if lock_fd is None:
            return EXIT_BUSY
    try:
        if (folder / RECORD).exists():
            return EXIT_RECORDED  # the step already ended; a completed step never runs twice
        signals = Signals(folder)  # first, so that a cancel arriving now is not lost
        adopt_orphans()
        run_step(folder, signals)
        return EXIT_RECORDED
    finally:
        os.close(lock_fd)


def read_spec(folder: Path) -> LaunchSpec | str:
    """The step's `spec.json`, or why it cannot be read."""
    try:
        return LaunchSpec.from_json((folder / SPEC).read_text())
    except (OSError, ValueError, TypeError) as error:
        return f"unreadable {SPEC}: {error}"


def run_step(
    folder: Path,
    signals: StepSignals,
    *,
    may_build: bool = True,
    spec: LaunchSpec | str | None = None,
) -> None:
    """Run the step whose lock this process holds, and write its record. Without `may_build`,
    a virtual environment that is not built fails the step instead of being built here.
    `spec`: what `read_spec` gave a caller that read it already."""
    environment: dict[str, Any] | None = None
    timeline = Timeline(folder)
    timeline.mark("preparing", pid=os.getpid())  # first: who runs the step, for a canceller
    spec = read_spec(folder) if spec is None else spec
    if isinstance(spec, str):
        finish(folder, timeline, _failed("launch_error", spec))
        return
    timeline.address(spec.workdir, spec.notify)
    supervisor: Supervisor | None = None
    artifacts = Artifacts(spec, folder)
    private: dict[str, Path] = {}
    in_use: int | None = None
    try:
        in_use = hold_environment(spec)
        prepared = prepare(spec, folder, signals.cancel_requested, may_build=may_build)
        private = prepared.private
        supervisor = Supervisor(
            prepared.command,
            prepared.plans,
            signals,
            lambda: control.requested_grace(folder, spec.grace),
        )
        environment = prepared.environment
        if signals.cancel_requested():
            record = StepRecord("Canceled", "canceled", "canceled before the command started")
        else:
            supervisor.start(lambda pgid: timeline.mark("running", pgid=pgid))
            ended = supervisor.wait()
            record = conclude(spec, prepared, ended, signals.cancel_requested, timeline, artifacts)
        record = replace(record, environment=environment)
    except Exception as error:  # a launcher bug must still end in a record
        if supervisor is not None:
            supervisor.abort()
        if isinstance(error, StepFailure):
            status: Outcome = "Canceled" if error.reason == "canceled" else "Failed"
            record = StepRecord(status, error.reason, error.message, environment=environment)
        else:
            record = _failed("launch_error", f"launcher error: {type(error).__name__}: {error}")
    finally:
        if in_use is not None:
            os.close(in_use)  # the environment may be pruned once no step uses it
    artifacts.save(private)  # whatever the outcome, as Azure does (a no-op when already saved)
    finish(folder, timeline, replace(record, artifacts=artifacts.location))


@dataclass(frozen=True)
class Prepared:
    """A prepared step: what to start, and what to check and commit afterwards."""

    command: Command
    plans: list[ProcessPlan]
    watched: list[WatchedInput]
    private: dict[str, Path]
    environment: dict[str, Any] | None = None


def prepare(
    spec: LaunchSpec,
    folder: Path,
    cancelled: Callable[[], bool] | None = None,
    *,
    may_build: bool = True,
) -> Prepared:
    """Lay out the step's folder and decide its command line and environment."""
    for stale in (WORKDIR, INPUTS, OUTPUTS):  # left by a launcher that died mid-way
        shutil.rmtree(folder / stale, ignore_errors=True)
    copy_code(spec.code, folder / WORKDIR)
    create_working_folders(folder / WORKDIR)
    (folder / USER_LOGS).mkdir(exist_ok=True)
    python_bin, environment = provide_environment(
        spec, folder / USER_LOGS / STD_LOG, cancelled, may_build=may_build
    )
    values, watched = prepare_inputs(spec, folder)
    private = prepare_outputs(spec, folder)
    outputs = {name: str(path) for name, path in private.items()}
    try:
        rendered = render_command(spec.command, values, outputs)
    except CairnError as error:
        raise StepFailure("launch_error", f"cannot render the command: {error}") from error
    env = {k: v for k, v in os.environ.items() if k not in PRIVATE_VARIABLES}
    env.update(spec.env)
    if python_bin:
        env["PATH"] = python_bin + os.pathsep + env.get("PATH", os.defpath)
    if environment and environment.get("folder"):
        env["VIRTUAL_ENV"] = str(environment["folder"])  # `pip`, `uv pip` act on the step's venv
    env.setdefault("PYTHONUNBUFFERED", "1")  # Python steps' lines reach the log as printed
    # Azure sets a variable per input and output, used in the command or not; Cairn's own come
    # last so that the script's references always hold the values rendered here.
    env.update({f"AZURE_ML_INPUT_{k}": str(v) for k, v in values.items() if v is not None})
    env.update({f"AZURE_ML_OUTPUT_{k}": v for k, v in outputs.items()})
    env.update(rendered.env)
    env.update(AZUREML_RUN_ID=spec.job_name, CAIRN_STEP_ID=spec.step_id, CAIRN_WORKDIR=spec.workdir)
    command = Command(
        script=rendered.script,
        env=env,
        cwd=folder / WORKDIR,
        logs=folder / USER_LOGS,
        log_cap=spec.log_cap_bytes,
        timeout=spec.timeout,
        grace=spec.grace,
    )
    plans = plan_processes(spec.distribution, spec.instance_count, env.get("PATH"))
    return Prepared(command, plans, watched, private, environment)


def conclude(
    spec: LaunchSpec,
    prepared: Prepared,
    ended: Ended,
    cancel_requested: Callable[[], bool],
    timeline: Timeline,
    artifacts: Artifacts,
) -> StepRecord:
    """Decide the outcome of a command that ended; commit the outputs when it succeeded (the
    artifacts first: the artifact output is hashed in place, the others are moved)."""
    tail, code = ended.log_tail, ended.exit_code
    if ended.stopped == "canceled":
        return StepRecord("Canceled", "canceled", "canceled", code, log_tail=tail)
    if ended.stopped == "timeout":
        message = f"timed out after {spec.timeout:g} s"
        return StepRecord("Failed", "timeout", message, code, log_tail=tail)
    if code != 0:
        return StepRecord("Failed", "exit_code", ended.message, code, log_tail=tail)
    modified = find_modified(prepared.watched)
    if modified is not None:
        return StepRecord("Failed", "input_modified", modified, code, log_tail=tail)
    if cancel_requested():
        return StepRecord("Canceled", "canceled", "canceled", code, log_tail=tail)
    timeline.mark("finalizing")
    artifacts.save(prepared.private)
    own = [o for o in spec.outputs if not is_artifact_output(o, spec.artifacts)]
    try:
        committed = artifacts.committed() + commit_outputs(own, prepared.private)
    except StepFailure as failure:
        return StepRecord("Failed", failure.reason, failure.message, code, log_tail=tail)
    return StepRecord("Completed", "completed", "", code, outputs=committed, log_tail=tail)


def finish(folder: Path, timeline: Timeline, record: StepRecord) -> None:
    """Write the record (last, atomically), then say `ended`."""
    ended = time.time()
    final = replace(record, times={**timeline.times, "ended": ended})
    write_atomic(folder / RECORD, final.to_json())
    timeline.mark("ended", ended)
    timeline.close()


def venv_request(spec: LaunchSpec) -> tuple[Request, Path] | None:
    """What the step's virtual environment is and where built ones live (None: no venv)."""
    wanted = spec.environment
    if not wanted or wanted.get("strategy", "venv") != "venv":
        return None
    request = Request(wanted.get("python"), tuple(wanted.get("requirements") or ()))
    return request, Path(str(wanted["envs"]))


def hold_environment(spec: LaunchSpec) -> int | None:
    """Mark the step's virtual environment in use (before it is looked for, so that `prune`
    cannot remove what is found); the descriptor to close when the step ends."""
    venv = venv_request(spec)
    return hold(venv[1], venv[0].identity) if venv is not None else None


def provide_environment(
    spec: LaunchSpec,
    log: Path,
    cancelled: Callable[[], bool] | None = None,
    *,
    may_build: bool = True,
) -> tuple[str | None, dict[str, Any] | None]:
    """The folder to put first on PATH, and what the record keeps of the environment: a venv is
    built first if it is not ready (its output goes to the step's log)."""
    wanted = spec.environment
    if not wanted:
        return spec.python_bin, None
    venv = venv_request(spec)
    if venv is None:
        return spec.python_bin, {
            "strategy": wanted.get("strategy"),
            "identity": wanted.get("identity"),
            "bin": spec.python_bin,
        }
    request, envs = venv
    with log.open("a") as handle:
        writer = _StampedLog(handle)
        try:
            built = ensure(
                request,
                envs,
                writer,
                cancelled=cancelled,
                build=may_build,
            )
        except BuildCanceled as error:
            raise StepFailure("canceled", "canceled while preparing the environment") from error
        except CairnError as error:
            raise StepFailure(
                "environment", f"the environment could not be built: {error}"
            ) from error
        if built.reused:
            writer.write(f"using {built.identity}, built earlier: {count(built.packages)}\n")
    record = {
        "strategy": "venv",
        "identity": built.identity,
        "folder": str(built.folder),
        "packages": list(built.packages),
        "built": not built.reused,
    }
    return str(built.bin), record


class _StampedLog:
    """A text sink that writes each line to the step log with a timestamp and a marker."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.partial = ""

    def write(self, text: str) -> int:
        self.partial += text
        *lines, self.partial = self.partial.split("\n")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        for line in lines:
            self.handle.write(f"{stamp}Z [environment] {line}\n")
        return len(text)

    def flush(self) -> None:
        self.handle.flush()


def _failed(reason: Reason, message: str) -> StepRecord:
    return StepRecord("Failed", reason, message)
