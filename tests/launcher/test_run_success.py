"""The launcher on steps that succeed: inputs, outputs, environment, logs, quoting."""

from __future__ import annotations

import json
import os
import re
import stat
import time
from pathlib import Path

import pytest

from cairn.data.hashing import hash_path
from cairn.launcher import control
from cairn.launcher.protocol import InputSpec, StepRecord
from tests.launcher.steps import (
    log_text,
    make_spec,
    output,
    run_step,
    start_launcher,
    survivors,
    wait_exit,
    wait_for,
)

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")


def read_only_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for here, dirs, names in os.walk(root, topdown=False):
        for name in names:
            os.chmod(Path(here, name), 0o444)
        for name in dirs:
            os.chmod(Path(here, name), 0o555)
    os.chmod(root, 0o555)
    return root


def test_step_with_literal_and_data_inputs_commits_hashed_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server's secrets, set in its environment by an operator: never passed to a step.
    monkeypatch.setenv("CAIRN_SECRET_KEY", "server-secret-key")
    monkeypatch.setenv("CAIRN_TOKEN", "server-token")
    code = read_only_tree(tmp_path / "snapshot", {"main.sh": "echo from-code\n", "pkg/x.txt": "1"})
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("a,b\n1,2\n")
    single = tmp_path / "single.txt"
    single.write_text("copied")
    command = (
        "bash main.sh && echo written > pkg/x.txt"
        " && cp ${{inputs.data}}/rows.csv ${{outputs.table}}/"
        " && cat ${{inputs.single}} > ${{outputs.result}}"
        " && echo ${{inputs.words}} ${{inputs.count}} ${{inputs.flag}} > ${{outputs.table}}/args"
        " && env > ${{outputs.table}}/env"
    )
    spec = make_spec(
        tmp_path,
        command,
        code=str(code),
        inputs=[
            InputSpec("data", "uri_folder", "ro_mount", path=str(data)),
            InputSpec("single", "uri_file", "download", path=str(single)),
            InputSpec("words", "string", value="two words"),
            InputSpec("count", "integer", value=3),
            InputSpec("flag", "boolean", value=True),
        ],
        outputs=[output(tmp_path, "table"), output(tmp_path, "result", "uri_file", "r.txt")],
        env={"EXTRA": "yes"},
    )
    record = run_step(spec)
    assert (record.status, record.reason, record.exit_code) == ("Completed", "completed", 0)
    assert set(record.times) == {"preparing", "running", "finalizing", "ended"}
    assert record.log_tail == ["from-code"]
    table, result = (tmp_path / "datastore" / "table"), (tmp_path / "datastore" / "r.txt")
    assert (table / "rows.csv").read_text() == "a,b\n1,2\n"
    assert (table / "args").read_text() == "two words 3 True\n"
    assert result.read_text() == "copied"
    by_name = {o.name: o for o in record.outputs}
    assert by_name["table"].content_hash == hash_path(table).hash
    assert (by_name["table"].files, by_name["table"].path) == (3, str(table))
    assert by_name["result"].content_hash == hash_path(result).hash
    assert (by_name["result"].size, by_name["result"].files) == (6, 1)
    assert by_name["result"].uri == "azureml://datastores/ds/result"
    env = dict(
        line.split("=", 1) for line in (table / "env").read_text().splitlines() if "=" in line
    )
    assert env["AZUREML_RUN_ID"] == "job-step"
    assert env["CAIRN_STEP_ID"] == "id-step"
    assert env["CAIRN_WORKDIR"] == spec.workdir
    assert env["EXTRA"] == "yes"
    assert "CAIRN_SECRET_KEY" not in env and "CAIRN_TOKEN" not in env
    assert env["AZURE_ML_INPUT_data"] == str(data)
    assert env["AZURE_ML_INPUT_single"] == f"{spec.workdir}/inputs/single/single.txt"
    assert env["AZURE_ML_OUTPUT_result"] == f"{spec.workdir}/outputs/result/r.txt"
    # The working copy was writable; the snapshot was left alone.
    assert (Path(spec.workdir) / "wd" / "pkg" / "x.txt").read_text() == "written\n"
    assert (code / "pkg" / "x.txt").read_text() == "1"
    assert stat.S_IMODE((code / "pkg" / "x.txt").stat().st_mode) == 0o444
    assert not (Path(spec.workdir) / "outputs" / "table").exists()


