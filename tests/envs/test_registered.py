"""Registered environment versions through the real CLI: `environment show` prints the build's
lock, `environment prune` removes builds no step used lately, and a pruned version rebuilds to
exactly its first lock. And Azure's published shape of a component whose conda file installs a
package runs as it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import Project, Served

CAIRN = Path(sys.executable).parent / "cairn"


def cairn(served: Served, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(CAIRN), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CAIRN_HOME": str(served.home.root), "NO_COLOR": "1", "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def show(served: Served, name: str, version: str) -> dict[str, Any]:
    out = cairn(served, "environment", "show", "-n", name, "-v", version, "-o", "json").stdout
    result: dict[str, Any] = json.loads(out)
    return result


def test_show_prints_the_lock_and_a_pruned_version_rebuilds_to_it(
    served: Served, project: Project
) -> None:
    project.conda("tools-conda", "toolz")
    env_file = project.write(
        "tools-env.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: tools
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
        conda_file: ./tools-conda.yml
        """,
    )
    cairn(served, "environment", "create", "--file", str(env_file))
    before = show(served, "tools", "1")
    assert (before["strategy"], before["built"], before["lock"]) == ("venv", False, [])
    assert before["requirements"] == ["toolz"]

    pipeline = project.pipeline("tools", {"tools": ("azureml:tools:1", "toolz")})
    first = served.run(pipeline)
    assert first["status"] == "Completed"
    ran = served.step(first, "tools")["properties"]["environment_lock"]
    built = show(served, "tools", "1")
    assert built["built"] is True
    assert built["lock"] == ran["packages"]
    assert built["environment_identity"] == ran["identity"]
    assert any(line.startswith("toolz==") for line in built["lock"])

    recent = cairn(served, "environment", "prune", "--older-than", "30d").stdout
    assert recent.strip() == "removed 0 built environments, freed 0.0 MB"
    pruned = cairn(served, "environment", "prune", "--older-than", "0s").stdout
    assert ran["identity"] in pruned
    assert "freed" in pruned.splitlines()[-1]
    after = show(served, "tools", "1")
    assert after["built"] is False
    assert after["lock"] == built["lock"]  # the version's lock outlives its build

    (project.root / "src" / "step.py").write_text(
        (project.root / "src" / "step.py").read_text() + "# changed: run again\n"
    )
    second = served.run(pipeline)
    rebuilt = served.step(second, "tools")["properties"]["environment_lock"]
    assert rebuilt["built"] is True and rebuilt["identity"] == ran["identity"]
    assert rebuilt["packages"] == ran["packages"]
    assert "installing the locked package set" in served.log(second, "tools")
    assert show(served, "tools", "1")["built"] is True


def test_prune_takes_a_unit_and_refuses_nonsense(served: Served) -> None:
    done = subprocess.run(
        [str(CAIRN), "environment", "prune", "--older-than", "soon"],
        capture_output=True,
        text=True,
        env={**os.environ, "CAIRN_HOME": str(served.home.root)},
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "give a number with a unit s, m, h or d" in done.stderr
    result = json.loads(
        cairn(served, "environment", "prune", "--older-than", "2h", "-o", "json").stdout
    )
    assert result["older_than_s"] == 7200
    assert result["removed"] == []


def test_a_curated_environment_shows_how_it_is_provided(served: Served, project: Project) -> None:
    env_file = project.write(
        "image-env.yml",
        """
        name: image-only
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
        """,
    )
    cairn(served, "environment", "create", "--file", str(env_file))
    shown = show(served, "image-only", "1")
    assert shown["strategy"] == "inherit" and shown["built"] is None
    assert "needs a container runtime" in shown["note"]


def test_azures_conda_file_example_runs_unchanged(served: Served, project: Project) -> None:
    """The shape of Azure's `5c_env_conda_file` example: a component whose inline environment is
    an image plus a conda file that pins Python and lists a pip package."""
    version = ".".join(str(v) for v in sys.version_info[:3])  # a Python this machine has
    project.write(
        "example/conda.yaml",
        f"""
        name: example_env
        channels:
          - conda-forge
        dependencies:
          - python={version}
          - pip
          - pip:
            - colorama
        """,
    )
    project.write(
        "example/src/hello.py",
        """
        import colorama

        print("Hello from a conda-file environment")
        print(colorama.Fore.GREEN + "colorama", colorama.__version__ + colorama.Style.RESET_ALL)
        """,
    )
    project.write(
        "example/component.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
        type: command

        name: hello_conda_env
        display_name: Hello_Conda_Env
        version: 1

        code: ./src

        environment:
          conda_file: ./conda.yaml
          image: mcr.microsoft.com/azureml/openmpi4.1.0-cuda11.8-cudnn8-ubuntu22.04:latest

        command: >-
          python hello.py
        """,
    )
    pipeline = project.write(
        "example/pipeline.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
        type: pipeline
        display_name: env_conda_file
        description: Pipeline job with a component whose environment is defined by a conda file

        settings:
          default_compute: azureml:serverless
        jobs:
          hello_conda_env_job:
            type: command
            component: ./component.yml
        """,
    )
    job = served.run(pipeline)
    assert job["status"] == "Completed"
    log = served.log(job, "hello_conda_env_job")
    assert "Hello from a conda-file environment" in log
    assert "colorama" in log
    lock = served.step(job, "hello_conda_env_job")["properties"]["environment_lock"]
    assert any(p.startswith("colorama==") for p in lock["packages"])
