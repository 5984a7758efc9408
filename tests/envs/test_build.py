"""Building environments directly (no server): real uv builds, the lock that makes a version
immutable, prune, cancel, and the conda → PyPI translation."""

from __future__ import annotations

import io
import os
import sys
import threading
from pathlib import Path

import pytest

from cairn.envs.build import BuildCanceled, EnvironmentBuildFailed, ensure, interpreter
from cairn.envs.folders import Built, hold, ready, saved_lock
from cairn.envs.prune import prune
from cairn.envs.spec import Request, from_conda
from cairn.errors import InvalidSpec, Unsupported

from .conftest import SlowPackage, alive, wait_for

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"


def conda(*entries: object) -> Request:
    return from_conda({"name": "x", "channels": ["conda-forge"], "dependencies": list(entries)})


def test_conda_file_to_pypi_requirements() -> None:
    request = conda(
        f"python={PYTHON}.1",
        "pip",
        "numpy=1.26",
        "conda-forge::scikit-learn>=1.4",
        "pytorch==2.1.0",
        "msgpack-python",
        {"pip": ["tabulate==0.9.0", "# a comment", "--index-url https://example.org/simple"]},
    )
    assert request.python == PYTHON
    assert request.requirements == (
        "numpy==1.26.*",
        "scikit-learn>=1.4",
        "torch==2.1.0",
        "msgpack",
        "tabulate==0.9.0",
    )
    assert request.notes == (
        f"python={PYTHON}.1 matched by any Python {PYTHON} interpreter on this machine",
        "conda package pytorch installed from PyPI as torch",
        "conda package msgpack-python installed from PyPI as msgpack",
    )
    # The identity is the normalised content: order of requirements does not matter.
    same = conda(
        f"python={PYTHON}", {"pip": ["tabulate==0.9.0"]}, "msgpack-python", "pytorch==2.1.0"
    )
    same = Request(same.python, (*same.requirements, "scikit-learn>=1.4", "numpy==1.26.*"))
    assert same.identity == request.identity
    assert conda({"pip": ["six"]}).identity != conda({"pip": ["six", "idna"]}).identity


def test_python_pins_and_ranges() -> None:
    assert conda("python").python is None
    assert conda("python>=3.8,<4").python == ">=3.8,<4"
    assert conda("python 3.10").python == "3.10"
    assert conda("python==3.12.*").python == "3.12"
    with pytest.raises(InvalidSpec, match="python version"):
        conda("python=three")
    # The server's interpreter when it fits; otherwise uv is asked for one on this machine.
    assert interpreter(None) == sys.executable
    assert interpreter(PYTHON) == sys.executable
    assert interpreter(">=3.8,<4") == sys.executable
    assert interpreter(f"~={PYTHON}") == sys.executable
    assert interpreter("3.99") == "3.99"
    assert interpreter("<3.0") == "<3.0"


def test_conda_only_packages_are_refused_by_name() -> None:
    with pytest.raises(Unsupported) as info:
        conda("python=3.11", "cudatoolkit=11.8", "libgcc-ng", "numpy", {"pip": ["six"]})
    assert "cudatoolkit, libgcc-ng" in info.value.message
    assert "no PyPI equivalent" in info.value.message
    assert info.value.hint is not None and "prepared" in info.value.hint


