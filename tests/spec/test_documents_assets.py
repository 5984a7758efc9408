"""Data assets, models and environments validated as files of their own."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.errors import UsageError
from cairn.spec import documents
from cairn.spec.entities.data import Data
from cairn.spec.entities.model import Model

from .document_cases import asset, found, write_files

SUPPORT = {
    "data/titanic/": "",
    "data/mltable-folder/MLTable": "paths:\n  - file: ./train.csv\n",
    "mlflow-model/MLmodel": "flavors: {}\n",
    "conda-yamls/pydata.yml": "dependencies:\n  - python=3.11\n",
    "docker-contexts/python-and-pip/Dockerfile": "FROM python:3.11\n",
    "docker-contexts/empty/": "",
}

CASES = {
    # Azure: accepts (examples of Azure's data YAML reference).
    "data_cloud.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: cloud-file-example
        description: Data asset created from file in cloud.
        type: uri_file
        path: https://azuremlexamples.blob.core.windows.net/datasets/iris.csv
    """,
    "data_local.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: local-folder-example-titanic
        description: Dataset created from local folder.
        path: data/titanic
        version: 1
        tags:
          team: vision
          rows: 891
    """,
    # Azure: accepts (no `$schema`: the `type` and `path` say it is data).
    "data_mltable.yml": """
        name: local-mltable-example
        description: Dataset created from local MLTable.
        type: mltable
        path: data/mltable-folder
    """,
    # Azure: rejects (`mode`: Unknown field).
    "data_unknown.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        path: data/titanic
        mode: ro_mount
    """,
    # Azure: rejects (`path`: Missing data for required field).
    "data_no_path.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
    """,
    # Azure: rejects both (it compares the type exactly: "Must be one of: uri_file, …").
    "data_bad_type.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        type: uri_fiel
        path: data/titanic
    """,
    "data_upper_type.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        type: URI_FOLDER
        path: data/titanic
    """,
    # Azure: rejects (`name`: Not a valid string).
    "data_wrong_type.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: [titanic]
        path: data/titanic
    """,
    # Azure: accepts offline (the upload fails later). Cairn reports the missing folder.
    "data_missing_path.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        path: ./data/no-such-folder
    """,
    # Azure: accepts (`properties` is output-only; `auto_delete_setting` is experimental).
    "data_service_keys.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        path: data/titanic
        properties:
          origin: upload
        auto_delete_setting:
          condition: created_greater_than
          value: 30d
    """,
    # Azure: accepts offline (tag values are untyped there). Cairn rejects a mapping as a tag
    # value: the service stores tags as strings.
    "data_nested_tag.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: titanic
        path: data/titanic
        tags:
          owner:
            team: vision
    """,
    # Azure: accepts (examples of Azure's model YAML reference).
    "model_file.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: local-file-example
        path: mlflow-model/MLmodel
        description: Model created from local file.
    """,
    "model_mlflow.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: local-mlflow-example
        path: mlflow-model
        type: MLflow_Model
        description: Model created from local MLflow model directory.
        version: 3
        stage: Production
        flavors:
          python_function:
            loader_module: mlflow.sklearn
    """,
    "model_job_output.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: run-model-example
        path: azureml://jobs/my-job/outputs/artifacts/paths/model/
        type: mlflow_model
    """,
    # Azure: rejects (`name`: Missing data for required field).
    "model_no_name.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        path: mlflow-model
    """,
    # Azure: rejects (`mlflow` not in ['custom_model', 'mlflow_model', 'triton_model']).
    "model_bad_type.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: m
        path: mlflow-model
        type: mlflow
    """,
    # Azure: rejects (`framework`: Unknown field).
    "model_unknown.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: m
        path: mlflow-model
        framework: sklearn
    """,
    # Azure: accepts offline (the upload fails later). Cairn reports it.
    "model_missing_path.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/model.schema.json
        name: m
        path: ./no-such-model
    """,
    # Azure: accepts (examples of Azure's environment YAML reference).
    "env_conda.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: docker-image-plus-conda-example
        image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
        conda_file: conda-yamls/pydata.yml
        description: Environment created from a Docker image plus Conda environment.
    """,
    "env_build.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: docker-context-example
        build:
          path: docker-contexts/python-and-pip
    """,
    # Azure: rejects (`name`: Missing data for required field).
    "env_no_name.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        image: python:3.11
    """,
    # Azure: rejects (No such file or directory: …/missing.yml).
    "env_missing_conda.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: e
        image: python:3.11
        conda_file: conda-yamls/missing.yml
    """,
    # Azure: accepts offline; the image build would fail. Cairn reports the missing Dockerfile.
    "env_no_dockerfile.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: e
        build:
          path: docker-contexts/empty
    """,
    # Azure: rejects ("channels"/"dependencies" belong in a conda file).
    "env_conda_keys.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json
        name: e
        image: python:3.11
        dependencies:
          - python=3.11
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_files(tmp_path, SUPPORT)
    write_files(tmp_path, CASES)
    return tmp_path


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("data_cloud.yml", "data asset"),
        ("data_local.yml", "data asset"),
        ("data_mltable.yml", "data asset"),
        ("model_file.yml", "model"),
        ("model_mlflow.yml", "model"),
        ("model_job_output.yml", "model"),
        ("env_conda.yml", "environment"),
        ("env_build.yml", "environment"),
    ],
)
def test_reference_examples_are_valid(root: Path, name: str, kind: str) -> None:
    report = asset(root, name)
    assert found(report) == []
    assert report.kind == kind


def test_values_keep_azures_meaning(root: Path) -> None:
    local = asset(root, "data_local.yml").entity
    assert isinstance(local, Data)
    assert (local.type, local.version, local.tags) == (
        "uri_folder",
        "1",
        {"team": "vision", "rows": 891},
    )
    mlflow = asset(root, "model_mlflow.yml").entity
    assert isinstance(mlflow, Model)
    assert (mlflow.type, mlflow.version) == ("mlflow_model", "3")
    assert isinstance(asset(root, "model_file.yml").entity, Model)


@pytest.mark.parametrize(
    ("name", "expected", "hint"),
    [
        ("data_unknown.yml", [("E101", 4)], None),
        ("data_no_path.yml", [("E102", 1)], None),
        ("data_bad_type.yml", [("E104", 3)], "did you mean `uri_file`?"),
        ("data_upper_type.yml", [("E104", 3)], "did you mean `uri_folder`?"),
        ("data_wrong_type.yml", [("E103", 2)], None),
        ("data_nested_tag.yml", [("E103", 6)], None),
        ("model_no_name.yml", [("E102", 1)], None),
        ("model_bad_type.yml", [("E104", 4)], "did you mean `mlflow_model`?"),
        ("model_unknown.yml", [("E101", 4)], None),
        ("env_no_name.yml", [("E102", 1)], None),
        ("env_conda_keys.yml", [("E106", 1)], None),
    ],
)
def test_schema_errors(
    root: Path, name: str, expected: list[tuple[str, int]], hint: str | None
) -> None:
    report = asset(root, name)
    assert found(report) == expected
    if hint is not None:
        assert report.diagnostics.items[0].hint == hint


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("data_missing_path.yml", 3, "data path `./data/no-such-folder` does not exist"),
        ("model_missing_path.yml", 3, "model path `./no-such-model` does not exist"),
        ("env_missing_conda.yml", 4, "conda file `conda-yamls/missing.yml` does not exist"),
        ("env_no_dockerfile.yml", 4, "the build context `docker-contexts/empty` has no"),
    ],
)
def test_local_files_must_exist(root: Path, name: str, line: int, words: str) -> None:
    report = asset(root, name)
    assert found(report) == [("E501", line)]
    assert report.diagnostics.items[0].message.startswith(words)


def test_paths_the_os_refuses_are_diagnostics(root: Path) -> None:
    # Azure: rejects both (a `ValueError` escapes its loader for the NUL byte).
    long_name = "a" * 300
    write_files(
        root,
        {
            "data_nul.yml": 'name: d\ntype: uri_file\npath: "./x\\0y.csv"\n',
            "env_long.yml": f"name: e\nbuild:\n  path: ./{long_name}\n",
        },
    )
    nul = asset(root, "data_nul.yml")
    assert found(nul) == [("E501", 3)]
    assert "is not a usable path" in nul.diagnostics.items[0].message
    long = asset(root, "env_long.yml")
    assert found(long) == [("E501", 3)]
    assert "is not a usable path" in long.diagnostics.items[0].message


def test_service_keys_are_ignored_with_a_warning(root: Path) -> None:
    report = asset(root, "data_service_keys.yml")
    assert found(report) == [("W101", 4)]
    assert report.ok


def test_the_kind_can_be_named_by_the_caller(root: Path) -> None:
    # `cairn model create --file env_conda.yml` validates the file as a model, as Azure would.
    report = asset(root, "env_conda.yml", documents.MODEL)
    assert report.kind == "model"
    assert found(report) == [("E101", 3), ("E101", 4)]
    with pytest.raises(UsageError, match="not an asset"):
        asset(root, "env_conda.yml", documents.PIPELINE_JOB)
