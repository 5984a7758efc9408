"""Local mode: the CLI finds — or starts — the server of its Cairn home, exactly one however many
calls race for it, and recovers from a killed server or a stale `server.json`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cairn import __version__

from .conftest import CAIRN, ENV, HELLO, Cairn, make_cairn

if TYPE_CHECKING:
    from collections.abc import Iterator

NAP = """
type: pipeline
settings:
  default_compute: local
outputs:
  result:
    type: uri_folder
jobs:
  nap:
    type: command
    command: echo started >> @MARKER@ && sleep 4 && echo rested > ${{outputs.out}}/rested.txt
    environment: @ENV@
    outputs:
      out: ${{parent.outputs.result}}
"""


def server_info(cli: Cairn) -> dict[str, object]:
    info = json.loads((cli.home / "run" / "server.json").read_text())
    assert isinstance(info, dict)
    return info


def server_pids(home: Path) -> list[int]:
    """Live `python -m cairn.server --home HOME` processes (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if b"cairn.server" in argv and str(home).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Cairn]:
    bound = make_cairn(tmp_path)
    yield bound
    bound.stop()


def test_first_call_starts_the_server_and_runs_the_job(fresh: Cairn) -> None:
    assert not (fresh.home / "run" / "server.json").exists()
    fresh.write("hello.yml", HELLO)
    result = fresh("job", "create", "--file", "hello.yml", "--stream")
    assert result.code == 0, result.err
    assert ": Completed" in result.out
    assert any(
        line.startswith("[shout] ") and line.endswith(" hello") for line in result.out.splitlines()
    )
    pid = server_info(fresh)["pid"]
    assert isinstance(pid, int) and server_pids(fresh.home) == [pid]


def test_ten_concurrent_first_calls_start_exactly_one_server(fresh: Cairn) -> None:
    env = {**os.environ, "CAIRN_HOME": str(fresh.home)}
    calls = [
        subprocess.Popen(
            [str(CAIRN), "workspace", "list", "--query", "[].name", "-o", "tsv"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(10)
    ]
    answers = [call.communicate(timeout=120) for call in calls]
    assert [call.returncode for call in calls] == [0] * 10, [err for _, err in answers]
    assert all(out == "default\n" for out, _ in answers)
    assert server_pids(fresh.home) == [server_info(fresh)["pid"]]


def test_kill_9_of_the_server_loses_nothing(fresh: Cairn, tmp_path: Path) -> None:
    marker = tmp_path / "starts.txt"
    fresh.write("nap.yml", NAP.replace("@MARKER@", str(marker)).replace("@ENV@", ENV))
    fresh.write("hello.yml", HELLO)
    earlier = fresh.ok("job", "create", "-f", "hello.yml", "--query", "name", "-o", "tsv")
    fresh.wait(earlier.out.strip())
    name = fresh.ok("job", "create", "-f", "nap.yml", "--query", "name", "-o", "tsv").out.strip()
    step = fresh.ok("job", "list", "-p", name, "--query", "[0].name", "-o", "tsv").out.strip()
    fresh.wait(step, until={"Running"})
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert time.monotonic() < deadline, "the step never started its command"
        time.sleep(0.1)
    old = server_info(fresh)["pid"]
    assert isinstance(old, int)
    os.kill(old, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while _alive(old):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # Any call brings a new server up; the step that was running finishes under it.
    assert fresh.status(name) in ("Running", "Completed")
    new = server_info(fresh)["pid"]
    assert new != old and server_pids(fresh.home) == [new]
    assert fresh.wait(name, timeout=60) == "Completed"
    assert marker.read_text().splitlines() == ["started"], "the step ran twice"
    fresh.ok("job", "download", "-n", name, "--output-name", "result", "-p", "out")
    assert (fresh.project / "out/named-outputs/result/rested.txt").read_text() == "rested\n"
    names = fresh.ok("job", "list", "--query", "[].name", "-o", "tsv").out.split()
    assert {earlier.out.strip(), name} <= set(names)


def test_a_server_json_with_a_dead_pid_is_replaced(fresh: Cairn) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    run = fresh.home / "run"
    run.mkdir(parents=True)
    (run / "server.json").write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "host": "127.0.0.1",
                "port": 9,
                "url": "http://127.0.0.1:9",
                "version": __version__,
                "started_at": 0,
            }
        )
    )
    assert fresh.ok("workspace", "list", "--query", "[].name", "-o", "tsv").out == "default\n"
    info = server_info(fresh)
    assert info["pid"] != dead.pid and server_pids(fresh.home) == [info["pid"]]


def test_a_server_of_another_version_is_replaced(fresh: Cairn) -> None:
    fresh.ok("workspace", "list")
    info = server_info(fresh)
    old = info["pid"]
    assert isinstance(old, int)
    (fresh.home / "run" / "server.json").write_text(json.dumps({**info, "version": "0.0.0"}))
    fresh.ok("workspace", "list")
    info = server_info(fresh)
    assert info["version"] == __version__ and info["pid"] != old
    assert not _alive(old) and server_pids(fresh.home) == [info["pid"]]
