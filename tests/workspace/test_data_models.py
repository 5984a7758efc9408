"""Data and model assets: local files uploaded once by content, datastore URIs hashed in place,
missing paths reported, and `azureml:name:version` resolved in a pipeline's inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.data.hashing import hash_path
from cairn.errors import InvalidSpec, NotFound
from cairn.plan.model import DataSource
from cairn.store.records import AssetKind
from cairn.workspace.assets import create_data, create_model
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job
from cairn.workspace.lookups import WorkspaceLookups
from cairn.workspace.resources import create_datastore

from .conftest import Project

UPLOADS = "azureml://datastores/workspaceblobstore/paths/LocalUpload/"


def blob_root(workspace: Workspace) -> Path:
    return workspace.folder / "datastores" / "workspaceblobstore"


def uploaded(workspace: Workspace, uri: str) -> Path:
    assert uri.startswith(UPLOADS)
    return blob_root(workspace) / "LocalUpload" / uri.removeprefix(UPLOADS)


@pytest.fixture
def data_project(project: Project) -> Project:
    project.write("data/rows.csv", "a,b\n1,2\n")
    project.write("data/more/rows.csv", "a,b\n3,4\n")
    return project


def test_local_file_is_uploaded_once(workspace: Workspace, data_project: Project) -> None:
    file = data_project.write(
        "file.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/data.schema.json
        name: rows
        type: uri_file
        path: ./data/rows.csv
        """,
    )
    first = create_data(workspace, file)
    expected = hash_path(data_project.root / "data/rows.csv").hash
    assert first.content_hash == expected
    hex_digest = expected.removeprefix("blake3:")
    assert first.spec["path"] == f"{UPLOADS}{hex_digest}/rows.csv"
    assert first.spec["origin"] == "./data/rows.csv"
    copy = uploaded(workspace, first.spec["path"])
    assert copy.read_text() == "a,b\n1,2\n"
    before = copy.stat()

    second = create_data(workspace, file)
    assert (second.version, second.spec["path"]) == ("2", first.spec["path"])
    after = copy.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in (blob_root(workspace) / "LocalUpload").iterdir()] == [hex_digest]


def test_local_folder_is_uploaded_once(any_workspace: Workspace, data_project: Project) -> None:
    file = data_project.write("folder.yml", "name: rows_folder\ntype: uri_folder\npath: ./data\n")
    first = create_data(any_workspace, file)
    assert first.content_hash == hash_path(data_project.root / "data").hash
    copy = uploaded(any_workspace, first.spec["path"])
    assert copy.name == "data"
    assert (copy / "more" / "rows.csv").read_text() == "a,b\n3,4\n"
    inode = (copy / "rows.csv").stat().st_ino
    second = create_data(any_workspace, file, version="v2")
    assert second.version == "v2"
    assert second.spec["path"] == first.spec["path"]
    assert (copy / "rows.csv").stat().st_ino == inode


def test_datastore_uri_is_hashed_in_place(workspace: Workspace, project: Project) -> None:
    folder = blob_root(workspace) / "shared" / "census"
    folder.mkdir(parents=True)
    (folder / "2020.csv").write_text("year,people\n2020,5\n")
    uri = "azureml://datastores/workspaceblobstore/paths/shared/census"
    file = project.write("ds.yml", f"name: census\ntype: uri_folder\npath: {uri}\n")
    asset = create_data(workspace, file)
    assert asset.spec["path"] == uri
    assert asset.content_hash == hash_path(folder).hash
    assert not (blob_root(workspace) / "LocalUpload").exists()

    missing = project.write("gone.yml", f"name: gone\ntype: uri_folder\npath: {uri}/nope\n")
    with pytest.raises(NotFound, match="no data at azureml://datastores/workspaceblobstore"):
        create_data(workspace, missing)
    unknown = project.write(
        "other.yml", "name: other\ntype: uri_folder\npath: azureml://datastores/nosuch/paths/x\n"
    )
    with pytest.raises(NotFound, match="datastore 'nosuch' is not registered") as info:
        create_data(workspace, unknown)
    assert info.value.hint is not None and "workspaceblobstore" in info.value.hint


def test_missing_local_path(workspace: Workspace, project: Project) -> None:
    file = project.write("data.yml", "name: lost\ntype: uri_folder\npath: ./nowhere\n")
    with pytest.raises(InvalidSpec) as info:
        create_data(workspace, file)
    assert f"{file}:3:7: error[E501]: data path `./nowhere` does not exist" in info.value.message
    # Where the validator cannot see it (the path vanished after validation), the lookup says so.
    lookups = WorkspaceLookups(workspace)
    with pytest.raises(NotFound, match=r"local data .*nowhere does not exist"):
        lookups.local_data(project.root / "nowhere", "uri_folder", "ro_mount")


def test_upload_target_datastore(workspace: Workspace, data_project: Project) -> None:
    data_project.write("mine.yml", "name: mine\ntype: local\npath: ./store\n")
    create_datastore(workspace, data_project.root / "mine.yml")
    file = data_project.write(
        "data.yml", "name: rows\ntype: uri_folder\npath: ./data\ndatastore: azureml:mine\n"
    )
    asset = create_data(workspace, file)
    digest = hash_path(data_project.root / "data").hash.removeprefix("blake3:")
    assert asset.spec["path"] == f"azureml://datastores/mine/paths/LocalUpload/{digest}/data"
    assert (data_project.root / "store" / "LocalUpload" / digest / "data" / "rows.csv").is_file()


