"""Registering components: code snapshots, versions, anonymous children, errors, and using them
from a pipeline job (`azureml:name:version`, `azureml:name@latest`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.errors import Conflict, InvalidSpec, NotFound, Unsupported
from cairn.store.records import AssetKind
from cairn.workspace.assets import ANONYMOUS, create_component
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job
from cairn.workspace.lookups import WorkspaceLookups

from .conftest import Project

TRAIN = """
    $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
    type: command
    name: train
    display_name: Train
    inputs:
      data: {type: uri_folder}
      epochs: {type: integer, default: 3}
    outputs:
      model: {type: uri_folder}
    code: ./src
    environment: azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest
    command: python train.py ${{inputs.data}} ${{inputs.epochs}} ${{outputs.model}}
"""


def snapshots(workspace: Workspace) -> list[Path]:
    return sorted(workspace.home.snapshots(workspace.name).iterdir())


def code_of(spec: object) -> dict[str, object]:
    assert isinstance(spec, dict) or hasattr(spec, "get")
    return dict(spec["_cairn"]["code"])  # type: ignore[index]


def test_code_is_snapshotted_once_by_content(workspace: Workspace, project: Project) -> None:
    project.code()
    file = project.write("train.yml", TRAIN)
    first = create_component(workspace, file)
    assert (first.name, first.version) == ("train", "1")
    code = code_of(first.spec)
    assert str(code["content_hash"]).startswith("blake3:")
    stored = Path(str(code["location"]))
    assert stored.parent == workspace.home.snapshots(workspace.name)
    assert (stored / "train.py").read_text() == "print('train')\n"
    copied = (stored / "train.py").stat()

    again = create_component(workspace, file)
    assert again.version == "2"  # no version in the file: the next integer
    assert again.content_hash == first.content_hash
    assert code_of(again.spec) == code
    assert snapshots(workspace) == [stored]
    unchanged = (stored / "train.py").stat()
    assert (unchanged.st_ino, unchanged.st_mtime_ns) == (copied.st_ino, copied.st_mtime_ns)

    project.code(body="print('train harder')\n")
    changed = create_component(workspace, file)
    assert changed.version == "3"
    assert changed.content_hash != first.content_hash
    assert code_of(changed.spec)["content_hash"] != code["content_hash"]
    assert len(snapshots(workspace)) == 2


def test_explicit_name_and_version(any_workspace: Workspace, project: Project) -> None:
    project.code()
    file = project.write(
        "train.yml", TRAIN.replace("name: train", 'name: train\n    version: "1.0.0"')
    )
    pinned = create_component(any_workspace, file)
    assert (pinned.name, pinned.version) == ("train", "1.0.0")
    # Creating the same version with the same content again is a no-op, as in Azure.
    assert create_component(any_workspace, file).id == pinned.id
    renamed = create_component(any_workspace, file, name="train_copy", version="7")
    assert (renamed.name, renamed.version) == ("train_copy", "7")

    project.code(body="print('changed')\n")
    with pytest.raises(Conflict, match=r"train:1\.0\.0 is already registered") as info:
        create_component(any_workspace, file)
    assert info.value.hint is not None and "new `version`" in info.value.hint
    assert create_component(any_workspace, file, version="1.0.1").version == "1.0.1"

    lookups = WorkspaceLookups(any_workspace)
    assert lookups.registered_component("azureml:train@latest").version == "1.0.1"
    assert lookups.registered_component("azureml:train").version == "1.0.1"
    assert lookups.registered_component("azureml:train:1.0.0").version == "1.0.0"
    with pytest.raises(NotFound, match=r"these versions exist: 1\.0\.0, 1\.0\.1"):
        lookups.registered_component("azureml:train:9")


PIPELINE_COMPONENT = """
    type: pipeline
    name: train_pipeline
    inputs:
      data: {type: uri_folder}
    outputs:
      model: {type: uri_folder}
    jobs:
      fit:
        type: command
        component: ./train.yml
        inputs: {data: "${{parent.inputs.data}}"}
        outputs: {model: "${{parent.outputs.model}}"}
      check:
        type: command
        component:
          type: command
          inputs:
            model: {type: uri_folder}
          code: ./checks
          environment:
            image: python:3.11
            conda_file: ./env/conda.yml
          command: python train.py ${{inputs.model}}
        inputs: {model: "${{parent.jobs.fit.outputs.model}}"}
      nested:
        type: pipeline
        component: ./inner.yml
        inputs:
          data: {type: uri_folder, path: ./data}
