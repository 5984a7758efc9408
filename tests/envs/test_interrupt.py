"""Interrupted builds: a server killed mid-build, a step launcher killed mid-build. Nothing is
ever marked ready before its build completed, and the next build starts over cleanly, stopping
what the interrupted one left running. (A build blocks in a local package's build backend until
the test releases it, so each kill lands mid-build.)"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from cairn.client.local import connect
from cairn.envs.folders import ready
from cairn.envs.spec import Request
from cairn.launcher import control
from cairn.server.run import read_server_file

from .conftest import Project, Served, SlowPackage, alive, conda_env, wait_for


def slow_pipeline(project: Project, package: SlowPackage) -> tuple[Path, str]:
    project.conda("slow-env", package.requirement)
    path = project.pipeline("slow", {"slow": (conda_env("slow-env.yml"), "slowpkg")})
    return path, Request(None, (package.requirement,)).identity


def test_a_killed_server_leaves_nothing_ready_and_the_build_completes_once(
    own_server: Served, project: Project, slow_package: SlowPackage
) -> None:
    path, identity = slow_pipeline(project, slow_package)
    job = own_server.api.create_job(path)["name"]
    slow_package.wait_started()
    info = read_server_file(own_server.home)
    assert info is not None
    os.kill(int(info["pid"]), signal.SIGKILL)
    os.waitpid(int(info["pid"]), 0)  # this process started it
    assert ready(own_server.home.envs, identity) is None

    # The step's launcher runs on (steps survive their server); its build ends only when let go.
    slow_package.release()
    built = wait_for(lambda: ready(own_server.home.envs, identity), 60, "the build to finish")
    assert any(p.startswith("slowpkg") for p in built.packages)

    api = connect(own_server.home)  # a new server adopts the step
    try:
        api.wait_job(job, timeout=60)
        shown = api.show_job(job)
        assert shown["status"] == "Completed"
        step = api.show_job(shown["jobs"]["slow"]["name"])
        assert step["properties"]["environment_lock"]["built"] is True
        assert "imported slowpkg" in api.job_logs(job, "slow")
    finally:
        api.close()


def test_a_killed_launcher_leaves_nothing_ready_and_the_next_build_starts_over(
    own_server: Served, project: Project, slow_package: SlowPackage
) -> None:
    api = own_server.api
    path, identity = slow_pipeline(project, slow_package)
    first = api.create_job(path)["name"]
    backend = slow_package.wait_started()

    def workdir() -> str | None:
        step = api.show_job(first).get("jobs", {}).get("slow")
        return api.show_job(step["name"])["properties"].get("workdir") if step else None

    pids = control.read_pids(Path(wait_for(workdir, 30, "the step's work folder")))
    assert "launcher_pid" in pids
    os.kill(int(pids["launcher_pid"]), signal.SIGKILL)
    api.wait_job(first, timeout=60)
    shown = api.show_job(first)
    assert shown["status"] == "Failed"
    assert api.show_job(shown["jobs"]["slow"]["name"])["properties"]["reason"] == "lost"
    assert ready(own_server.home.envs, identity) is None
    assert alive(backend), "the killed launcher's build is still running on its own"

    slow_package.started.unlink()
    second = api.create_job(path)["name"]
    restarted = slow_package.wait_started()
    assert restarted != backend
    assert not alive(backend), "the next build stopped what the interrupted one left running"
    slow_package.release()
    api.wait_job(second, timeout=60)
    shown = api.show_job(second)
    assert shown["status"] == "Completed"
    log = api.job_logs(second, "slow")
    assert "stopping the processes an interrupted build left running" in log
    assert "removing an unfinished build" in log
    assert "imported slowpkg" in log
    step = api.show_job(shown["jobs"]["slow"]["name"])
    assert step["properties"]["environment_lock"]["built"] is True
    assert ready(own_server.home.envs, identity) is not None


def test_cancelling_a_step_stops_its_build(
    own_server: Served, project: Project, slow_package: SlowPackage
) -> None:
    api = own_server.api
    path, identity = slow_pipeline(project, slow_package)
    job = api.create_job(path)["name"]
    backend = slow_package.wait_started()
    api.cancel_job(job)
    api.wait_job(job, timeout=60)
    shown = api.show_job(job)
    assert shown["status"] == "Canceled"
    step = api.show_job(shown["jobs"]["slow"]["name"])
    assert step["status"] == "Canceled"
    assert step["properties"]["reason"] == "canceled"
    assert "canceled while preparing the environment" in step["properties"]["message"]
    wait_for(lambda: not alive(backend), 10, "the build to be stopped")
    assert ready(own_server.home.envs, identity) is None
