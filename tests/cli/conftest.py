"""Run the real `cairn` executable in a subprocess, against a Cairn home of the test module's own
(its server is started by the first call that needs it and stopped when the module ends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

CAIRN = Path(sys.executable).parent / "cairn"
TERMINAL = {"Completed", "Failed", "Canceled"}


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run_cairn(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    proc = subprocess.run(
        [str(CAIRN), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cairn() -> type[Result]:
    assert CAIRN.exists(), f"the cairn console script is not installed at {CAIRN}"
    return Result


@dataclass
class Cairn:
    """`cairn` bound to one Cairn home and a project folder (the working directory)."""

    home: Path
    project: Path
    env: dict[str, str] = field(default_factory=dict)

    def __call__(self, *args: str, timeout: float = 120) -> Result:
        return run_cairn(
            *args, cwd=self.project, env={"CAIRN_HOME": str(self.home), **self.env}, timeout=timeout
        )

    def ok(self, *args: str, timeout: float = 120) -> Result:
        result = self(*args, timeout=timeout)
        assert result.code == 0, f"cairn {' '.join(args)} → {result.code}\n{result.err}"
        assert "Traceback" not in result.err
        return result

    def write(self, name: str, text: str) -> Path:
        path = self.project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def status(self, job: str) -> str:
        return self.ok("job", "show", "-n", job, "--query", "status", "-o", "tsv").out.strip()

    def wait(self, job: str, timeout: float = 60, until: set[str] = TERMINAL) -> str:
        deadline = time.monotonic() + timeout
        while (status := self.status(job)) not in until:
            assert time.monotonic() < deadline, f"{job} still {status} after {timeout} s"
            time.sleep(0.3)
        return status

    def stop(self) -> None:
        from cairn.client.local import stop_server
        from cairn.home import Home

        stop_server(Home(self.home))


def make_cairn(root: Path) -> Cairn:
    assert CAIRN.exists(), f"the cairn console script is not installed at {CAIRN}"
    (root / "project").mkdir(parents=True, exist_ok=True)
    return Cairn(home=root / "home", project=root / "project")


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cairn]:
    """A Cairn home and project folder for the whole test module."""
    bound = make_cairn(tmp_path_factory.mktemp("cairn"))
    try:
        yield bound
    finally:
        bound.stop()


ENV = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
"""A curated environment: runs with the server's own interpreter."""

HELLO = """
$schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
type: pipeline
display_name: hello
experiment_name: cli-tests
settings:
  default_compute: azureml:local
inputs:
  greeting: hello
outputs:
  final:
    type: uri_folder
jobs:
  make:
    type: command
    command: echo ${{inputs.word}} > ${{outputs.out}}/word.txt
    environment: @ENV@
    inputs:
      word: ${{parent.inputs.greeting}}
    outputs:
      out:
        type: uri_folder
  shout:
    type: command
    command: cat ${{inputs.src}}/word.txt && tr a-z A-Z < ${{inputs.src}}/word.txt > ${{outputs.out}}/loud.txt
    environment: @ENV@
    inputs:
      src: ${{parent.jobs.make.outputs.out}}
    outputs:
      out: ${{parent.outputs.final}}
""".replace("@ENV@", ENV)