def test_build_once_then_reuse(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    request = conda({"pip": ["six"]})
    log = io.StringIO()
    built = ensure(request, envs, log)
    assert not built.reused
    assert any(line.startswith("six==") for line in built.packages)
    assert "$ " in log.getvalue() and "environment ready in" in log.getvalue()
    assert ready(envs, request.identity) is not None
    assert saved_lock(envs, request.identity) == built.packages

    again = io.StringIO()
    second = ensure(request, envs, again)
    assert second.reused and second.packages == built.packages
    assert again.getvalue() == ""  # nothing built, nothing to say


def test_a_rebuild_installs_exactly_the_first_builds_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """idna>=3 resolved when 3.6 was the newest; pruned; rebuilt today: still 3.6."""
    envs = tmp_path / "envs"
    request = conda({"pip": ["idna>=3"]})
    monkeypatch.setenv("UV_EXCLUDE_NEWER", "2024-01-01T00:00:00Z")  # the index as it was then
    first = ensure(request, envs, io.StringIO())
    assert "idna==3.6" in first.packages
    monkeypatch.delenv("UV_EXCLUDE_NEWER")

    removed = prune(envs, older_than_s=0)
    assert [p.identity for p in removed] == [request.identity]
    assert removed[0].size_bytes > 0 and removed[0].finished
    assert ready(envs, request.identity) is None
    assert saved_lock(envs, request.identity) == first.packages  # the lock outlives the build

    log = io.StringIO()
    rebuilt = ensure(request, envs, log)
    assert not rebuilt.reused
    assert rebuilt.packages == first.packages == ("idna==3.6",)
    assert "installing the locked package set (1 package)" in log.getvalue()
    assert "uv pip sync" in log.getvalue()
    # The index has newer versions: a build of a new identity with the same range gets one.
    fresh = ensure(conda({"pip": ["idna>=3", "six"]}), envs, io.StringIO())
    assert "idna==3.6" not in fresh.packages


def test_prune_spares_environments_in_use_and_recent_ones(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    used = conda({"pip": ["six"]})
    idle = conda({"pip": ["tabulate"]})
    in_use = hold(envs, used.identity)  # as a running step holds it
    ensure(used, envs, io.StringIO())
    ensure(idle, envs, io.StringIO())
    try:
        assert prune(envs, older_than_s=3600) == []  # both used just now
        removed = prune(envs, older_than_s=0)
        assert [p.identity for p in removed] == [idle.identity]
        assert ready(envs, used.identity) is not None
    finally:
        os.close(in_use)
    assert [p.identity for p in prune(envs, older_than_s=0)] == [used.identity]
    assert sorted(p.name for p in envs.iterdir()) == [".run", ".trash", "locks"]
    assert list((envs / ".trash").iterdir()) == []


def test_an_unfinished_build_is_never_ready_and_is_pruned(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    request = conda({"pip": ["six"]})
    folder = envs / request.identity.split(":", 1)[1]
    (folder / "bin").mkdir(parents=True)
    (folder / "bin" / "python").symlink_to(sys.executable)
    assert ready(envs, request.identity) is None
    removed = prune(envs, older_than_s=10**9)  # unfinished: removed whatever its age
    assert [(p.identity, p.finished) for p in removed] == [(request.identity, False)]
    # A ready.json whose interpreter is gone does not count either.
    built = ensure(request, envs, io.StringIO())
    (built.bin / "python").unlink()
    assert ready(envs, request.identity) is None
    log = io.StringIO()
    assert not ensure(request, envs, log).reused
    assert "removing an unfinished build" in log.getvalue()


def test_cancel_stops_the_build_and_its_processes(
    tmp_path: Path, slow_package: SlowPackage
) -> None:
    envs = tmp_path / "envs"
    request = Request(None, (slow_package.requirement,))
    cancel = threading.Event()
    errors: list[BaseException] = []

    def build() -> None:
        try:
            ensure(request, envs, io.StringIO(), cancelled=cancel.is_set)
        except BaseException as error:  # handed to the test's thread
            errors.append(error)

    thread = threading.Thread(target=build)
    thread.start()
    backend = slow_package.wait_started()
    cancel.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], BuildCanceled)
    wait_for(lambda: not alive(backend), 10, "the build backend to be stopped")
    assert ready(envs, request.identity) is None
    assert not (envs / request.identity.split(":", 1)[1]).exists()


def test_a_failed_build_says_why_and_leaves_nothing(tmp_path: Path) -> None:
    envs = tmp_path / "envs"
    request = conda({"pip": ["cairn-no-such-package-anywhere==1.0"]})
    log = io.StringIO()
    with pytest.raises(EnvironmentBuildFailed, match="could not install the environment") as info:
        ensure(request, envs, log)
    assert "cairn-no-such-package-anywhere" in info.value.message
    assert "cairn-no-such-package-anywhere" in log.getvalue()  # uv's own explanation
    assert not (envs / request.identity.split(":", 1)[1]).exists()
    assert saved_lock(envs, request.identity) == ()


def test_a_second_builder_waits_for_the_first(tmp_path: Path, slow_package: SlowPackage) -> None:
    envs = tmp_path / "envs"
    request = Request(None, (slow_package.requirement,))
    logs = [io.StringIO(), io.StringIO()]
    results: list[Built | None] = [None, None]

    def build(i: int) -> None:
        results[i] = ensure(request, envs, logs[i])

    first = threading.Thread(target=build, args=(0,))
    first.start()
    slow_package.wait_started()
    second = threading.Thread(target=build, args=(1,))
    second.start()
    wait_for(lambda: "waiting for another build" in logs[1].getvalue(), 10, "the second to wait")
    slow_package.release()
    first.join(timeout=60)
    second.join(timeout=60)
    built = [r for r in results if r is not None]
    assert len(built) == 2
    assert [r.reused for r in built] == [False, True]
    assert "$ " not in logs[1].getvalue()
