"""The step host: many steps on the threads of one process, each with its own exits, cancel,
process group and lock — and nothing left behind in the host when they end."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.executors.base import Alive
from cairn.executors.local import LocalExecutor
from cairn.launcher import control
from cairn.launcher.protocol import LaunchSpec, StepRecord
from tests.launcher.steps import make_spec, output, survivors, wait_for


@pytest.fixture
def executor() -> Iterator[LocalExecutor]:
    # Unix socket paths are short (108 bytes); pytest's tmp_path may be longer.
    with tempfile.TemporaryDirectory(prefix="cairn-host-", dir="/tmp") as folder:
        local = LocalExecutor(Path(folder) / "executor.sock")
        yield local
        local.close()


def host_pid(executor: LocalExecutor) -> int:
    assert executor._host is not None and executor._host.pid is not None
    return executor._host.pid


def launch(executor: LocalExecutor, root: Path, name: str, command: str) -> LaunchSpec:
    spec = make_spec(root, command, name=name, notify=executor.notify)
    executor.launch(spec)
    return spec


def ended(executor: LocalExecutor, spec: LaunchSpec) -> StepRecord:
    wait_for(lambda: isinstance(executor.poll(Path(spec.workdir)), StepRecord), what=spec.workdir)
    record = executor.poll(Path(spec.workdir))
    assert isinstance(record, StepRecord)
    return record


def test_steps_running_together_each_get_their_own_exit_status(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    # Exits in an order unrelated to the starts: the host's reaper routes each to its step.
    specs = [
        launch(executor, tmp_path, f"s{k}", f"sleep 0.{(7 * k) % 5}; echo step {k}; exit {k}")
        for k in range(6)
    ]
    for k, spec in enumerate(specs):
        record = ended(executor, spec)
        assert record.exit_code == k and record.log_tail == [f"step {k}"]
        assert record.status == ("Completed" if k == 0 else "Failed")
        pids = control.read_pids(Path(spec.workdir))
        assert pids["launcher_pid"] == host_pid(executor)


def test_a_cancel_stops_one_step_of_the_host_and_not_the_others(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    wait = "echo started; while [ ! -e release ]; do sleep 0.02; done"
    kept = launch(executor, tmp_path, "kept", wait + "; echo done")
    stopped = launch(executor, tmp_path, "stopped", wait)
    for spec in (kept, stopped):
        log = executor.logs(Path(spec.workdir))
        wait_for(lambda log=log: log.exists() and "started" in log.read_text(), what="a start")
    executor.cancel(Path(stopped.workdir), grace=0.3)
    record = ended(executor, stopped)
    assert (record.status, record.reason) == ("Canceled", "canceled")
    assert survivors(stopped.workdir) == []
    assert executor.poll(Path(kept.workdir)) == Alive()
    (Path(kept.workdir) / "wd" / "release").touch()
    assert ended(executor, kept).status == "Completed"


def test_a_step_canceled_before_it_starts_never_runs(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    spec = make_spec(tmp_path, "echo ran", notify=executor.notify)
    control.request_cancel(Path(spec.workdir), 0.5)
    executor.launch(spec)
    record = ended(executor, spec)
    assert (record.status, record.reason) == ("Canceled", "canceled")
    assert record.log_tail == []


def test_the_host_keeps_no_descriptor_or_thread_of_an_ended_step(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    outputs = [output(tmp_path, "out")]
    first = make_spec(tmp_path, "echo hi > ${{outputs.out}}/f", name="first", outputs=outputs)
    executor.launch(first)
    ended(executor, first)
    host = host_pid(executor)

    def idle() -> bool:
        return len(os.listdir(f"/proc/{host}/task")) == 1  # the main thread only

    wait_for(idle, what="the first step's thread to end")  # it may outlive the step's record
    descriptors = len(os.listdir(f"/proc/{host}/fd"))
    for k in range(10):
        out = [output(tmp_path, f"out{k}")]
        spec = make_spec(
            tmp_path, f"echo {k} > ${{{{outputs.out{k}}}}}/f", name=f"s{k}", outputs=out
        )
        executor.launch(spec)
        assert ended(executor, spec).status == "Completed"
    wait_for(idle, what="the steps' threads to end")
    assert len(os.listdir(f"/proc/{host}/fd")) == descriptors
