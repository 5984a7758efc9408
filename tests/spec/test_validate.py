"""Validating whole pipelines: resolution of component files, the checks, and the graph."""

from __future__ import annotations

import pytest

from cairn.errors import UsageError
from cairn.spec.validate import validate_component_file, validate_job_file
from tests.conftest import Project

TRAIN = """
    $schema: https://azuremlschemas.azureedge.net/latest/commandComponent.schema.json
    name: train
    type: command
    inputs:
      data: {type: uri_folder}
      epochs: {type: integer, min: 1, max: 50}
      seed: {type: integer, optional: true}
    outputs:
      model: {type: uri_folder}
    code: ./src
    environment: azureml:AzureML-sklearn-1.0@latest
    command: python t.py --d ${{inputs.data}} --e ${{inputs.epochs}} $[[--s ${{inputs.seed}}]] --o ${{outputs.model}}
"""

INNER = """
    type: pipeline
    name: inner
    inputs:
      data: {type: uri_folder}
    outputs:
      model: {type: uri_folder}
    jobs:
      fit:
        type: command
        component: ../train.yml
        inputs: {data: "${{parent.inputs.data}}", epochs: 3}
        outputs: {model: "${{parent.outputs.model}}"}
"""

OUTER = """
    type: pipeline
    name: outer
    inputs:
      data: {type: uri_folder}
    outputs:
      model: {type: uri_folder}
    jobs:
      first:
        type: pipeline
        component: ./inner.yml
        inputs: {data: "${{parent.inputs.data}}"}
      second:
        type: pipeline
        component: file:./inner.yml
        inputs: {data: "${{parent.jobs.first.outputs.model}}"}
        outputs: {model: "${{parent.outputs.model}}"}
"""


def codes(report: object) -> list[str]:
    return sorted(d.code for d in report.diagnostics)  # type: ignore[attr-defined]


@pytest.fixture
def nested(project: Project) -> Project:
    (project.root / "src").mkdir()
    (project.root / "data").mkdir()
    project.write("train.yml", TRAIN)
    project.write("parts/inner.yml", INNER)
    project.write("parts/outer.yml", OUTER)
    return project


def test_nested_components_two_levels_deep_used_twice(nested: Project) -> None:
    job = nested.write(
        "pipeline.yml",
        """
        type: pipeline
        settings:
          default_compute: azureml:cpu
        inputs:
          raw: {type: uri_folder, path: ./data}
        jobs:
          prep:
            type: pipeline
            component: ./parts/outer.yml
            inputs: {data: "${{parent.inputs.raw}}"}
          score:
            type: command
            component: ./train.yml
            inputs:
              data: ${{parent.jobs.prep.outputs.model}}
              epochs: 1
        """,
    )
    report = validate_job_file(job)
    assert report.ok, [d.format() for d in report.diagnostics]
    assert report.graph is not None
    ids = [s.id for s in report.graph.steps]
    assert ids == ["prep/first/fit", "prep/second/fit", "score"]
    edges = {(e.source, e.output, e.target, e.input) for e in report.graph.edges}
    assert edges == {
        ("prep/first/fit", "model", "prep/second/fit", "data"),
        ("prep/second/fit", "model", "score", "data"),
    }
    assert set(report.graph.groups) == {"prep", "prep/first", "prep/second"}


def test_problems_inside_a_component_file_point_into_that_file(project: Project) -> None:
    (project.root / "src").mkdir()
    project.write(
        "c.yml",
        """
        name: c
        type: command
        inputs:
          lr: {type: number, optional: true}
        environment: azureml:env:1
        code: ./src
        command: python x.py --lr ${{inputs.lr}} --o ${{outputs.out}}
        """,
    )
    job = project.write(
        "p.yml",
        """
        type: pipeline
        jobs:
          a:
            component: ./c.yml
            compute: local
        """,
    )
    report = validate_job_file(job, cwd=project.root)
    found = {(d.code, d.file, d.line) for d in report.diagnostics}
    assert ("E207", "c.yml", 7) in found
    assert ("E206", "c.yml", 7) in found


def test_required_unknown_and_badly_typed_inputs(project: Project) -> None:
    (project.root / "src").mkdir()
    project.write("train.yml", TRAIN)
    job = project.write(
        "p.yml",
        """
        type: pipeline
        settings: {default_compute: local}
        inputs: {n: 70}
        jobs:
          a:
            component: ./train.yml
            inputs:
              epochs: ${{parent.inputs.n}}
              data: 5
              extra: 1
          b:
            component: ./train.yml
            inputs:
              data: {type: uri_file, path: ./train.yml}
              epochs: ten
        """,
    )
    report = validate_job_file(job)
    assert codes(report) == ["E302", "E302", "E303", "W301", "W302"]
    messages = " | ".join(d.message for d in report.diagnostics)
    assert "(from pipeline input `n`): `70` is above the maximum 50" in messages
    missing = project.write(
        "q.yml",
        """
        type: pipeline
        settings: {default_compute: local}
        jobs:
          a: {component: ./train.yml, inputs: {epochs: 2}}
        """,
    )
    assert codes(validate_job_file(missing)) == ["E301"]


