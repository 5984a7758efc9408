"""The local executor with real launchers: events, poll, cancel, restarts, lost launchers."""

from __future__ import annotations

import os
import queue
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cairn.errors import NotFound
from cairn.executors.base import Alive, ExecutorEvent, Gone
from cairn.executors.local import LocalExecutor
from cairn.launcher import control
from cairn.launcher.protocol import LaunchSpec, StepRecord
from tests.launcher.steps import make_spec, output, survivors, wait_for

STUBBORN = "trap '' TERM; sleep 100 & sleep 100 & echo started; wait"


@pytest.fixture
def run_dir() -> Iterator[Path]:
    # Unix socket paths are short (108 bytes); pytest's tmp_path may be longer.
    with tempfile.TemporaryDirectory(prefix="cairn-ex-", dir="/tmp") as folder:
        yield Path(folder)


@pytest.fixture
def executor(run_dir: Path) -> Iterator[LocalExecutor]:
    local = LocalExecutor(run_dir / "executor.sock")
    yield local
    local.close()


def launch(executor: LocalExecutor, root: Path, command: str, **fields: object) -> LaunchSpec:
    spec = make_spec(root, command, notify=executor.notify, **fields)  # type: ignore[arg-type]
    executor.launch(spec)
    return spec


def wait_ended(executor: LocalExecutor, workdir: str, timeout: float = 30) -> list[ExecutorEvent]:
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        event = executor.events.get(timeout=max(0.0, deadline - time.monotonic()))
        if event.workdir == workdir:
            seen.append(event)
            if event.event == "ended":
                return seen