"""
INNER = """
    type: pipeline
    inputs:
      data: {type: uri_folder}
    jobs:
      again:
        type: command
        component: ./train.yml
        inputs: {data: "${{parent.inputs.data}}"}
"""


@pytest.fixture
def pipeline_project(project: Project) -> Project:
    project.code()
    project.code("checks", "print('check')\n")
    project.write("data/rows.csv", "a,b\n1,2\n")
    project.write("env/conda.yml", "dependencies: [python=3.11, {pip: [numpy]}]\n")
    project.write("train.yml", TRAIN)
    project.write("inner.yml", INNER)
    project.write("pipeline_component.yml", PIPELINE_COMPONENT)
    return project


def anonymous_versions(workspace: Workspace) -> list[str]:
    assets = workspace.store.assets.versions(workspace.name, AssetKind.COMPONENT, ANONYMOUS)
    return sorted(a.version for a in assets)


def test_pipeline_component_children_are_anonymous(
    any_workspace: Workspace, pipeline_project: Project
) -> None:
    file = pipeline_project.root / "pipeline_component.yml"
    registered = create_component(any_workspace, file)
    jobs = registered.spec["jobs"]
    refs = {name: jobs[name]["component"] for name in ("fit", "check", "nested")}
    for ref in refs.values():
        assert ref.startswith(f"azureml:{ANONYMOUS}:")
    # fit, check, nested and nested's own child (the same content as fit: stored once).
    assert len(anonymous_versions(any_workspace)) == 3
    store = any_workspace.store
    check = store.assets.resolve(any_workspace.name, AssetKind.COMPONENT, refs["check"][8:])
    assert code_of(check.spec)["files"] == 1
    assert check.spec["environment"]["conda_file"]["dependencies"][1] == {"pip": ["numpy"]}
    # A local data path inside the component is uploaded, since the file is not there later.
    nested_input = jobs["nested"]["inputs"]["data"]["path"]
    assert nested_input.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
    inner = store.assets.resolve(any_workspace.name, AssetKind.COMPONENT, refs["nested"][8:])
    assert inner.spec["jobs"]["again"]["component"] == refs["fit"]

    again = create_component(any_workspace, file)
    assert again.version == "2"
    assert again.spec["jobs"] == jobs
    assert len(anonymous_versions(any_workspace)) == 3


def test_inline_job_with_code_cannot_be_registered_in_a_pipeline(
    workspace: Workspace, project: Project
) -> None:
    project.code()
    file = project.write(
        "p.yml",
        """
        type: pipeline
        name: p
        jobs:
          step:
            type: command
            command: python train.py
            code: ./src
            environment: azureml:AzureML-minimal@latest
        """,
    )
    with pytest.raises(Unsupported, match=r"job `step`: an inline command job with `code`"):
        create_component(workspace, file)


def test_invalid_component_lists_every_error(workspace: Workspace, project: Project) -> None:
    file = project.write(
        "bad.yml",
        """
        type: command
        name: Bad-Name
        inputs:
          x: {type: integer}
        code: ./nosuch
        environment: azureml:AzureML-minimal@latest
        command: python train.py ${{inputs.y}}
        """,
    )
    with pytest.raises(InvalidSpec) as info:
        create_component(workspace, file)
    message = info.value.message
    assert "(3 errors)" in message
    for where, what in [
        ("bad.yml:2:7", "component name `Bad-Name` is not valid"),
        ("bad.yml:5:7", "code `./nosuch` does not exist"),
        ("bad.yml:7:10", "no input `y` is declared"),
    ]:
        assert f"{file.parent}/{where}: error" in message
        assert what in message
    assert len(info.value.details["diagnostics"]) == 3
    assert workspace.store.assets.list_latest(workspace.name, AssetKind.COMPONENT) == []


def test_schema_errors_are_listed_together(workspace: Workspace, project: Project) -> None:
    file = project.write(
        "bad.yml",
        """
        type: command
        name: bad
        inputs:
          x: {type: intger}
          z: {type: integer, default: abc}
        environment: azureml:AzureML-minimal@latest
        command: echo
        """,
    )
    with pytest.raises(InvalidSpec) as info:
        create_component(workspace, file)
    assert "bad.yml:4:13: error[E104]" in info.value.message
    assert "bad.yml:5:6: error[E106]" in info.value.message


JOB = """
    type: pipeline
    compute: local
    inputs:
      raw: {type: uri_folder, path: ./data}
    jobs:
      first:
        type: command
        component: azureml:train:1
        inputs: {data: "${{parent.inputs.raw}}"}
      latest:
        type: command
        component: azureml:train@latest
        inputs: {data: "${{parent.jobs.first.outputs.model}}", epochs: 5}
      whole:
        type: pipeline
        component: azureml:train_pipeline@latest
        inputs: {data: "${{parent.inputs.raw}}"}
