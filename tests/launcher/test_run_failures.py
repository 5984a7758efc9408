"""The launcher on steps that fail, time out, are canceled, or are launched twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cairn.launcher.protocol import InputSpec, StepRecord
from cairn.launcher.run import EXIT_BUSY, EXIT_UNUSABLE, main
from tests.launcher.steps import (
    make_spec,
    output,
    run_step,
    start_launcher,
    survivors,
    wait_exit,
    wait_for,
)

# Background grandchildren that ignore TERM: only KILL after the grace period stops them.
STUBBORN = "trap '' TERM; sleep 100 & sleep 100 & echo started; wait"


def test_failing_command_keeps_partial_outputs_uncommitted(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        "echo partial > ${{outputs.out}}/part.txt; echo before; echo oops >&2; exit 3",
        outputs=[output(tmp_path, "out")],
    )
    record = run_step(spec)
    assert (record.status, record.reason, record.exit_code) == ("Failed", "exit_code", 3)
    assert record.message == "the command exited with code 3"
    assert record.log_tail == ["before", "oops"]
    assert record.outputs == []
    assert not (tmp_path / "datastore" / "out").exists()
    assert (Path(spec.workdir) / "outputs" / "out" / "part.txt").read_text() == "partial\n"
    assert "finalizing" not in record.times


def test_timeout_kills_the_whole_process_group_after_the_grace_period(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, STUBBORN, timeout=0.5, grace=0.5)
    started = time.monotonic()
    record = run_step(spec)
    elapsed = time.monotonic() - started
    assert (record.status, record.reason) == ("Failed", "timeout")
    assert record.message == "timed out after 0.5 s"
    assert record.exit_code == 128 + signal.SIGKILL
    assert 1.0 <= elapsed < 10
    assert survivors(spec.workdir) == []


def test_timeout_ends_at_once_when_the_group_obeys_term(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "sleep 100 & sleep 100", timeout=0.3, grace=30)
    started = time.monotonic()
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "timeout")
    assert time.monotonic() - started < 10  # far below the 30 s grace
    assert survivors(spec.workdir) == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_sigint_to_the_launcher_cancels_the_step(tmp_path: Path, signum: int) -> None:
    spec = make_spec(tmp_path, STUBBORN, grace=0.3, outputs=[output(tmp_path, "out")])
    pid = start_launcher(spec.workdir)
    wait_for(lambda: "started" in _log(spec.workdir), what="the command to start")
    os.kill(pid, signum)
    assert wait_exit(pid) == 0
    record = StepRecord.read(spec.workdir)
    assert record is not None
    assert (record.status, record.reason) == ("Canceled", "canceled")
    assert survivors(spec.workdir) == []
    assert not (tmp_path / "datastore" / "out").exists()


def test_modified_read_only_input_fails_the_step_naming_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "sub" / "a.txt").write_text("original")
    (data / "b.txt").write_text("untouched")
    spec = make_spec(
        tmp_path,
        "echo more >> ${{inputs.data}}/sub/a.txt",
        inputs=[InputSpec("data", "uri_folder", "ro_mount", path=str(data))],
        outputs=[output(tmp_path, "out")],
    )
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "input_modified")
    assert record.message == "input 'data' was modified by the step: sub/a.txt (changed)"
    assert not (tmp_path / "datastore" / "out").exists()


def test_a_downloaded_input_is_a_private_copy_the_step_may_change(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("original")
    spec = make_spec(
        tmp_path,
        "echo more >> ${{inputs.data}}/a.txt",
        inputs=[InputSpec("data", "uri_folder", "download", path=str(data))],
    )
    record = run_step(spec)
    assert record.status == "Completed"
    assert (data / "a.txt").read_text() == "original"
    assert (Path(spec.workdir) / "inputs" / "data" / "a.txt").read_text() == "originalmore\n"


def test_missing_uri_file_output_fails_with_output_missing(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        "echo forgot to write",
        outputs=[output(tmp_path, "model", "uri_file", "model.pkl"), output(tmp_path, "other")],
    )
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "output_missing")
    assert "output 'model' (uri_file) was not written" in record.message
    assert not (tmp_path / "datastore" / "other").exists()  # nothing is committed


def test_existing_destination_fails_the_commit_and_commits_nothing(tmp_path: Path) -> None:
    (tmp_path / "datastore" / "second").mkdir(parents=True)
    spec = make_spec(
        tmp_path,
        "echo 1 > ${{outputs.first}}/f; echo 2 > ${{outputs.second}}/f",
        outputs=[output(tmp_path, "first"), output(tmp_path, "second")],
    )
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "commit_failed")
    assert "destination" in record.message and "already exists" in record.message
    assert not (tmp_path / "datastore" / "first").exists()
    assert list((tmp_path / "datastore" / "second").iterdir()) == []


def test_unrenderable_command_is_a_launch_error(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "echo ${{inputs.needed}}", inputs=[InputSpec("needed", "string")])
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "launch_error")
    assert "has no value" in record.message


def test_missing_input_path_is_a_launch_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    spec = make_spec(tmp_path, "true", inputs=[InputSpec("d", "uri_folder", path=missing)])
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "launch_error")
    assert missing in record.message


def test_second_launcher_for_a_running_step_exits_without_touching_it(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "echo waiting; while [ ! -e release ]; do sleep 0.02; done")
    pid = start_launcher(spec.workdir)
    try:
        events = Path(spec.workdir) / "events.jsonl"
        wait_for(lambda: "waiting" in _log(spec.workdir), what="the first launcher to run")
        before = {p.name: p.stat().st_mtime_ns for p in Path(spec.workdir).iterdir()}
        assert main(spec.workdir) == EXIT_BUSY
        after = {p.name: p.stat().st_mtime_ns for p in Path(spec.workdir).iterdir()}
        assert after == before
    finally:
        (Path(spec.workdir) / "wd" / "release").touch()
        assert wait_exit(pid) == 0
    record = StepRecord.read(spec.workdir)
    assert record is not None and record.status == "Completed"
    assert record.log_tail == ["waiting"]
    running = [json.loads(line) for line in _read(events).splitlines()]
    assert [e["event"] for e in running].count("running") == 1


def test_unreadable_spec_still_ends_in_a_record(tmp_path: Path) -> None:
    workdir = tmp_path / "broken"
    workdir.mkdir()
    (workdir / "spec.json").write_text("{not json")
    assert wait_exit(start_launcher(str(workdir))) == 0
    record = StepRecord.read(workdir)
    assert record is not None
    assert (record.status, record.reason) == ("Failed", "launch_error")
    assert "spec.json" in record.message


def test_a_path_without_bash_is_a_launch_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    spec = make_spec(tmp_path, "true", env={"PATH": str(empty)})
    record = run_step(spec)
    assert (record.status, record.reason) == ("Failed", "launch_error")
    assert record.message == "'bash' is not on the step's PATH"


def test_the_module_entry_point_checks_its_arguments(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cairn.launcher"], capture_output=True, text=True, check=False
    )
    assert done.returncode == EXIT_UNUSABLE
    assert done.stderr.startswith("usage: python -m cairn.launcher WORKDIR")
    missing = subprocess.run(
        [sys.executable, "-m", "cairn.launcher", str(tmp_path / "nowhere")], check=False
    )
    assert missing.returncode == EXIT_UNUSABLE


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def _log(workdir: str) -> str:
    return _read(Path(workdir) / "user_logs" / "std_log.txt")