def test_launch_reports_events_and_poll_reads_the_record(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    spec = launch(
        executor, tmp_path, "echo hi > ${{outputs.out}}/f", outputs=[output(tmp_path, "out")]
    )
    events = wait_ended(executor, spec.workdir)
    # Only the marks the engine acts on travel as datagrams; the record keeps every phase.
    assert [e.event for e in events] == ["running", "ended"]
    record = executor.poll(Path(spec.workdir))
    assert isinstance(record, StepRecord) and record.status == "Completed"
    phases = sorted(record.times, key=record.times.__getitem__)
    assert phases == ["preparing", "running", "finalizing", "ended"]
    assert record.times["running"] == events[0].at
    assert record.times["ended"] == events[-1].at
    assert (tmp_path / "datastore" / "out" / "f").read_text() == "hi\n"
    assert executor.logs(Path(spec.workdir)) == Path(spec.workdir) / "user_logs" / "std_log.txt"


def test_poll_says_alive_while_running_from_the_moment_launch_returns(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    spec = launch(executor, tmp_path, "echo started; while [ ! -e release ]; do sleep 0.02; done")
    assert executor.poll(Path(spec.workdir)) == Alive()
    log = executor.logs(Path(spec.workdir))
    wait_for(lambda: log.exists() and "started" in log.read_text(), what="the command to start")
    assert executor.poll(Path(spec.workdir)) == Alive()
    (Path(spec.workdir) / "wd" / "release").touch()
    wait_ended(executor, spec.workdir)
    assert isinstance(executor.poll(Path(spec.workdir)), StepRecord)


def test_poll_of_a_step_never_launched_is_gone(executor: LocalExecutor, tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "true")
    assert executor.poll(Path(spec.workdir)) == Gone()
    assert executor.poll(tmp_path / "no-such-step") == Gone()
    with pytest.raises(NotFound):
        executor.launch(LaunchSpec("j", "s", str(tmp_path / "no-such-step"), "true"))


def test_cancel_stops_the_whole_group_after_the_grace_period(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    spec = launch(executor, tmp_path, STUBBORN, grace=60.0)
    log = executor.logs(Path(spec.workdir))
    wait_for(lambda: log.exists() and "started" in log.read_text(), what="the command to start")
    started = time.monotonic()
    executor.cancel(Path(spec.workdir), grace=0.3)  # overrides the spec's 60 s
    wait_ended(executor, spec.workdir)
    assert time.monotonic() - started < 10
    record = executor.poll(Path(spec.workdir))
    assert isinstance(record, StepRecord)
    assert (record.status, record.reason) == ("Canceled", "canceled")
    assert survivors(spec.workdir) == []


def test_steps_survive_the_executor_and_the_host_exits_after_them(
    run_dir: Path, tmp_path: Path
) -> None:
    first = LocalExecutor(run_dir / "executor.sock")
    spec = launch(
        first,
        tmp_path,
        "echo started; while [ ! -e release ]; do sleep 0.02; done; echo done > ${{outputs.out}}",
        outputs=[output(tmp_path, "out", "uri_file", "out.txt")],
    )
    log = first.logs(Path(spec.workdir))
    wait_for(lambda: log.exists() and "started" in log.read_text(), what="the command to start")
    assert first._host is not None and first._host.pid is not None
    host = first._host.pid
    first.close()  # as a server that stops or dies: the host reads the end of its input
    second = LocalExecutor(run_dir / "executor.sock")
    try:
        assert second.poll(Path(spec.workdir)) == Alive()
        assert _alive(host), "the host stopped while its step was running"
        (Path(spec.workdir) / "wd" / "release").touch()
        events = wait_ended(second, spec.workdir)  # the launcher reports to the new socket
        assert events[-1].event == "ended"
        record = second.poll(Path(spec.workdir))
        assert isinstance(record, StepRecord) and record.status == "Completed"
        assert (tmp_path / "datastore" / "out.txt").read_text() == "done\n"
        wait_for(lambda: not _alive(host), what="the host to exit once its step ended")
    finally:
        second.close()


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its parent's reaper thread counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_killed_launcher_is_gone_and_cancel_still_stops_its_group(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    spec = launch(executor, tmp_path, "echo started; sleep 100")
    log = executor.logs(Path(spec.workdir))
    wait_for(lambda: log.exists() and "started" in log.read_text(), what="the command to start")
    launcher_pid = control.read_pids(Path(spec.workdir))["launcher_pid"]
    os.kill(launcher_pid, signal.SIGKILL)
    wait_for(lambda: executor.poll(Path(spec.workdir)) == Gone(), what="the lock to be released")
    assert StepRecord.read(spec.workdir) is None
    assert survivors(spec.workdir) != []  # its command lives on, orphaned
    executor.cancel(Path(spec.workdir), grace=0.3)
    wait_for(lambda: survivors(spec.workdir) == [], what="the orphaned group to be stopped")


def test_launching_a_running_step_again_starts_no_second_launcher(
    executor: LocalExecutor, tmp_path: Path
) -> None:
    spec = launch(executor, tmp_path, "echo started; while [ ! -e release ]; do sleep 0.02; done")
    executor.launch(spec)
    log = executor.logs(Path(spec.workdir))
    wait_for(lambda: log.exists() and "started" in log.read_text(), what="the command to start")
    executor.launch(spec)
    (Path(spec.workdir) / "wd" / "release").touch()
    wait_ended(executor, spec.workdir)
    events = (Path(spec.workdir) / "events.jsonl").read_text()
    assert events.count('"preparing"') == 1 and events.count('"ended"') == 1


def test_without_the_launch_server_steps_start_as_fresh_processes(
    run_dir: Path, tmp_path: Path
) -> None:
    local = LocalExecutor(run_dir / "fresh.sock", host=False)
    try:
        spec = launch(local, tmp_path, "echo fresh")
        assert not isinstance(local.poll(Path(spec.workdir)), Gone)  # locked before spawning
        wait_ended(local, spec.workdir)
        record = local.poll(Path(spec.workdir))
        assert isinstance(record, StepRecord) and record.log_tail == ["fresh"]
    finally:
        local.close()


def test_a_socket_path_too_long_for_unix_sockets_still_gets_events(tmp_path: Path) -> None:
    long_path = tmp_path / ("x" * 120) / "executor.sock"
    local = LocalExecutor(long_path)
    try:
        assert local.notify.startswith("\0")
        spec = launch(local, tmp_path, "true")
        assert wait_ended(local, spec.workdir)[-1].event == "ended"
    finally:
        local.close()


def test_junk_datagrams_are_ignored(executor: LocalExecutor, tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"not json", executor.notify)
        sender.sendto(b'{"workdir": "w", "event": "exploded", "at": 1}', executor.notify)
    spec = launch(executor, tmp_path, "true")
    events = wait_ended(executor, spec.workdir)
    assert [e.event for e in events] == ["running", "ended"]
    with pytest.raises(queue.Empty):
        executor.events.get(timeout=0.05)