def test_the_timeline_describes_the_run_and_names_launcher_and_group(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "true")
    run_step(spec)
    lines = (Path(spec.workdir) / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["event"] for e in events] == ["preparing", "running", "finalizing", "ended"]
    assert all(e["workdir"] == spec.workdir for e in events)
    assert isinstance(events[0]["pid"], int) and isinstance(events[1]["pgid"], int)
    assert control.read_pids(Path(spec.workdir)) == {
        "launcher_pid": events[0]["pid"],
        "pgid": events[1]["pgid"],
    }


def test_untouched_folder_output_is_committed_empty(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "true", outputs=[output(tmp_path, "empty")])
    record = run_step(spec)
    assert record.status == "Completed"
    committed = tmp_path / "datastore" / "empty"
    assert committed.is_dir() and list(committed.iterdir()) == []
    assert record.outputs[0].content_hash == hash_path(committed).hash
    assert record.outputs[0].files == 0


def test_unset_optional_input_drops_its_fragment(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        "echo start $[[--opt ${{inputs.maybe}}]] end",
        inputs=[InputSpec("maybe", "string")],
    )
    record = run_step(spec)
    assert record.status == "Completed"
    assert record.log_tail == ["start end"]


def test_shell_injection_in_an_input_value_runs_nothing(tmp_path: Path) -> None:
    payload = f"x; touch {tmp_path}/pwned"
    quoted = f"x'; touch {tmp_path}/pwned2; '"
    spec = make_spec(
        tmp_path,
        "echo ${{inputs.v}}; echo \"in double ${{inputs.v}}\"; echo 'in single ${{inputs.w}}'",
        inputs=[InputSpec("v", "string", value=payload), InputSpec("w", "string", value=quoted)],
    )
    record = run_step(spec)
    assert record.status == "Completed"
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert record.log_tail == [payload, f"in double {payload}", f"in single {quoted}"]


def test_log_lines_are_stamped_and_readable_while_the_step_runs(tmp_path: Path) -> None:
    spec = make_spec(
        tmp_path,
        "echo first; printf 'no newline yet'; echo; echo err >&2; "
        "while [ ! -e release ]; do sleep 0.02; done; echo second",
    )
    pid = start_launcher(spec.workdir)
    try:
        log = Path(spec.workdir) / "user_logs" / "std_log.txt"
        wait_for(lambda: log.exists() and "err" in log.read_text(), what="early lines")
        early = log.read_text()
        assert "second" not in early
        lines = early.splitlines()
        assert [STAMP.sub("", line) for line in lines] == ["first", "no newline yet", "err"]
        assert all(STAMP.match(line) for line in lines)
    finally:
        (Path(spec.workdir) / "wd" / "release").touch()
        assert wait_exit(pid) == 0
    assert log_text(spec).splitlines()[-1].endswith("Z second")


def test_log_cap_truncates_but_keeps_draining(tmp_path: Path) -> None:
    cap = 10_000
    # 5 MB through the pipe: far more than a pipe buffer, so a launcher that stopped reading at
    # the cap would block the command forever.
    spec = make_spec(
        tmp_path,
        "yes 'a line of output' | head -c 5000000; echo; echo the-end",
        log_cap_bytes=cap,
    )
    started = time.monotonic()
    record = run_step(spec, timeout=60)
    assert record.status == "Completed"
    assert time.monotonic() - started < 30
    text = log_text(spec)
    assert len(text.encode()) <= cap + 200
    assert text.splitlines()[-1].endswith(
        f"[cairn] log truncated: it reached {cap} bytes; further output is dropped"
    )
    assert record.log_tail[-1] == "the-end"  # the record's tail still sees the real end


def test_processes_left_behind_by_a_finished_command_are_stopped(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "sleep 100 & echo done", grace=2.0)
    started = time.monotonic()
    record = run_step(spec)
    assert record.status == "Completed" and record.log_tail == ["done"]
    assert time.monotonic() - started < 10
    assert survivors(spec.workdir) == []


def test_a_step_that_already_ended_is_not_run_again(tmp_path: Path) -> None:
    spec = make_spec(tmp_path, "echo ran >> ../count")
    first = run_step(spec)
    second = run_step(spec)
    assert second == first
    assert (Path(spec.workdir) / "count").read_text() == "ran\n"


def test_python_bin_comes_first_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "envbin"
    bin_dir.mkdir()
    tool = bin_dir / "which-env"
    tool.write_text("#!/bin/sh\necho from-env-bin\n")
    tool.chmod(0o755)
    spec = make_spec(tmp_path, "which-env", python_bin=str(bin_dir))
    record = run_step(spec)
    assert record.status == "Completed", record.message
    assert record.log_tail == ["from-env-bin"]
    assert isinstance(StepRecord.read(spec.workdir), StepRecord)
