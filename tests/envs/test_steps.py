"""Environments through a real server: steps run in the environment their conda file asks for,
built once per specification in the step's Preparing phase, recorded with the step."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

from cairn.envs.build import ensure, ready
from cairn.envs.spec import Request
from cairn.errors import NotFound, Unsupported

from .conftest import Project, Served, conda_env

CURATED = "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
REGISTRY = "azureml://registries/azureml/environments/sklearn-1.5/labels/latest"


def environment_lines(log: str) -> list[str]:
    return [line for line in log.splitlines() if "[environment]" in line]


def test_a_package_from_the_conda_file_is_installed_and_imported(
    served: Served, project: Project
) -> None:
    assert importlib.util.find_spec("tabulate") is None, "the server must not have it already"
    project.conda("hello-env", "tabulate")
    job = served.run(project.pipeline("hello", {"hello": (conda_env("hello-env.yml"), "tabulate")}))
    assert job["status"] == "Completed"
    step = served.step(job, "hello")
    lock = step["properties"]["environment_lock"]
    assert lock["strategy"] == "venv" and lock["built"] is True
    assert lock["identity"].startswith("env:")
    assert any(p.startswith("tabulate==") for p in lock["packages"])
    assert step["properties"]["environment"] == (
        "inline environment: a venv built from its conda file"
    )
    log = served.log(job, "hello")
    assert f"imported tabulate from {lock['folder']}/lib/" in log
    assert f"python {lock['folder']}/bin/python" in log
    build = environment_lines(log)
    assert any("uv pip install" in line for line in build)
    assert "environment ready in" in build[-1]
    statuses = [s["status"] for s in step["status_history"]]
    assert statuses.index("Preparing") < statuses.index("Running")  # built while Preparing


def test_two_steps_with_the_same_specification_build_once(served: Served, project: Project) -> None:
    project.conda("twin-env", "six")
    env = conda_env("twin-env.yml")
    job = served.run(project.pipeline("twins", {"twin_a": (env, "six"), "twin_b": (env, "six")}))
    assert job["status"] == "Completed"
    locks = {n: served.step(job, n)["properties"]["environment_lock"] for n in ("twin_a", "twin_b")}
    assert locks["twin_a"]["identity"] == locks["twin_b"]["identity"]
    assert sorted(lock["built"] for lock in locks.values()) == [False, True]
    folder = Path(locks["twin_a"]["folder"])
    assert [p for p in served.ready_envs() if p == folder] == [folder]
    builder = next(n for n, lock in locks.items() if lock["built"])
    other = next(n for n, lock in locks.items() if not lock["built"])
    assert any("$ " in line for line in environment_lines(served.log(job, builder)))
    other_lines = environment_lines(served.log(job, other))
    assert not any("$ " in line for line in other_lines)  # no build in the second step's log
    assert other_lines[-1].endswith(f"using {locks[other]['identity']}, built earlier: 1 package")


def test_a_changed_specification_builds_a_new_environment_and_changes_the_reuse_key(
    served: Served, project: Project
) -> None:
    project.conda("evolving-env", "termcolor")
    pipeline = project.pipeline(
        "evolving", {"evolving": (conda_env("evolving-env.yml"), "termcolor")}
    )
    first = served.run(pipeline)
    before = served.step(first, "evolving")["properties"]["environment_lock"]
    project.conda("evolving-env", "termcolor", "six")
    second = served.run(pipeline)
    assert second["status"] == "Completed"
    assert second["jobs"]["evolving"]["why"] == "ran: environment changed"
    after = served.step(second, "evolving")["properties"]["environment_lock"]
    assert after["built"] is True and after["identity"] != before["identity"]
    assert {Path(before["folder"]), Path(after["folder"])} <= set(served.ready_envs())
    explained = served.api.explain_reuse(second["name"], "evolving")
    assert explained["key"] != explained["candidate"]["key"]
    assert [d["part"] for d in explained["differences"]] == ["environment"]
    assert any(p.startswith("six==") for p in after["packages"])


def test_a_conda_only_package_is_refused_at_submission(served: Served, project: Project) -> None:
    project.conda("cuda-env", "six", conda=("cudatoolkit=11.8",))
    pipeline = project.pipeline("cuda", {"cuda": (conda_env("cuda-env.yml"), "six")})
    with pytest.raises(Unsupported, match=r"no PyPI equivalent.*: cudatoolkit"):
        served.api.create_job(pipeline)


def test_an_interpreter_not_on_this_machine_fails_the_step_with_uvs_message(
    served: Served, project: Project
) -> None:
    project.conda("future-env", "six", python="3.99")
    job = served.run(project.pipeline("future", {"future": (conda_env("future-env.yml"), "six")}))
    assert job["status"] == "Failed"
    step = served.step(job, "future")
    assert step["properties"]["reason"] == "environment"
    assert "could not create the environment" in step["properties"]["message"]
    assert "3.99" in step["properties"]["message"]
    log = served.log(job, "future")
    assert "No interpreter found for Python 3.99" in log
    assert ready(served.home.envs, Request("3.99", ("six",)).identity) is None


def test_a_curated_environment_inherits_the_servers_python_and_says_so(
    served: Served, project: Project
) -> None:
    job = served.run(project.pipeline("curated", {"curated": (CURATED, "idna")}))
    assert job["status"] == "Completed"
    step = served.step(job, "curated")
    assert step["properties"]["environment"] == (
        "curated or registry environment: runs in the server's own Python environment"
    )
    assert step["properties"]["environment_lock"] == {
        "strategy": "inherit",
        "identity": "curated:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest",
        "bin": str(Path(sys.executable).parent),
    }
    assert f"python {Path(sys.executable).parent}/python" in served.log(job, "curated")
    assert environment_lines(served.log(job, "curated")) == []


def test_the_workspace_maps_a_registry_name_to_a_prepared_environment(
    served: Served, project: Project, tmp_path: Path
) -> None:
    prepared = ensure(Request(None, ("tabulate",)), tmp_path / "prepared", io.StringIO())
    mapping = served.home.workspace("default") / "environments.yml"
    mapping.parent.mkdir(parents=True, exist_ok=True)
    try:
        mapping.write_text(f"sklearn-1.5: {{bin: {prepared.bin}}}\n")
        job = served.run(project.pipeline("mapped", {"mapped": (REGISTRY, "tabulate")}))
        assert job["status"] == "Completed"
        step = served.step(job, "mapped")
        assert step["properties"]["environment"] == (
            "environment sklearn-1.5 mapped by the workspace (environments.yml) to the "
            f"prepared environment {prepared.bin}"
        )
        assert step["properties"]["environment_lock"]["bin"] == str(prepared.bin)
        assert f"imported tabulate from {prepared.folder}/lib/" in served.log(job, "mapped")

        # A registry name mapped to a conda file (built like any), an image by its name.
        project.conda("stand-in", "six")
        image = "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py39-cpu-inference:latest"
        mapping.write_text(
            f"pytorch-2.0: {{strategy: venv, conda_file: {project.root / 'stand-in.yml'}}}\n"
            f"{image.rsplit(':', 1)[0]}: {{bin: {prepared.bin}}}\n"
        )
        torch = REGISTRY.replace("sklearn-1.5", "pytorch-2.0")
        image_env = f"\n      image: {image}"
        job = served.run(
            project.pipeline("more", {"torch": (torch, "six"), "image": (image_env, "tabulate")})
        )
        assert job["status"] == "Completed"
        torch_step = served.step(job, "torch")["properties"]
        assert torch_step["environment"] == (
            "environment pytorch-2.0 mapped by the workspace (environments.yml): "
            "a venv built from its conda file"
        )
        assert torch_step["environment_lock"]["strategy"] == "venv"
        assert "imported six from" in served.log(job, "torch")
        assert served.step(job, "image")["properties"]["environment_lock"]["bin"] == str(
            prepared.bin
        )
        assert f"imported tabulate from {prepared.folder}/lib/" in served.log(job, "image")

        mapping.write_text("sklearn-1.5: {strategy: container}\n")
        with pytest.raises(Unsupported, match="needs a container runtime"):
            served.api.create_job(project.root / "mapped.yml")
        mapping.write_text("sklearn-1.5: {bin: /nonexistent/bin}\n")
        with pytest.raises(NotFound, match="/nonexistent/bin, which does not exist"):
            served.api.create_job(project.root / "mapped.yml")
    finally:
        mapping.unlink(missing_ok=True)
