"""Fixtures for environment tests: real uv builds from the package index this machine reaches,
a real Cairn server, and a package whose build waits for a signal (to interrupt a build at a
known point without timing guesses).

Builds are kept few and small: tiny pure-Python packages (`tabulate`, `six`, `termcolor`,
`idna`) that the server's own environment does not have, so that importing one proves the step
ran in its built environment.
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cairn.client.local import connect, start_server, stop_server
from cairn.home import Home

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from cairn.client import Client

TERMINAL = {"Completed", "Failed", "Canceled"}

STEP = """\
import importlib, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    print("imported", name, "from", module.__file__)
print("python", sys.executable)
"""

# A PEP 517 backend kept in the package's own folder: `build_wheel` says it started, waits for a
# `go` file, then writes a one-module wheel. Needs nothing from the index.
SLOW_BACKEND = """\
import base64, hashlib, os, time, zipfile
from pathlib import Path

HERE = Path(__file__).parent


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    (HERE / "started").write_text(str(os.getpid()))
    deadline = time.time() + 300
    while not (HERE / "go").exists() and time.time() < deadline:
        time.sleep(0.02)
    name = "slowpkg-1.0-py3-none-any.whl"
    files = {
        "slowpkg.py": "VALUE = 42\\n",
        "slowpkg-1.0.dist-info/METADATA": "Metadata-Version: 2.1\\nName: slowpkg\\nVersion: 1.0\\n",
        "slowpkg-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
        ),
    }
    record = []
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as wheel:
        for path, text in files.items():
            data = text.encode()
            wheel.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{path},sha256={digest.decode()},{len(data)}")
        record.append("slowpkg-1.0.dist-info/RECORD,,")
        wheel.writestr("slowpkg-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return name
"""

SLOW_PYPROJECT = """\
[build-system]
requires = []
build-backend = "slow_backend"
backend-path = ["."]

[project]
name = "slowpkg"
version = "1.0"
"""


@dataclass(frozen=True)
class SlowPackage:
    """A local package whose build blocks until `release()`."""

    folder: Path

    @property
    def requirement(self) -> str:
        return f"slowpkg @ {self.folder.as_uri()}"

    @property
    def started(self) -> Path:
        return self.folder / "started"

    def wait_started(self, timeout: float = 60) -> int:
        """The pid of the build backend, once it runs."""
        wait_for(self.started.exists, timeout, "the slow package's build to start")
        return int(self.started.read_text())

    def release(self) -> None:
        (self.folder / "go").write_text("go")


@pytest.fixture
def slow_package(tmp_path: Path) -> Iterator[SlowPackage]:
    folder = tmp_path / "slowpkg"
    folder.mkdir()
    (folder / "pyproject.toml").write_text(SLOW_PYPROJECT)
    (folder / "slow_backend.py").write_text(SLOW_BACKEND)
    package = SlowPackage(folder)
    yield package
    package.release()  # whatever still waits (a test that failed half-way) ends


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Project:
    """A folder of pipeline, component and conda files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.write("src/step.py", STEP)

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def conda(
        self, name: str, *pip: str, python: str | None = None, conda: tuple[str, ...] = ()
    ) -> Path:
        lines = [f"name: {name}", "channels: [conda-forge]", "dependencies:"]
        lines += [f"  - python={python}"] if python else []
        lines += [f"  - {c}" for c in conda]
        lines += ["  - pip", "  - pip:"] + [f"      - {p}" for p in pip]
        return self.write(f"{name}.yml", "\n".join(lines) + "\n")

    def pipeline(self, name: str, steps: dict[str, tuple[str, str]]) -> Path:
        """`steps`: node name → (environment YAML, space-separated modules the step imports)."""
        jobs = "".join(
            f"""
  {node}:
    type: command
    code: ./src
    command: python step.py {imports}
    environment: {environment}"""
            for node, (environment, imports) in steps.items()
        )
        return self.write(f"{name}.yml", f"type: pipeline\ncompute: local\njobs:{jobs}\n")


def conda_env(conda_file: str) -> str:
    """An inline environment: an image (not used: no containers) and a conda file."""
    return (
        "\n      image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
        f"\n      conda_file: ./{conda_file}"
    )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


@dataclass
class Served:
    home: Home
    api: Client

    def run(self, path: Path, timeout: float = 120) -> dict[str, Any]:
        job = self.api.create_job(path)
        self.api.wait_job(job["name"], timeout=timeout)
        shown = self.api.show_job(job["name"])
        assert shown["status"] in TERMINAL, shown["status"]
        return shown

    def step(self, job: dict[str, Any], node: str) -> dict[str, Any]:
        """The step's own job (its properties hold the environment it ran in)."""
        return self.api.show_job(job["jobs"][node]["name"])

    def log(self, job: dict[str, Any], node: str) -> str:
        return self.api.job_logs(job["name"], node)

    def ready_envs(self) -> list[Path]:
        return sorted(p.parent for p in self.home.envs.glob("*/ready.json"))


def serve(root: Path) -> Iterator[Served]:
    home = Home(root / "home")
    start_server(home)
    api = connect(home)
    try:
        yield Served(home, api)
    finally:
        api.close()
        stop_server(home)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server (and Cairn home) for a test module."""
    yield from serve(tmp_path_factory.mktemp("envs"))


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Served]:
    """A server for one test (one that kills it)."""
    yield from serve(tmp_path)
