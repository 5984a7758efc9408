"""Standalone command jobs: schema, bindings in the command, local files, compute."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.spec.entities.command_job import CommandJob

from .document_cases import found, job, write_files

SUPPORT = {"src/": "", "data/": "", "conda.yml": "dependencies: [python=3.11]\n"}

CASES = {
    # Azure: accepts (the command job example of Azure's YAML reference).
    "command_ok.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        code: src
        command: >-
          python main.py
          --iris-csv ${{inputs.iris_csv}}
          --C ${{inputs.C}}
          --kernel ${{inputs.kernel}}
          --out ${{outputs.model}}
        inputs:
          iris_csv:
            type: uri_file
            path: wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv
          C: 0.8
          kernel: "rbf"
        outputs:
          model:
        environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
        compute: azureml:cpu-cluster
        display_name: sklearn-iris-example
        experiment_name: sklearn-iris-example
        description: Train a scikit-learn SVM on the Iris dataset.
    """,
    # Azure: accepts (no `type`: `load_job` reads it as a command job; no compute offline).
    "command_untyped.yml": """
        command: echo hello
        environment:
          image: python:3.11
          conda_file: ./conda.yml
        resources:
          instance_count: 2
        distribution:
          type: pytorch
          process_count_per_instance: 2
        environment_variables:
          MODE: fast
        limits:
          timeout: 600
        queue_settings:
          job_tier: Standard
        identity:
          type: user_identity
    """,
    # Azure: rejects (`comput`: Unknown field).
    "command_unknown.yml": """
        type: command
        command: echo hello
        environment: azureml:env:1
        comput: local
    """,
    # Azure: rejects (`environment`: Missing data for required field).
    "command_no_environment.yml": """
        type: command
        command: echo hello
        compute: local
    """,
    # Azure: rejects (distribution `pytroch` is in no schema of the union).
    "command_bad_distribution.yml": """
        type: command
        command: echo hello
        environment: azureml:env:1
        compute: local
        distribution:
          type: pytroch
    """,
    # Azure: rejects (`limits.timeout`: Not a valid integer).
    "command_wrong_type.yml": """
        type: command
        command: echo hello
        environment: azureml:env:1
        compute: local
        limits:
          timeout: soon
    """,
    # Azure: rejects (`resources.gpus`: Unknown field; only a component keeps unknown keys here).
    "command_resources.yml": """
        type: command
        command: echo hello
        environment: azureml:env:1
        compute: local
        resources:
          instance_count: 1
          gpus: 2
    """,
    # Azure: accepts. Cairn rejects: the command names an input that is not declared and a
    # hyperparameter, which only a sweep has; both would render nothing at run time.
    "command_ports.yml": """
        type: command
        command: python train.py --lr ${{inputs.lr}} --x ${{search_space.x}}
        inputs:
          learning_rate: 0.1
        environment: azureml:env:1
        compute: local
    """,
    # Azure: rejects (the code folder and the conda file); the missing data folder would fail
    # only at upload. Cairn reports all three.
    "command_files.yml": """
        type: command
        command: ls ${{inputs.data}}
        code: ./missing_src
        inputs:
          data:
            type: uri_folder
            path: ./missing_data
        environment:
          image: python:3.11
          conda_file: ./missing_conda.yml
        compute: local
    """,
    # Azure: accepts (output-only keys are dropped from a file).
    "command_service_keys.yml": """
        type: command
        command: echo hello
        environment: azureml:env:1
        compute: local
        status: Completed
        parameters: {}
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_files(tmp_path, SUPPORT)
    write_files(tmp_path, CASES)
    return tmp_path


def test_the_reference_example_is_valid(root: Path) -> None:
    command = job(root, "command_ok.yml")
    assert found(command) == []
    assert command.kind == "command job"
    assert isinstance(command.entity, CommandJob)
    assert command.entity.outputs == {"model": None}
    assert command.entity.inputs["C"] == 0.8


def test_a_file_with_command_and_no_type_is_a_command_job(root: Path) -> None:
    report = job(root, "command_untyped.yml")
    assert report.kind == "command job"
    # Azure accepts a job without compute offline and runs it on serverless compute.
    assert found(report) == [("W601", 1)]
    assert isinstance(report.entity, CommandJob)
    assert report.entity.queue_settings is not None
    assert report.entity.queue_settings.job_tier == "standard"


@pytest.mark.parametrize(
    ("name", "expected", "hint"),
    [
        ("command_unknown.yml", [("E101", 4)], "did you mean `compute`?"),
        ("command_no_environment.yml", [("E102", 1)], None),
        ("command_bad_distribution.yml", [("E104", 6)], "did you mean `pytorch`?"),
        ("command_wrong_type.yml", [("E103", 6)], None),
        ("command_resources.yml", [("E101", 7)], None),
    ],
)
def test_command_job_schema_errors(
    root: Path, name: str, expected: list[tuple[str, int]], hint: str | None
) -> None:
    report = job(root, name)
    assert found(report) == expected
    if hint is not None:
        assert report.diagnostics.items[0].hint == hint


def test_a_command_uses_only_its_own_inputs_and_outputs(root: Path) -> None:
    report = job(root, "command_ports.yml")
    assert found(report) == [("E201", 2), ("E206", 2)]
    e206 = next(d for d in report.diagnostics if d.code == "E206")
    assert e206.hint == "declare it under `inputs:`"
    assert e206.column == 10


def test_local_files_of_a_command_job_must_exist(root: Path) -> None:
    report = job(root, "command_files.yml")
    assert found(report) == [("E501", 3), ("E501", 7), ("E501", 10)]
    assert "missing_src" in report.diagnostics.sorted()[0].message


def test_service_keys_are_ignored_with_a_warning(root: Path) -> None:
    assert found(job(root, "command_service_keys.yml")) == [("W101", 5), ("W101", 6)]
