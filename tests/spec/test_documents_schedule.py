"""Schedules: triggers, `create_job` in its three forms, and the job a schedule creates."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.spec import documents
from cairn.spec.entities.schedule import (
    CronTrigger,
    PipelineJobUpdates,
    RecurrenceTrigger,
    Schedule,
)

from .document_cases import asset, found, job, write_files

SUPPORT = {
    # Azure: accepts; it has no compute (`settings.default_compute` comes from the schedule).
    "simple-pipeline-job.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/pipelineJob.schema.json
        type: pipeline
        display_name: simple-pipeline-job
        inputs:
          hello_string: hello
        jobs:
          hello_job:
            command: echo ${{inputs.greeting}}
            environment: azureml://registries/azureml/environments/sklearn-1.5/labels/latest
            inputs:
              greeting: ${{parent.inputs.hello_string}}
    """,
    "command-job.yml": """
        type: command
        command: echo hello
        environment: azureml:env:1
        compute: azureml:cpu-cluster
    """,
    # Azure: rejects (`bogus`: Unknown field).
    "broken-job.yml": """
        type: pipeline
        bogus: 1
        jobs:
          a:
            command: echo
            environment: azureml:env:1
            compute: local
    """,
}

CASES = {
    # Azure: accepts (Azure's schedule examples).
    "cron.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
        name: simple_cron_job_schedule
        display_name: Simple cron job schedule
        description: a simple hourly cron job schedule

        trigger:
          type: cron
          expression: "0 * * * *"
          start_time: "2022-07-10T10:00:00" # optional - default will be schedule creation time
          time_zone: "Pacific Standard Time" # optional - default will be UTC

        create_job:
          type: pipeline
          job: ./simple-pipeline-job.yml
          settings:
            default_compute: azureml:cpu-cluster
    """,
    "recurrence.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
        name: simple_recurrence_job_schedule
        display_name: Simple recurrence job schedule
        description: a simple hourly recurrence job schedule

        trigger:
          type: recurrence
          frequency: day #can be minute, hour, day, week, month
          interval: 1 #every day
          schedule:
            hours: [4,5,10,11,12]
            minutes: [0,30]
          start_time: "2022-07-10T10:00:00" # optional - default will be schedule creation time
          time_zone: "Pacific Standard Time" # optional - default will be UTC

        create_job: ./command-job.yml
    """,
    "cron_with_settings.yml": """
        $schema: https://azuremlschemas.azureedge.net/latest/schedule.schema.json
        name: cron_with_settings_job_schedule
        display_name: Simple cron job schedule
        description: a simple hourly cron job schedule

        trigger:
          type: cron
          expression: "0 * * * *"
          start_time: "2022-07-10T10:00:00" # optional - default will be schedule creation time
          time_zone: "Pacific Standard Time" # optional - default will be UTC

        create_job:
          type: pipeline
          job: ./simple-pipeline-job.yml
          # job: azureml:simple-pipeline-job
          settings:
            continue_on_step_failure: true
            default_compute: azureml:cpu-cluster
          inputs:
            hello_string: ${{name}}
          experiment_name: simple_cron_with_settings
          tags:
            schedule: cron_with_settings_schedule
    """,
    # Azure: accepts (an existing job is not looked at offline).
    "existing_job.yml": """
        name: nightly
        trigger:
          type: recurrence
          frequency: Week
          interval: 1
          schedule:
            hours: 4
            minutes: 0
            week_days: [Monday, friday]
        create_job: azureml:simple-pipeline-job
    """,
    "command_updates.yml": """
        name: nightly_command
        trigger:
          type: cron
          expression: "30 2 * * 1-5"
          end_time: "2030-01-01T00:00:00Z"
        create_job:
          type: command
          job: ./command-job.yml
          environment_variables:
            MODE: nightly
          limits:
            timeout: 3600
    """,
    # Azure: accepts offline (it checks neither the data path nor the input's use). Cairn
    # validates the merged job and points at the schedule's value.
    "bad_update.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job:
          type: pipeline
          job: ./simple-pipeline-job.yml
          compute: azureml:cpu-cluster
          inputs:
            hello_string:
              type: uri_folder
              path: ./no-such-data
    """,
    # Azure: rejects (`display`: Unknown field).
    "unknown.yml": """
        name: s
        display: nightly
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job: ./command-job.yml
    """,
    # Azure: rejects (`name` missing; a trigger and `create_job` are needed to build it).
    "no_name.yml": """
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job: ./command-job.yml
    """,
    "no_trigger.yml": """
        name: s
        create_job: ./command-job.yml
    """,
    # Azure: rejects (`daily` is not a frequency; a recurrence needs `interval`, and a
    # `schedule` needs both `hours` and `minutes`).
    "bad_frequency.yml": """
        name: s
        trigger:
          type: recurrence
          frequency: daily
          interval: 1
        create_job: ./command-job.yml
    """,
    "no_interval.yml": """
        name: s
        trigger:
          type: recurrence
          frequency: day
          schedule:
            hours: 1
        create_job: ./command-job.yml
    """,
    # Azure: rejects (`crom` is neither `cron` nor `recurrence`).
    "bad_trigger.yml": """
        name: s
        trigger:
          type: crom
          expression: "0 * * * *"
        create_job: ./command-job.yml
    """,
    # Azure: rejects the start time ("Not a valid ISO8601-formatted datetime string") and does
    # not look at the expression; Cairn runs schedules itself, so it checks the expression too.
    "bad_times.yml": """
        name: s
        trigger:
          type: cron
          expression: every hour
          start_time: "2022-07-10"
        create_job: ./command-job.yml
    """,
    # Azure: accepts (without `type`, the job file says what the job is).
    "updates_no_type.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job:
          job: ./command-job.yml
          compute: azureml:other
          environment_variables:
            MODE: nightly
    """,
    # Azure: rejects ("'type' must be specified when scheduling a remote job with updates";
    # a command's `command` cannot be replaced; the job file must exist; `sweep` cannot be
    # scheduled).
    "existing_job_no_type.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job:
          job: azureml:my-job
          compute: azureml:other
    """,
    "updates_command.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job:
          type: command
          job: ./command-job.yml
          command: echo other
    """,
    "missing_job.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job: ./no-such-job.yml
    """,
    "sweep_updates.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job:
          type: sweep
          job: ./command-job.yml
    """,
    # Azure: rejects (the job file's own error).
    "broken_job.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job: ./broken-job.yml
    """,
    # Azure: rejects (a Spark job needs its `entry`); Cairn does not run Spark at all.
    "spark.yml": """
        name: s
        trigger:
          type: cron
          expression: "0 * * * *"
        create_job:
          type: spark
          job: azureml:spark-job
    """,
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    write_files(tmp_path, SUPPORT)
    write_files(tmp_path, CASES)
    return tmp_path


@pytest.mark.parametrize(
    "name",
    [
        "cron.yml",
        "recurrence.yml",
        "cron_with_settings.yml",
        "existing_job.yml",
        "command_updates.yml",
        "updates_no_type.yml",
    ],
)
def test_schedule_examples_are_valid(root: Path, name: str) -> None:
    report = asset(root, name)
    assert found(report) == []
    assert report.kind == "schedule"


def test_schedule_values(root: Path) -> None:
    recurrence = asset(root, "existing_job.yml").entity
    assert isinstance(recurrence, Schedule)
    assert isinstance(recurrence.trigger, RecurrenceTrigger)
    assert recurrence.trigger.frequency == "week"
    assert recurrence.trigger.schedule is not None
    assert recurrence.trigger.schedule.week_days == ["monday", "friday"]
    assert recurrence.create_job == "azureml:simple-pipeline-job"
    cron = asset(root, "cron_with_settings.yml").entity
    assert isinstance(cron, Schedule) and isinstance(cron.trigger, CronTrigger)
    assert isinstance(cron.create_job, PipelineJobUpdates)
    assert cron.create_job.settings is not None
    assert cron.create_job.settings.continue_on_step_failure is True


def test_the_schedules_values_are_merged_into_its_job(root: Path) -> None:
    # On its own the job has no compute; the schedule's `settings.default_compute` gives one.
    assert [d.code for d in job(root, "simple-pipeline-job.yml").diagnostics] == ["W601"]
    assert found(asset(root, "cron.yml")) == []


def test_a_problem_in_a_replaced_value_points_into_the_schedule(root: Path) -> None:
    report = asset(root, "bad_update.yml")
    assert found(report) == [("E501", 12)]
    problem = report.diagnostics.items[0]
    assert problem.file == "bad_update.yml"
    assert problem.path == "create_job.inputs.hello_string.path"


def test_a_job_path_the_os_refuses_is_a_diagnostic(root: Path) -> None:
    # Azure: rejects ("No such file or directory").
    long_name = "j" * 300
    write_files(
        root,
        {
            "long.yml": f"name: s\ntrigger:\n  type: cron\n  expression: 0 * * * *\n"
            f"create_job: ./{long_name}.yml\n"
        },
    )
    report = asset(root, "long.yml")
    assert found(report) == [("E501", 5)]
    assert "is not a usable path" in report.diagnostics.items[0].message


def test_problems_in_the_job_file_are_reported_in_it(root: Path) -> None:
    report = asset(root, "broken_job.yml")
    assert [(d.code, d.file, d.line) for d in report.diagnostics] == [("E101", "broken-job.yml", 2)]


@pytest.mark.parametrize(
    ("name", "expected", "hint"),
    [
        ("unknown.yml", [("E101", 2)], "did you mean `display_name`?"),
        ("no_name.yml", [("E102", 1)], None),
        ("no_trigger.yml", [("E102", 1)], None),
        ("bad_frequency.yml", [("E104", 4)], "did you mean `day`?"),
        ("no_interval.yml", [("E102", 2), ("E102", 5)], None),
        ("bad_trigger.yml", [("E104", 3)], "did you mean `cron`?"),
        ("bad_times.yml", [("E106", 4), ("E106", 5)], None),
        ("existing_job_no_type.yml", [("E102", 5)], None),
        ("updates_command.yml", [("E101", 8)], None),
        ("missing_job.yml", [("E501", 5)], None),
        ("sweep_updates.yml", [("E104", 6)], None),
        ("spark.yml", [("E601", 6)], None),
    ],
)
def test_schedule_errors(
    root: Path, name: str, expected: list[tuple[str, int]], hint: str | None
) -> None:
    # As `cairn schedule create --file` does: the command says the file is a schedule (a file
    # without `$schema` and `trigger` does not say so itself).
    report = asset(root, name, documents.SCHEDULE)
    assert found(report) == expected
    if hint is not None:
        assert report.diagnostics.items[0].hint == hint
