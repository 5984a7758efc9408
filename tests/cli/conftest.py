"""Run the real `cairn` executable in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CAIRN = Path(sys.executable).parent / "cairn"


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cairn(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run(
        [str(CAIRN), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", **(env or {})},
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cairn() -> type[Result]:
    assert CAIRN.exists(), f"the cairn console script is not installed at {CAIRN}"
    return Result
