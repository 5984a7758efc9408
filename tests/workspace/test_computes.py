"""Computes: Azure's YAML accepted as local slots, the flag form, the built-in names, and a
pipeline that names a compute the workspace does not have."""

from __future__ import annotations

import pytest

from cairn.errors import Conflict, NotFound, UsageError
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import submit_job
from cairn.workspace.resources import compute_slots, create_compute, local_slots

from .conftest import Project

AML_COMPUTE = """
    $schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json
    name: cpu-cluster
    type: amlcompute
    size: Standard_DS3_v2
    min_instances: 0
    max_instances: 4
    idle_time_before_scale_down: 120
"""


def test_amlcompute_yaml_is_a_local_compute(any_workspace: Workspace, project: Project) -> None:
    compute = create_compute(any_workspace, project.write("cpu.yml", AML_COMPUTE))
    assert (compute.name, compute.type, compute.max_instances) == ("cpu-cluster", "amlcompute", 4)
    assert compute.spec["size"] == "Standard_DS3_v2"
    assert compute.spec["min_instances"] == 0
    assert compute_slots(any_workspace) == {"local": local_slots(), "cpu-cluster": 4}
    with pytest.raises(Conflict, match="compute cpu-cluster already exists"):
        create_compute(any_workspace, project.root / "cpu.yml")


def test_azure_defaults_and_the_flag_form(workspace: Workspace, project: Project) -> None:
    bare = create_compute(workspace, project.write("bare.yml", "name: bare\ntype: amlcompute\n"))
    assert bare.max_instances == 4  # Azure's default for a cluster
    instance = project.write("ci.yml", "name: notebook\ntype: computeinstance\nsize: Standard_D2\n")
    assert create_compute(workspace, instance).max_instances == 1
    flags = create_compute(workspace, name="gpu", type="AmlCompute", max_instances=2)
    assert (flags.type, flags.max_instances, dict(flags.spec)["max_instances"]) == (
        "amlcompute",
        2,
        2,
    )
    here = create_compute(workspace, name="here", type="local")
    assert here.max_instances == local_slots() >= 1
    overridden = create_compute(
        workspace, project.write("c.yml", AML_COMPUTE), name="small", max_instances=1
    )
    assert (overridden.name, overridden.max_instances) == ("small", 1)
    assert compute_slots(workspace) == {
        "local": local_slots(),
        "bare": 4,
        "gpu": 2,
        "here": local_slots(),
        "notebook": 1,
        "small": 1,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "local", "type": "amlcompute"}, "`local` is built in"),
        ({"name": "serverless", "type": "amlcompute"}, "`serverless` is built in"),
        ({"name": "x", "type": "mainframe"}, "--type mainframe: use one of local, amlcompute"),
        ({"name": "x"}, "a compute needs a name and a type"),
        ({"type": "amlcompute"}, "a compute needs a name and a type"),
        ({"name": "x", "type": "amlcompute", "max_instances": 0}, "must be at least 1, not 0"),
    ],
)
def test_refused_computes(workspace: Workspace, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        create_compute(workspace, **kwargs)  # type: ignore[arg-type]
    assert workspace.store.computes.list(workspace.name) == []


def test_built_in_names_cannot_come_from_yaml(workspace: Workspace, project: Project) -> None:
    with pytest.raises(UsageError, match="`local` is built in"):
        create_compute(workspace, project.write("l.yml", "name: local\ntype: amlcompute\n"))
    zero = project.write(
        "z.yml", "name: zero\ntype: amlcompute\nmin_instances: 0\nmax_instances: 0\n"
    )
    with pytest.raises(UsageError, match="compute zero: `max_instances` must be at least 1"):
        create_compute(workspace, zero)


PIPELINE = """
    type: pipeline
    settings:
      default_compute: azureml:cpu-cluster
    jobs:
      prep:
        command: echo prep
        environment: azureml:AzureML-minimal@latest
      train:
        command: echo train
        environment: azureml:AzureML-minimal@latest
        compute: serverless
      score:
        command: echo score
        environment: azureml:AzureML-minimal@latest
        compute: local
"""


def test_pipeline_computes_resolve(workspace: Workspace, project: Project) -> None:
    job = project.write("pipeline.yml", PIPELINE)
    with pytest.raises(NotFound, match="compute `cpu-cluster` does not exist") as info:
        submit_job(workspace, job)
    assert info.value.hint is not None
    assert "cairn compute create --name cpu-cluster --type amlcompute" in info.value.hint
    assert "cairn compute create --file compute.yml" in info.value.hint
    assert workspace.store.jobs.list(workspace.name).items == ()

    create_compute(workspace, project.write("cpu.yml", AML_COMPUTE))
    submission = submit_job(workspace, job)
    computes = {sid: step.compute for sid, step in submission.plan.steps.items()}
    assert computes == {"prep": "cpu-cluster", "train": "local", "score": "local"}
    assert submission.job.compute == "cpu-cluster"
    children = workspace.store.jobs.children(submission.job.id)
    assert {c.node_name: c.compute for c in children} == computes
