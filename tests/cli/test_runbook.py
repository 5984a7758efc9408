"""`runbook.sh`, a CI script written as for `az ml`, runs unchanged against Cairn."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .conftest import CAIRN, HELLO

if TYPE_CHECKING:
    from .conftest import Cairn

RUNBOOK = Path(__file__).with_name("runbook.sh")
FAILING = HELLO.replace("tr a-z A-Z <", "exit 5 &&")


def runbook(cli: Cairn, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CAIRN_HOME": str(cli.home),
        "PATH": f"{CAIRN.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        ["bash", str(RUNBOOK), *args],
        cwd=cli.project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_the_runbook_submits_waits_lists_and_downloads(cli: Cairn) -> None:
    cli.write("pipeline.yml", HELLO)
    done = runbook(cli, "pipeline.yml", "final", "results")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    run_id = lines[0].removeprefix("submitted: ")
    assert "status: Completed" in lines
    steps = sorted(line.split()[1:] for line in lines if line.startswith("step: "))
    assert steps == [[f"{run_id}.make", "Completed"], [f"{run_id}.shout", "Completed"]]
    assert lines[-1] == "loud.txt"
    assert (cli.project / "results/named-outputs/final/loud.txt").read_text().strip() == "HELLO"


def test_the_runbook_fails_when_the_job_fails(cli: Cairn) -> None:
    cli.write("failing.yml", FAILING)
    failed = runbook(cli, "failing.yml", "final", "never")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "status: Failed" in failed.stdout.splitlines()
    assert not (cli.project / "never").exists()