def test_model_assets(workspace: Workspace, project: Project) -> None:
    project.write("model/MLmodel", "flavors: {}\n")
    project.write("model/model.pkl", "weights")
    file = project.write("model.yml", "name: churn\ntype: mlflow_model\npath: ./model\n")
    model = create_model(workspace, file)
    assert model.kind is AssetKind.MODEL
    assert (model.name, model.version, model.spec["type"]) == ("churn", "1", "mlflow_model")
    assert model.content_hash == hash_path(project.root / "model").hash
    assert (uploaded(workspace, model.spec["path"]) / "model.pkl").read_text() == "weights"
    assert create_model(workspace, file).spec["path"] == model.spec["path"]

    no_path = project.write("bare.yml", "name: bare\n")
    with pytest.raises(InvalidSpec, match="`path` is required to register a model"):
        create_model(workspace, no_path)


def test_pipeline_inputs_resolve_assets(any_workspace: Workspace, data_project: Project) -> None:
    data = create_data(
        any_workspace, data_project.write("d.yml", "name: rows\ntype: uri_folder\npath: ./data\n")
    )
    data_project.write("model/weights.bin", "w")
    model = create_model(
        any_workspace,
        data_project.write("m.yml", "name: churn\ntype: custom_model\npath: ./model\n"),
    )
    job = data_project.write(
        "job.yml",
        """
        type: pipeline
        compute: local
        inputs:
          rows: {type: uri_folder, path: "azureml:rows:1"}
        jobs:
          score:
            type: command
            command: ls ${{inputs.rows}} ${{inputs.latest}} ${{inputs.model}}
            environment: azureml:AzureML-minimal@latest
            inputs:
              rows: ${{parent.inputs.rows}}
              latest: {type: uri_folder, path: "azureml:rows@latest"}
              model: {type: custom_model, path: "azureml:churn:1"}
        """,
    )
    submission = submit_job(any_workspace, job)
    inputs = submission.plan.steps["score"].inputs
    for name in ("rows", "latest"):
        assert inputs[name] == DataSource(
            type="uri_folder",
            mode="ro_mount",
            uri=data.spec["path"],
            content_hash=data.content_hash,
            asset="rows:1",
            origin=inputs[name].origin,  # type: ignore[union-attr]
        )
    assert inputs["model"].asset == "churn:1"  # type: ignore[union-attr]
    assert inputs["model"].content_hash == model.content_hash  # type: ignore[union-attr]
    # Lineage: the step is recorded as a user of each asset version.
    step = any_workspace.store.jobs.get_by_name(any_workspace.name, f"{submission.job.name}.score")
    used = any_workspace.store.assets.used_by(step.id)
    assert sorted((u.asset_id, u.input_name) for u in used) == sorted(
        [(data.id, "rows"), (data.id, "latest"), (model.id, "model")]
    )

    missing = data_project.write("bad.yml", job.read_text().replace("azureml:rows:1", "rows:9"))
    with pytest.raises(InvalidSpec):
        submit_job(any_workspace, missing)
    gone = data_project.write(
        "gone.yml", job.read_text().replace("azureml:rows:1", "azureml:rows:9")
    )
    with pytest.raises(NotFound, match="these versions exist: 1"):
        submit_job(any_workspace, gone)


def test_job_outputs_resolve_to_committed_outputs(workspace: Workspace, project: Project) -> None:
    """`azureml://jobs/<job>/outputs/<o>`: a step's committed output, or for a pipeline the
    committed output of the step bound to its output (where the engine put it, reuse included)."""
    job = project.write(
        "job.yml",
        """
        type: pipeline
        compute: local
        outputs:
          trained: {type: uri_folder}
        jobs:
          fit:
            command: echo fit > ${{outputs.model}}/weights.txt
            environment: azureml:AzureML-minimal@latest
            outputs:
              model: ${{parent.outputs.trained}}
        """,
    )
    parent = submit_job(workspace, job).job
    step = workspace.store.jobs.get_by_name(workspace.name, f"{parent.name}.fit")
    # What the engine records once the step's outputs are committed (here: an earlier run's).
    committed = blob_root(workspace) / "azureml" / "earlier.fit" / "model"
    committed.mkdir(parents=True)
    (committed / "weights.txt").write_text("fit\n")
    uri = "azureml://datastores/workspaceblobstore/paths/azureml/earlier.fit/model"
    workspace.store.jobs.update(
        step.id, properties={"outputs": {"model": {"uri": uri}}}, actor="engine"
    )
    lookups = WorkspaceLookups(workspace)
    for ref in (
        f"azureml://jobs/{step.name}/outputs/model",
        f"azureml://jobs/{parent.name}/outputs/trained",
    ):
        source = lookups.remote_data(ref, "uri_folder", "ro_mount")
        assert (source.uri, source.content_hash) == (uri, hash_path(committed).hash)
    file_ref = f"azureml://jobs/{parent.name}/outputs/trained/paths/weights.txt"
    assert lookups.remote_data(file_ref, "uri_file", "download").uri == f"{uri}/weights.txt"

    model = create_model(
        workspace,
        project.write(
            "m.yml", f"name: fitted\npath: azureml://jobs/{parent.name}/outputs/trained\n"
        ),
    )
    assert (model.spec["path"], model.content_hash) == (uri, hash_path(committed).hash)
    assert (model.produced_by_job_id, model.produced_by_output) == (parent.id, "trained")
    with pytest.raises(NotFound, match=f"job {parent.name} has no committed output `other`"):
        lookups.remote_data(f"azureml://jobs/{parent.name}/outputs/other", "uri_folder", "ro_mount")
