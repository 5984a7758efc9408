"""Submitting a pipeline job: the parent `Queued` with one `NotStarted` child per step, where it
came from, its experiment, `--set`, `--force`, and name collisions."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cairn.errors import Conflict, InvalidSpec, NotFound, Unsupported, UsageError
from cairn.plan.model import Plan
from cairn.store.records import NewJob
from cairn.store.status import JobStatus
from cairn.workspace.context import Workspace
from cairn.workspace.jobs import default_experiment, submit_job

from .conftest import Project

PIPELINE = """
    $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
    type: pipeline
    display_name: Nightly
    tags: {team: risk}
    compute: local
    inputs:
      rows: {type: uri_folder, path: ./data}
      n: 3
    jobs:
      prep:
        command: python prep.py ${{inputs.rows}} ${{inputs.n}} ${{outputs.clean}}
        code: ./src
        environment: azureml:AzureML-minimal@latest
        inputs:
          rows: ${{parent.inputs.rows}}
          n: ${{parent.inputs.n}}
        outputs:
          clean: {type: uri_folder}
      train:
        command: python train.py ${{inputs.clean}}
        code: ./src
        environment: azureml:AzureML-minimal@latest
        inputs:
          clean: ${{parent.jobs.prep.outputs.clean}}
"""


@pytest.fixture
def job(project: Project) -> Path:
    project.code()
    project.write("data/rows.csv", "a\n1\n")
    return project.write("pipeline.yml", PIPELINE)


def test_parent_queued_with_one_child_per_step(any_workspace: Workspace, job: Path) -> None:
    store = any_workspace.store
    submission = submit_job(any_workspace, job)
    parent, plan = submission.job, submission.plan
    assert parent.status is JobStatus.QUEUED
    assert (parent.type, parent.display_name, dict(parent.tags)) == (
        "pipeline",
        "Nightly",
        {"team": "risk"},
    )
    assert parent.created_by == "tester"
    assert [e.status for e in store.jobs.events(parent.id)] == [
        JobStatus.NOT_STARTED,
        JobStatus.QUEUED,
    ]
    assert Plan.from_json(dict(store.jobs.plan(parent.id) or {})) == plan
    children = store.jobs.children(parent.id)
    assert [c.node_path for c in children] == list(plan.steps)
    for child in children:
        step = plan.steps[child.node_path or ""]
        assert child.status is JobStatus.NOT_STARTED
        assert child.name == step.name == f"{parent.name}.{step.id}"
        assert child.node_name == step.node
        assert child.parent_id == parent.id
        assert step.reuse is not None
        assert child.reuse_key == step.reuse.key
        assert child.reuse_key_parts == step.reuse.parts
        assert child.experiment_name == parent.experiment_name
    train = plan.steps["train"]
    assert train.reuse is not None and train.reuse.parts["inputs"]["clean"]["upstream"] == (
        plan.steps["prep"].reuse.key  # type: ignore[union-attr]
    )
    assert submission.report.ok


def test_experiment_name_defaults_as_azure_does(workspace: Workspace, project: Project) -> None:
    project.code()
    project.write("data/rows.csv", "a\n1\n")
    job = project.write("my run.v2/pipeline.yml", PIPELINE.replace("./", "../"))
    # Azure: `Path(".").resolve().stem.replace(" ", "")` of the folder the command runs in.
    assert submit_job(workspace, job).job.experiment_name == "myrun"
    assert default_experiment(Path("/")) == "Default"
    named = project.write("named.yml", PIPELINE + "    experiment_name: from_yaml\n")
    assert submit_job(workspace, named).job.experiment_name == "from_yaml"
    chosen = submit_job(workspace, named, experiment_name="from_caller")
    assert chosen.job.experiment_name == chosen.plan.experiment_name == "from_caller"
    assert {c.experiment_name for c in workspace.store.jobs.children(chosen.job.id)} == {
        "from_caller"
    }


def test_overrides_and_force_rerun(workspace: Workspace, job: Path) -> None:
    plain = submit_job(workspace, job).plan
    assert plain.settings.force_rerun is False
    submission = submit_job(
        workspace,
        job,
        overrides=[
            "inputs.n=5",
            "experiment_name=set_by_cli",
            "settings.continue_on_step_failure=false",
        ],
        force_rerun=True,
        display_name="Rerun",
    )
    plan = submission.plan
    assert plan.settings.force_rerun is True
    assert plan.settings.continue_on_step_failure is False
    assert plan.steps["prep"].inputs["n"].value == 5  # type: ignore[union-attr]
    assert submission.job.experiment_name == "set_by_cli"
    assert submission.job.display_name == plan.display_name == "Rerun"
    stored = Plan.from_json(dict(workspace.store.jobs.plan(submission.job.id) or {}))
    assert stored.settings.force_rerun is True
    # A changed literal changes the key of its step and of the step downstream.
    for sid in ("prep", "train"):
        assert plan.steps[sid].reuse != plain.steps[sid].reuse
    forced = submit_job(workspace, job, overrides=["settings.force_rerun=true"]).plan
    assert forced.settings.force_rerun is True

    with pytest.raises(UsageError, match="`deeper` is not inside a mapping"):
        submit_job(workspace, job, overrides=["inputs.n.deeper=1"])
    with pytest.raises(InvalidSpec, match="not_a_key"):
        submit_job(workspace, job, overrides=["not_a_key=1"])


def test_job_names(any_workspace: Workspace, job: Path, project: Project) -> None:
    store = any_workspace.store
    first = submit_job(any_workspace, job, name="nightly_1")
    assert first.job.name == "nightly_1"
    with pytest.raises(Conflict, match="a job named nightly_1 already exists"):
        submit_job(any_workspace, job, name="nightly_1")
    # The YAML's own `name` is the job name too, with the same rule.
    named = project.write("named.yml", PIPELINE + "    name: from_yaml\n")
    assert submit_job(any_workspace, named).job.name == "from_yaml"
    with pytest.raises(Conflict):
        submit_job(any_workspace, named)
    assert submit_job(any_workspace, named, name="from_caller").job.name == "from_caller"
    generated = submit_job(any_workspace, job).job.name
    assert generated not in ("nightly_1", "from_yaml") and generated.count("_") == 2
    # A step name that is taken: nothing of the submission is left behind, not even its name.
    store.jobs.create(any_workspace.name, NewJob(type="command", name="clash.prep"), actor="x")
    with pytest.raises(Conflict, match=r"clash\.prep"):
        submit_job(any_workspace, job, name="clash")
    with pytest.raises(NotFound):
        store.jobs.get_by_name(any_workspace.name, "clash")


def test_source_records_file_and_commit(workspace: Workspace, job: Path) -> None:
    alone = submit_job(workspace, job).job.source
    assert alone == {"file": str(job)}

    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(job.parent), *args],
            check=True,
            capture_output=True,
            text=True,
            env=env,
        ).stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "pipeline")
    commit = git("rev-parse", "HEAD")
    clean = submit_job(workspace, job).job.source
    assert clean == {"file": str(job), "commit": commit, "dirty": False}
    (job.parent / "src" / "train.py").write_text("print('edited')\n")
    assert submit_job(workspace, job).job.source["dirty"] is True
    given = {"file": "pipelines/nightly.yml", "commit": "abc123"}
    assert submit_job(workspace, job, source=given).job.source == given


def test_only_pipeline_jobs_are_submitted(workspace: Workspace, project: Project) -> None:
    project.code()
    command_job = project.write(
        "command.yml",
        """
        $schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
        type: command
        command: echo hi
        environment: azureml:AzureML-minimal@latest
        compute: local
        """,
    )
    with pytest.raises(Unsupported, match="Cairn runs pipeline jobs") as info:
        submit_job(workspace, command_job)
    assert info.value.hint is not None and "type: pipeline" in info.value.hint
    assert workspace.store.jobs.list(workspace.name).items == ()