def test_bindings_cycles_and_self_references(project: Project) -> None:
    (project.root / "src").mkdir()
    project.write("train.yml", TRAIN)
    job = project.write(
        "p.yml",
        """
        type: pipeline
        settings: {default_compute: local}
        inputs:
          raw:
            type: uri_folder
            path: azureml://datastores/workspaceblobstore/paths/raw
        outputs: {final: {type: uri_folder}}
        jobs:
          a:
            component: ./train.yml
            inputs: {data: "${{parent.jobs.c.outputs.model}}", epochs: 1}
          b:
            component: ./train.yml
            inputs: {data: "${{parent.jobs.a.outputs.model}}", epochs: 1}
          c:
            component: ./train.yml
            inputs: {data: "${{parent.jobs.b.outputs.model}}", epochs: 1}
            outputs: {model: "${{parent.outputs.finale}}"}
          d:
            component: ./train.yml
            inputs: {data: "${{parent.jobs.d.outputs.model}}", epochs: 1}
          e:
            component: ./train.yml
            inputs: {data: "${{parent.jobs.a.outputs.modle}}", epochs: "${{parent.inputs.raww}}"}
        """,
    )
    report = validate_job_file(job)
    by_code = {d.code: d for d in report.diagnostics}
    assert sorted(by_code) == ["E202", "E203", "E205", "E401", "E402"]
    assert by_code["E401"].message == "dependency cycle: a → c → b → a"
    assert by_code["E205"].hint == "did you mean `model`?"
    assert by_code["E202"].hint == "did you mean `raw`?"
    assert by_code["E203"].hint == "did you mean `final`?"


def test_empty_jobs_and_exclusive_component(project: Project) -> None:
    assert codes(validate_job_file(project.write("e.yml", "type: pipeline\njobs: {}\n"))) == [
        "E403"
    ]
    project.write(
        "inner.yml",
        "type: pipeline\nname: x\njobs: {a: {type: command, command: echo, environment: 'azureml:e', compute: local}}\n",
    )
    both = project.write(
        "b.yml",
        "type: pipeline\ncomponent: ./inner.yml\njobs: {a: {command: echo, environment: e}}\n",
    )
    assert "E107" in codes(validate_job_file(both))


def test_job_that_runs_a_pipeline_component(project: Project) -> None:
    project.write(
        "inner.yml",
        """
        type: pipeline
        name: inner
        inputs: {msg: {type: string}}
        jobs:
          say: {command: "echo ${{inputs.m}}", environment: "azureml:e", inputs: {m: "${{parent.inputs.msg}}"}}
        """,
    )
    ok = project.write(
        "p.yml", "type: pipeline\ncompute: local\ncomponent: ./inner.yml\ninputs: {msg: hi}\n"
    )
    report = validate_job_file(ok)
    assert report.ok, [d.format() for d in report.diagnostics]
    assert report.graph is not None and [s.id for s in report.graph.steps] == ["pipeline/say"]
    missing = project.write("q.yml", "type: pipeline\ncompute: local\ncomponent: ./inner.yml\n")
    assert codes(validate_job_file(missing)) == ["E301"]


def test_overrides_apply_before_loading(project: Project) -> None:
    job = project.write(
        "p.yml", "type: pipeline\njobs:\n  a: {command: echo, environment: 'azureml:e'}\n"
    )
    assert codes(validate_job_file(job)) == ["W601"]
    report = validate_job_file(job, overrides=["settings.default_compute=local"])
    assert codes(report) == []
    with pytest.raises(UsageError, match="reference string"):
        validate_job_file(job, overrides=["jobs.a.environment.image=x"])
    with pytest.raises(UsageError, match="KEY=VALUE"):
        validate_job_file(job, overrides=["nonsense"])


def test_unsupported_node_types_and_bad_names(project: Project) -> None:
    job = project.write(
        "p.yml",
        """
        type: pipeline
        settings: {default_compute: local}
        jobs:
          Train-1: {command: echo, environment: "azureml:e"}
          auto: {type: automl, task: classification}
          par: {type: parallel, component: ./x.yml}
        """,
    )
    report = validate_job_file(job)
    assert codes(report) == ["E105", "E601", "E601"]
    e105 = next(d for d in report.diagnostics if d.code == "E105")
    assert (e105.line, e105.column) == (4, 3)
    assert e105.hint == "for example `train_1`"


def test_component_validate_checks_name_files_and_command(project: Project) -> None:
    comp = project.write(
        "c.yml",
        """
        name: Bad-Name
        type: command
        code: ./missing
        environment:
          image: python:3.11
          conda_file: ./env.yml
        command: echo ${{inputs.x}}
        """,
    )
    report = validate_component_file(comp)
    assert codes(report) == ["E105", "E206", "E501", "E501"]
