"""Compiling validated pipelines into plans, with an in-memory workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.errors import NotFound
from cairn.plan.compile import compile_plan
from cairn.plan.lookups import RegisteredComponent
from cairn.plan.model import (
    CodeInfo,
    DataSource,
    EnvironmentInfo,
    LiteralSource,
    Plan,
    StepOutputSource,
)
from cairn.spec.entities.component import CommandComponent
from cairn.spec.validate import validate_job_file
from tests.conftest import Project
from tests.spec.test_validate import INNER, OUTER, TRAIN


class MemoryWorkspace:
    """The plan's lookups answered from memory: what a workspace would answer."""

    default_datastore = "workspaceblobstore"

    def __init__(self) -> None:
        self.components: dict[str, RegisteredComponent] = {}
        self.computes = {"local", "serverless", "cpu"}
        self.snapshots: list[Path] = []

    def registered_component(self, ref: str) -> RegisteredComponent:
        try:
            return self.components[ref]
        except KeyError:
            raise NotFound(f"component {ref} not found") from None

    def data_asset(self, ref: str, type: str, mode: str) -> DataSource:
        return DataSource(
            type=type,
            mode=mode,
            uri=f"azureml://datastores/workspaceblobstore/paths/{ref}",
            content_hash="h:" + ref,
            asset=ref,
        )

    def remote_data(self, uri: str, type: str, mode: str) -> DataSource:
        return DataSource(type=type, mode=mode, uri=uri)

    def local_data(self, path: Path, type: str, mode: str) -> DataSource:
        return DataSource(
            type=type,
            mode=mode,
            uri=f"azureml://datastores/workspaceblobstore/paths/LocalUpload/{path.name}",
            content_hash="h:" + path.name,
            origin=str(path),
        )

    def code_snapshot(self, path: Path, additional_includes: object) -> CodeInfo:
        self.snapshots.append(path)
        return CodeInfo(content_hash="code:" + path.name, location=str(path))

    def environment(self, value: object, base_dir: Path | None) -> EnvironmentInfo:
        return EnvironmentInfo(identity=f"env:{value if isinstance(value, str) else 'inline'}")

    def compute(self, name: str) -> str:
        if name not in self.computes:
            raise NotFound(f"compute {name} not found")
        return name


def plan_of(path: Path, workspace: MemoryWorkspace, name: str = "job1") -> Plan:
    report = validate_job_file(path)
    assert report.ok, [d.format() for d in report.diagnostics]
    assert report.scope is not None
    plan = compile_plan(
        report.entity, report.scope, workspace, job_name=name, experiment_name="exp"
    )  # type: ignore[arg-type]
    assert Plan.from_json(plan.to_json()) == plan
    return plan


@pytest.fixture
def nested(project: Project) -> Project:
    (project.root / "src").mkdir()
    (project.root / "data").mkdir()
    project.write("train.yml", TRAIN)
    project.write("parts/inner.yml", INNER)
    project.write("parts/outer.yml", OUTER)
    return project


def test_nested_pipeline_plan(nested: Project) -> None:
    job = nested.write(
        "pipeline.yml",
        """
        type: pipeline
        settings:
          default_compute: azureml:cpu
        inputs:
          raw: {type: uri_folder, path: ./data}
          n: 4
        outputs:
          final: {type: uri_folder, mode: upload}
        jobs:
          prep:
            type: pipeline
            component: ./parts/outer.yml
            inputs: {data: "${{parent.inputs.raw}}"}
          score:
            type: command
            component: ./train.yml
            compute: local
            inputs:
              data: ${{parent.jobs.prep.outputs.model}}
              epochs: ${{parent.inputs.n}}
              seed: 7
            outputs:
              model: ${{parent.outputs.final}}
        """,
    )
    workspace = MemoryWorkspace()
    plan = plan_of(job, workspace)
    assert list(plan.steps) == ["prep/first/fit", "prep/second/fit", "score"]
    first, second, score = plan.steps.values()
    assert first.name == "job1.prep.first.fit"
    assert first.inputs["data"] == DataSource(
        type="uri_folder",
        mode="ro_mount",
        uri="azureml://datastores/workspaceblobstore/paths/LocalUpload/data",
        content_hash="h:data",
        origin=str(nested.root / "data"),
    )
    assert first.inputs["epochs"] == LiteralSource(value=3)
    assert "seed" not in first.inputs
    assert second.inputs["data"] == StepOutputSource(
        step="prep/first/fit", output="model", type="uri_folder", mode="ro_mount"
    )
    assert score.depends_on == ["prep/second/fit"]
    assert score.inputs["epochs"] == LiteralSource(value=4)
    assert (
        first.outputs["model"].uri
        == "azureml://datastores/workspaceblobstore/paths/azureml/job1.prep.first.fit/model/"
    )
    assert score.outputs["model"].mode == "upload"
    assert score.outputs["model"].pipeline_output == "final"
    assert plan.outputs["final"].uri.endswith("/job1.score/model/")
    assert (first.compute, score.compute) == ("cpu", "local")
    assert set(plan.groups) == {"prep", "prep/first", "prep/second"}
    assert workspace.snapshots == [nested.root / "src"]  # one snapshot, shared by all uses
    assert plan.settings.continue_on_step_failure is True


