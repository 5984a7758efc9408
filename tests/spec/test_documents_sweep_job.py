"""Standalone sweep jobs: the trial, the search space, sampling, limits and policies."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.spec.entities.sweep import Choice, QUniform
from cairn.spec.entities.sweep_job import SweepJob

from .document_cases import found, job, write_files

SUPPORT = {"src/": ""}

CASES = {
    # Azure: accepts (the sweep job example of Azure's YAML reference).
    "sweep_ok.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json
        type: sweep
        trial:
          code: src
          command: >-
            python main.py
            --iris-csv ${{inputs.iris_csv}}
            --C ${{search_space.C}}
            --kernel ${{search_space.kernel}}
            --coef0 ${{search_space.coef0}}
          environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
        inputs:
          iris_csv:
            type: uri_file
            path: wasbs://datasets@azuremlexamples.blob.core.windows.net/iris.csv
        compute: azureml:cpu-cluster
        sampling_algorithm: random
        search_space:
          C:
            type: uniform
            min_value: 0.5
            max_value: 0.9
          kernel:
            type: choice
            values: ["rbf", "linear", "poly"]
          coef0:
            type: uniform
            min_value: 0.1
            max_value: 1
        objective:
          goal: minimize
          primary_metric: training_f1_score
        limits:
          max_total_trials: 20
          max_concurrent_trials: 10
          timeout: 7200
        early_termination:
          type: median_stopping
          evaluation_interval: 1
          delay_evaluation: 5
        display_name: sklearn-iris-sweep-example
        experiment_name: sklearn-iris-sweep-example
        description: Sweep hyperparemeters for training a SVM on the Iris dataset.
    """,
    # Azure: accepts (every kind of space; `q` may be fractional; nested choices).
    "sweep_spaces.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.a}} ${{search_space.b}} ${{search_space.c}}
          environment: azureml:env:1
        compute: local
        sampling_algorithm:
          type: random
          seed: 7
          rule: sobol
        search_space:
          a:
            type: quniform
            min_value: 1
            max_value: 5
            q: 0.5
          b:
            type: qlognormal
            mu: 0
            sigma: 1
            q: 1
          c:
            type: randint
            upper: 10
          d:
            type: choice
            values:
              - small: {type: choice, values: [1, 2]}
                depth: 3
              - 7
        objective:
          goal: Maximize
          primary_metric: accuracy
        limits:
          max_total_trials: 4
          trial_timeout: 60
        early_termination:
          type: bandit
          slack_factor: 0.1
          evaluation_interval: 1
    """,
    # Azure: rejects (only because of `${{inputs.data}}`, when it builds the request). Cairn
    # also rejects the misspelt hyperparameter and the undeclared output.
    "sweep_bindings.yml": """
        type: sweep
        trial:
          command: >-
            python t.py --c ${{search_space.c}} --d ${{inputs.data}} --o ${{outputs.model}}
            --n ${{name}}
          environment: azureml:env:1
        compute: local
        search_space:
          C:
            type: choice
            values: [1, 2]
        objective:
          goal: maximize
          primary_metric: accuracy
        limits:
          max_total_trials: 2
    """,
    # Azure: rejects (`limits`: Missing data for required field).
    "sweep_no_limits.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.x}}
          environment: azureml:env:1
        compute: local
        search_space:
          x:
            type: choice
            values: [1, 2]
        objective:
          goal: maximize
          primary_metric: accuracy
    """,
    # Azure: rejects (`limits.max_total_trials` required; `trial.inputs` unknown).
    "sweep_limits_and_trial.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.x}}
          environment: azureml:env:1
          inputs:
            a: 1
        compute: local
        search_space:
          x:
            type: choice
            values: [1, 2]
        objective:
          goal: maximize
          primary_metric: accuracy
        limits:
          max_concurrent_trials: 2
    """,
    # Azure: rejects (policy `bandits`; `exclude_finished_jobs` is in no policy's schema).
    "sweep_policies.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.x}}
          environment: azureml:env:1
        compute: local
        search_space:
          x:
            type: choice
            values: [1, 2]
        objective:
          goal: maximize
          primary_metric: accuracy
        limits:
          max_total_trials: 2
        early_termination:
          type: bandits
          slack_factor: 0.1
    """,
    "sweep_truncation.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.x}}
          environment: azureml:env:1
        compute: local
        search_space:
          x:
            type: choice
            values: [1, 2]
        objective:
          goal: maximize
          primary_metric: accuracy
        limits:
          max_total_trials: 2
        early_termination:
          type: truncation_selection
          truncation_percentage: 10
          exclude_finished_jobs: true
    """,
    # Azure: rejects (booleans are not choice values: write them as strings).
    "sweep_choice_booleans.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.flag}}
          environment: azureml:env:1
        compute: local
        search_space:
          flag:
            type: choice
            values: [true, false]
        objective:
          goal: maximize
          primary_metric: accuracy
        limits:
          max_total_trials: 2
    """,
    # Azure: accepts offline; its service refuses grid sampling over anything but `choice`.
    "sweep_grid.yml": """
        type: sweep
        trial:
          command: echo ${{search_space.lr}}
          environment: azureml:env:1
        sampling_algorithm: grid
        search_space:
          lr:
            type: loguniform
            min_value: -6
            max_value: -1
        objective:
          goal: minimize
          primary_metric: loss
        limits:
          max_total_trials: 2
    """,
    # Azure: fails with an internal error (`UnboundLocalError`) building the request.
    "sweep_no_search_space.yml": """
        type: sweep
        trial:
          command: echo hello
          environment: azureml:env:1
        compute: local
        sampling_algorithm: grid
        objective:
          goal: maximize
          primary_metric: accuracy
        limits:
          max_total_trials: 2
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_files(tmp_path, SUPPORT)
    write_files(tmp_path, CASES)
    return tmp_path


def test_the_reference_example_is_valid(root: Path) -> None:
    sweep = job(root, "sweep_ok.yml")
    assert found(sweep) == []
    assert sweep.kind == "sweep job"
    assert isinstance(sweep.entity, SweepJob)
    assert sweep.entity.limits.max_total_trials == 20
    assert sorted(sweep.entity.search_space) == ["C", "coef0", "kernel"]


def test_every_kind_of_search_space(root: Path) -> None:
    report = job(root, "sweep_spaces.yml")
    assert found(report) == []
    assert isinstance(report.entity, SweepJob)
    space = report.entity.search_space
    assert isinstance(space["a"], QUniform) and space["a"].q == 0.5
    assert space["b"].q == 1 and isinstance(space["b"].q, int)  # type: ignore[union-attr]
    nested = space["d"]
    assert isinstance(nested, Choice) and isinstance(nested.values[0], dict)
    assert isinstance(nested.values[0]["small"], Choice)
    assert report.entity.objective.goal == "maximize"


def test_the_trial_command_uses_declared_hyperparameters_inputs_and_outputs(root: Path) -> None:
    report = job(root, "sweep_bindings.yml")
    # The position is the start of the folded command (the `>-` on line 3).
    assert found(report) == [("E201", 3), ("E206", 3), ("E206", 3), ("E208", 3)]
    messages = [d.message for d in report.diagnostics.sorted()]
    assert messages[0].startswith("`${{name}}` cannot be used in a trial's command")
    e208 = next(d for d in report.diagnostics if d.code == "E208")
    assert e208.hint == "did you mean `C`?"
    assert e208.path == "trial.command"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sweep_no_limits.yml", [("E102", 1)]),
        ("sweep_limits_and_trial.yml", [("E101", 5), ("E102", 15)]),
        ("sweep_policies.yml", [("E104", 16)]),
        ("sweep_truncation.yml", [("E101", 18)]),
        ("sweep_choice_booleans.yml", [("E103", 9), ("E103", 9)]),
        ("sweep_no_search_space.yml", [("E102", 1)]),
    ],
)
def test_sweep_schema_errors(root: Path, name: str, expected: list[tuple[str, int]]) -> None:
    assert found(job(root, name)) == expected


def test_grid_sampling_takes_only_choices(root: Path) -> None:
    # Azure's SDK passes this; its service refuses grid sampling over a `loguniform`.
    report = job(root, "sweep_grid.yml")
    assert found(report) == [("W601", 1), ("E106", 8)]
    e106 = next(d for d in report.diagnostics if d.code == "E106")
    assert e106.message.startswith("`loguniform` cannot be sampled by `grid` sampling")


def test_a_misspelt_policy_gets_a_hint(root: Path) -> None:
    report = job(root, "sweep_policies.yml")
    assert report.diagnostics.items[0].hint == "did you mean `bandit`?"
    assert report.entity is None
