"""Standalone sweep jobs (`type: sweep`, Azure `sweepJob.schema.json`; `SweepJobSchema` =
`BaseJobSchema` + `ParameterizedSweepSchema`).

A sweep runs its `trial` command many times with values drawn from `search_space`, each trial
reporting `objective.primary_metric`. The trial is written inline (a component reference is an
error in Azure) and may use `${{search_space.X}}`, `${{inputs.X}}` and `${{outputs.X}}`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StrictStr

from cairn.spec.entities.base import LOWER
from cairn.spec.entities.io import InputValue, Output
from cairn.spec.entities.job import CommandTrial, JobBase, JobResources
from cairn.spec.entities.runtime import QueueSettings
from cairn.spec.entities.sweep import Distribution, SweepSettings


class SweepJob(JobBase, SweepSettings):
    """A sweep job."""

    type: Annotated[Literal["sweep"], LOWER]
    trial: CommandTrial
    inputs: dict[StrictStr, InputValue] = {}
    outputs: dict[StrictStr, Output | None] = {}
    # Azure's SDK accepts a sweep job without `search_space` and then fails with an internal
    # error (`UnboundLocalError`) when it builds the request; Cairn says what is missing.
    search_space: dict[StrictStr, Distribution]
    queue_settings: QueueSettings | None = None
    resources: JobResources | None = None