def test_reuse_keys_change_with_what_matters(nested: Project) -> None:
    text = """
        type: pipeline
        settings: {default_compute: local}
        jobs:
          a: {component: ./train.yml, inputs: {data: {type: uri_folder, path: ./data}, epochs: EPOCHS}}
          b: {component: ./train.yml, inputs: {data: "${{parent.jobs.a.outputs.model}}", epochs: 1}}
    """
    one = plan_of(nested.write("p1.yml", text.replace("EPOCHS", "1")), MemoryWorkspace(), "j1")
    again = plan_of(nested.write("p2.yml", text.replace("EPOCHS", "1")), MemoryWorkspace(), "j2")
    other = plan_of(nested.write("p3.yml", text.replace("EPOCHS", "2")), MemoryWorkspace(), "j3")
    keys = lambda plan: {sid: step.reuse.key for sid, step in plan.steps.items()}  # noqa: E731
    assert keys(one) == keys(again), "the job name must not change reuse keys"
    assert keys(one)["a"] != keys(other)["a"]
    assert keys(one)["b"] != keys(other)["b"], "a changed upstream changes its consumers"
    assert one.steps["a"].reuse.parts["inputs"]["epochs"] == {"literal": "1"}


def test_registered_components_and_missing_computes(project: Project) -> None:
    workspace = MemoryWorkspace()
    workspace.components["azureml:train:2"] = RegisteredComponent(
        entity=CommandComponent.model_validate(
            {
                "name": "train",
                "command": "echo ${{inputs.x}}",
                "environment": "azureml:env:1",
                "inputs": {"x": {"type": "integer", "default": 5}},
            }
        ),
        name="train",
        version="2",
        content_hash="c",
        code=CodeInfo(content_hash="code:registered", location="snapshots/abc"),
    )
    job = project.write(
        "p.yml",
        """
        type: pipeline
        compute: azureml:gpu
        jobs:
          a:
            component: azureml:train:2
        """,
    )
    with pytest.raises(NotFound, match="compute gpu"):
        plan_of(job, workspace)
    workspace.computes.add("gpu")
    plan = plan_of(job, workspace)
    step = plan.steps["a"]
    assert step.component.origin == "registered"
    assert (step.component.name, step.component.version) == ("train", "2")
    assert step.inputs["x"] == LiteralSource(value=5)
    assert step.code is not None and step.code.content_hash == "code:registered"


def test_compute_from_a_pipeline_input_inside_a_component(project: Project) -> None:
    project.write(
        "inner.yml",
        """
        type: pipeline
        name: inner
        inputs: {target: {type: string}}
        jobs:
          run: {command: echo hi, environment: "azureml:e", compute: "${{parent.inputs.target}}"}
        """,
    )
    job = project.write(
        "p.yml",
        """
        type: pipeline
        inputs: {where: cpu}
        jobs:
          sub: {type: pipeline, component: ./inner.yml, inputs: {target: "${{parent.inputs.where}}"}}
        """,
    )
    plan = plan_of(job, MemoryWorkspace())
    assert plan.steps["sub/run"].compute == "cpu"