"""


def test_pipeline_job_uses_registered_components(
    any_workspace: Workspace, pipeline_project: Project
) -> None:
    project = pipeline_project
    v1 = create_component(any_workspace, project.root / "train.yml")
    project.code(body="print('train v2')\n")
    v2 = create_component(any_workspace, project.root / "train.yml")
    create_component(any_workspace, project.root / "pipeline_component.yml")
    job = project.write("job.yml", JOB)

    plan = submit_job(any_workspace, job).plan
    assert set(plan.steps) == {"first", "latest", "whole/fit", "whole/check", "whole/nested/again"}
    first, latest = plan.steps["first"], plan.steps["latest"]
    assert (first.component.origin, first.component.ref) == ("registered", "azureml:train:1")
    assert (first.component.name, first.component.version) == ("train", "1")
    assert first.code is not None and first.code.model_dump() == code_of(v1.spec)
    assert latest.component.version == "2"
    assert latest.code is not None and latest.code.model_dump() == code_of(v2.spec)
    assert first.code.content_hash != latest.code.content_hash
    assert Path(latest.code.location, "train.py").read_text() == "print('train v2')\n"
    assert latest.depends_on == ["first"]
    assert first.environment.strategy == "inherit"
    # The registered pipeline's children run the code they were registered with.
    check = plan.steps["whole/check"]
    assert check.code is not None
    assert Path(check.code.location, "train.py").read_text() == "print('check')\n"
    assert check.environment.spec["conda_file"]["dependencies"][0] == "python=3.11"
    nested = plan.steps["whole/nested/again"].inputs["data"]
    assert getattr(nested, "content_hash", "").startswith("blake3:")


def test_unknown_registered_component_fails_submission(
    workspace: Workspace, pipeline_project: Project
) -> None:
    create_component(workspace, pipeline_project.root / "train.yml")
    job = pipeline_project.write("job.yml", JOB.replace("azureml:train:1", "azureml:trian:1"))
    with pytest.raises(NotFound, match="no component named trian; similar names: train"):
        submit_job(workspace, job)
    assert workspace.store.jobs.list(workspace.name).items == ()


def test_references_must_exist_when_registering(workspace: Workspace, project: Project) -> None:
    project.code()
    component = project.write(
        "c.yml",
        TRAIN.replace(
            "azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest", "azureml:team_env:2"
        ),
    )
    with pytest.raises(NotFound, match="environment azureml:team_env:2 is not registered"):
        create_component(workspace, component)
    pipeline = project.write(
        "p.yml",
        """
        type: pipeline
        name: uses_registered
        jobs:
          fit:
            type: command
            component: azureml:not_there@latest
        """,
    )
    with pytest.raises(NotFound, match="no component named not_there"):
        create_component(workspace, pipeline)
    assert workspace.store.assets.list_latest(workspace.name, AssetKind.COMPONENT) == []
