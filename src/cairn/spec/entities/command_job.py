"""Standalone command jobs (`type: command`, Azure `commandJob.schema.json`; `CommandJobSchema`
= `ParameterizedCommandSchema` + `BaseJobSchema`).

A command job is one command run in an environment with its code folder, given its own inputs
and outputs. Unknown keys are errors, as in Azure. A file without `type` that has `command` is a
command job, as Azure's `load_job` reads it.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import StrictStr

from cairn.spec.entities.base import LOWER
from cairn.spec.entities.io import InputValue, Output
from cairn.spec.entities.job import CommandTrial, JobBase
from cairn.spec.entities.runtime import CommandLimits


class CommandJob(JobBase, CommandTrial):
    """A command job."""

    SERVICE_KEYS: ClassVar[tuple[str, ...]] = (*JobBase.SERVICE_KEYS, "parameters")

    type: Annotated[Literal["command"], LOWER] = "command"
    inputs: dict[StrictStr, InputValue] = {}
    outputs: dict[StrictStr, Output | None] = {}
    limits: CommandLimits | None = None
    parent_job_name: StrictStr | None = None
    parameters: Any = None
