"""Job schedules (Azure `schedule.schema.json`, `JobScheduleSchema`; azure-compat.md §8.6).

A schedule creates a job on a `trigger`: `cron` (a five-field cron expression) or `recurrence`
(every `interval` minutes/hours/days/weeks/months, optionally at given hours, minutes, week days
or month days). `create_job` is a job file, an existing job (`azureml:<name>`), or a mapping
with `type`, the `job` (file or `azureml:` name) and values that replace the job's own (Azure
merges them into the job file before loading it; a command's `code` and `command` cannot be
replaced).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, StrictStr, Tag, field_validator

from cairn.spec.entities.base import (
    LOWER,
    AssetTags,
    Entity,
    OpenEntity,
    Properties,
    choose_by,
    schema_field,
    tag_of,
)
from cairn.spec.entities.environment import EnvironmentValue
from cairn.spec.entities.io import InputValue, Output
from cairn.spec.entities.job import JobBase, RunSettings
from cairn.spec.entities.pipeline import PipelineSettings
from cairn.spec.entities.runtime import CommandLimits

WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WeekDay = Annotated[
    Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"], LOWER
]

# The ISO 8601 forms Azure's loader takes: a date, `T` or a space, hours and minutes, optional
# seconds and fraction, optional `Z` or offset. The groups are the fields `datetime` checks.
_ISO_DATETIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d{1,12})?)?"
    r"(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*,/\-?#]+$")


def _iso_datetime(value: str) -> str:
    match = _ISO_DATETIME.match(value)
    if match is not None:
        try:
            year, month, day, hour, minute, second = (int(p or 0) for p in match.groups())
            datetime(year, month, day, hour, minute, second)
        except ValueError:
            pass
        else:
            return value
    raise ValueError(f"`{value}` is not an ISO 8601 date and time, such as `2024-07-10T10:00:00`")


DateTimeText = Annotated[StrictStr, AfterValidator(_iso_datetime)]


class CronTrigger(Entity):
    type: Annotated[Literal["cron"], LOWER]
    expression: StrictStr
    start_time: DateTimeText | None = None
    end_time: DateTimeText | None = None
    time_zone: StrictStr | None = None

    @field_validator("expression")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        # Azure's SDK passes any string on to the service; Cairn runs the schedule itself, so it
        # checks the shape here (minute hour day-of-month month day-of-week).
        fields = value.split()
        if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ValueError(
                f"`{value}` is not a cron expression: write five fields, "
                "minute hour day-of-month month day-of-week (for example `0 * * * *`)"
            )
        return value


class RecurrencePattern(Entity):
    hours: int | list[int]
    minutes: int | list[int]
    week_days: WeekDay | list[WeekDay] | None = None
    month_days: int | list[int] | None = None


class RecurrenceTrigger(Entity):
    type: Annotated[Literal["recurrence"], LOWER]
    frequency: Annotated[Literal["minute", "hour", "day", "week", "month"], LOWER]
    interval: int
    schedule: RecurrencePattern | None = None
    start_time: DateTimeText | None = None
    end_time: DateTimeText | None = None
    time_zone: StrictStr | None = None


_TRIGGER_TAGS = {"cron": "<cron>", "recurrence": "<recurrence>"}

Trigger = Annotated[
    Annotated[CronTrigger, Tag("<cron>")] | Annotated[RecurrenceTrigger, Tag("<recurrence>")],
    choose_by("bad_trigger", "type", tuple(_TRIGGER_TAGS), lambda v: tag_of(v, _TRIGGER_TAGS)),
]


class PipelineJobUpdates(JobBase):
    """`create_job` for a pipeline: the job, and the values that replace the job's own."""

    type: Annotated[Literal["pipeline"], LOWER] | None = None
    job: StrictStr
    inputs: dict[StrictStr, InputValue] | None = None
    outputs: dict[StrictStr, Output | None] | None = None
    settings: PipelineSettings | None = None


class CommandJobUpdates(JobBase, RunSettings):
    """`create_job` for a command job; its `code` and `command` cannot be replaced."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (*JobBase.SERVICE_KEYS, "parameters")

    type: Annotated[Literal["command"], LOWER] | None = None
    job: StrictStr
    environment: EnvironmentValue | None = None
    inputs: dict[StrictStr, InputValue] | None = None
    outputs: dict[StrictStr, Output | None] | None = None
    limits: CommandLimits | None = None
    parent_job_name: StrictStr | None = None
    parameters: Any = None


class SparkJobUpdates(OpenEntity):
    """`create_job` for a Spark job: accepted by the schema; Cairn does not run Spark."""

    warn_unknown: ClassVar[bool] = False

    type: Annotated[Literal["spark"], LOWER]


CREATE_JOB_TYPES = ("pipeline", "command", "spark")
_CREATE_JOB_TAGS = {t: f"<{t}>" for t in CREATE_JOB_TYPES}
_COMMAND_ONLY = frozenset(CommandJobUpdates.model_fields) - frozenset(
    PipelineJobUpdates.model_fields
)


def _create_job_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<ref>"
    if isinstance(value, dict) and "type" not in value:
        # Azure tries each job schema in turn when `type` is left out (a local job file says
        # what it is); the keys written tell which one can match.
        return "<command>" if _COMMAND_ONLY & value.keys() else "<pipeline>"
    return tag_of(value, _CREATE_JOB_TAGS)


CreateJob = Annotated[
    Annotated[StrictStr, Tag("<ref>")]
    | Annotated[PipelineJobUpdates, Tag("<pipeline>")]
    | Annotated[CommandJobUpdates, Tag("<command>")]
    | Annotated[SparkJobUpdates, Tag("<spark>")],
    choose_by("bad_create_job", "type", CREATE_JOB_TYPES, _create_job_tag),
]
"""A job file, `azureml:<job name>`, or a mapping with `job`, replaced values and (required for
an existing job) `type`."""


class Schedule(Entity):
    """A job schedule."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (
        "creation_context",
        "is_enabled",
        "provisioning_state",
    )

    schema_: StrictStr | None = schema_field()
    name: StrictStr
    display_name: StrictStr | None = None
    description: StrictStr | None = None
    tags: AssetTags | None = None
    properties: Properties | None = None
    id: StrictStr | None = None
    trigger: Trigger
    create_job: CreateJob
    creation_context: Any = None
    is_enabled: Any = None
    provisioning_state: Any = None
