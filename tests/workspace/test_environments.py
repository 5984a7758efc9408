"""Environments: conda content stored with the environment, identities that follow the content,
and curated or registry references run in the server's own Python with a visible note."""

from __future__ import annotations

import pytest

from cairn.errors import NotFound
from cairn.workspace.assets import create_component, create_environment
from cairn.workspace.context import Workspace
from cairn.workspace.environments import INHERIT_NOTE
from cairn.workspace.jobs import submit_job
from cairn.workspace.lookups import WorkspaceLookups

from .conftest import Project

CONDA = """
name: train-env
channels: [conda-forge]
dependencies:
  - python=3.11
  - pip:
      - scikit-learn==1.5.0
"""


@pytest.fixture
def env_project(project: Project) -> Project:
    project.write("env/conda.yml", CONDA)
    project.write(
        "env/env.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: train_env
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest
        conda_file: ./conda.yml
        """,
    )
    return project


def test_conda_content_is_stored_and_identifies(workspace: Workspace, env_project: Project) -> None:
    file = env_project.root / "env" / "env.yml"
    first = create_environment(workspace, file)
    assert (first.name, first.version) == ("train_env", "1")
    assert first.spec["conda_file"]["dependencies"][1] == {"pip": ["scikit-learn==1.5.0"]}
    assert first.spec["image"].startswith("mcr.microsoft.com/azureml/")
    assert "name" not in first.spec
    assert create_environment(workspace, file).content_hash == first.content_hash

    env_project.write("env/conda.yml", CONDA.replace("1.5.0", "1.5.1"))
    changed = create_environment(workspace, file)
    assert changed.version == "3"
    assert changed.content_hash != first.content_hash
    assert changed.spec["conda_file"]["dependencies"][1] == {"pip": ["scikit-learn==1.5.1"]}

    lookups = WorkspaceLookups(workspace)
    resolved = lookups.environment("azureml:train_env:1", None)
    assert resolved.identity == first.content_hash
    assert resolved.ref == "azureml:train_env:1"
    assert {k: v for k, v in resolved.spec.items() if k != "request"} == dict(first.spec)
    assert resolved.spec["request"]["requirements"] == ["scikit-learn==1.5.0"]
    assert resolved.strategy == "venv"
    assert resolved.note == "workspace environment train_env:1: a venv built from its conda file"
    assert lookups.environment("azureml:train_env@latest", None).identity == changed.content_hash


def test_curated_and_registry_environments_inherit(workspace: Workspace) -> None:
    lookups = WorkspaceLookups(workspace)
    curated = lookups.environment("azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest", None)
    assert curated.strategy == "inherit"
    assert curated.identity == "curated:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest"
    assert curated.note == f"curated or registry environment: {INHERIT_NOTE}"
    registry = "azureml://registries/azureml/environments/{}/labels/latest"
    sklearn = lookups.environment(registry.format("sklearn-1.5"), None)
    torch = lookups.environment(registry.format("pytorch-2.0"), None)
    assert sklearn.strategy == torch.strategy == "inherit"
    assert sklearn.note is not None and INHERIT_NOTE in sklearn.note
    # Two registry environments are two identities (a change between them changes reuse keys).
    assert sklearn.identity != torch.identity
    assert sklearn.identity == "curated:" + registry.format("sklearn-1.5")
    versioned = lookups.environment(
        "azureml://registries/azureml/environments/sklearn-1.5/versions/3", None
    )
    assert versioned.identity not in (sklearn.identity, torch.identity)


def test_unregistered_environment(workspace: Workspace) -> None:
    with pytest.raises(NotFound, match="environment azureml:nope:1 is not registered") as info:
        WorkspaceLookups(workspace).environment("azureml:nope:1", None)
    assert info.value.hint == "register it with `cairn environment create --file env.yml`"


COMPONENT = """
    type: command
    name: fit
    code: ./src
    environment: ENVIRONMENT
    command: python train.py
"""


def test_component_environment_files_are_registered_by_content(
    workspace: Workspace, env_project: Project
) -> None:
    """A registered component keeps its environment's content: its files are not there later."""
    env_project.code()
    by_file = env_project.write(
        "by_file.yml", COMPONENT.replace("ENVIRONMENT", "file:./env/env.yml")
    )
    inline = env_project.write(
        "inline.yml",
        COMPONENT.replace(
            "environment: ENVIRONMENT",
            "environment:\n      image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
            "\n      conda_file: ./env/conda.yml",
        ).replace("name: fit", "name: fit_inline"),
    )
    registered = create_component(workspace, by_file)
    assert registered.spec["environment"]["conda_file"]["channels"] == ["conda-forge"]
    create_component(workspace, inline)
    job = env_project.write(
        "job.yml",
        """
        type: pipeline
        compute: local
        jobs:
          from_file:
            component: ./by_file.yml
          registered:
            component: azureml:fit:1
          registered_inline:
            component: azureml:fit_inline:1
        """,
    )
    steps = submit_job(workspace, job).plan.steps
    identities = {step.environment.identity for step in steps.values()}
    assert len(identities) == 1, "the same content is the same environment, however it is named"
    assert steps["registered"].environment.spec["conda_file"]["name"] == "train-env"
    assert steps["registered"].environment.strategy == "venv"
    assert (
        steps["registered"].environment.note
        == "inline environment: a venv built from its conda file"
    )
