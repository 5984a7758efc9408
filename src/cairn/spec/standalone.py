"""Checks for standalone command and sweep jobs, after their schema passed.

A command job's command may use only its own `${{inputs.X}}` and `${{outputs.X}}`; a sweep's
trial command may also use `${{search_space.X}}` for the hyperparameters it defines. Azure checks
only the sweep's inputs (when it builds the request); a misspelt output or hyperparameter passes
there and fails, or silently renders nothing, at run time. The local files a job names must
exist, and a job without compute runs on `local` (W601).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.spec.assets import check_environment_files, require_path
from cairn.spec.bindings import Kind, parse_command
from cairn.spec.checks.commands import check_command
from cairn.spec.checks.context import CheckContext
from cairn.spec.diagnostics import did_you_mean, one_of
from cairn.spec.entities.io import DataInput, MLTableInput, ModelInput

if TYPE_CHECKING:
    from cairn.spec.diagnostics import Diagnostics
    from cairn.spec.entities.command_job import CommandJob
    from cairn.spec.entities.job import CommandTrial
    from cairn.spec.entities.sweep_job import SweepJob
    from cairn.spec.source import Loc, Source

# What each sampler can draw from (Azure's service refuses other spaces; azure-compat.md §7).
_SAMPLER_SPACES = {
    "grid": ("choice",),
    "bayesian": ("choice", "uniform", "quniform"),
}


def check_command_job(job: CommandJob, source: Source, diagnostics: Diagnostics) -> None:
    context = CheckContext(diagnostics, None)
    check_command(
        job.command,
        dict(job.inputs),
        dict(job.outputs),
        source,
        ("command",),
        context,
        declared_ports=False,
    )
    _check_files(job, (), job.inputs, source, diagnostics)
    _check_compute(job.compute, source, diagnostics)


def check_sweep_job(job: SweepJob, source: Source, diagnostics: Diagnostics) -> None:
    check_trial_command(job, source, diagnostics)
    _check_files(job.trial, ("trial",), job.inputs, source, diagnostics)
    _check_sampler(job, source, diagnostics)
    _check_compute(job.compute, source, diagnostics)


def check_trial_command(job: SweepJob, source: Source, diagnostics: Diagnostics) -> None:
    """Every expression in the trial's command names a declared input, output or
    hyperparameter; nothing else may appear there."""
    loc = ("trial", "command")
    template, problems = parse_command(job.trial.command)
    for problem in problems:
        diagnostics.add(source.diag("E201", f"in `command`: {problem.message}", loc))
    for expr, _ in template.expressions():
        if expr.kind in (Kind.INPUT, Kind.OUTPUT):
            word = "input" if expr.kind is Kind.INPUT else "output"
            side: dict[str, Any] = dict(job.inputs if expr.kind is Kind.INPUT else job.outputs)
            if expr.name not in side:
                diagnostics.add(
                    source.diag(
                        "E206",
                        f"`{expr.text}` in the trial's `command`: the sweep declares no {word} "
                        f"`{expr.name}`",
                        loc,
                        hint=did_you_mean(expr.name, side) or f"declare it under `{word}s:`",
                    )
                )
        elif expr.kind is Kind.SEARCH_SPACE:
            if expr.name not in job.search_space:
                diagnostics.add(
                    source.diag(
                        "E208",
                        f"`{expr.text}` in the trial's `command`: `search_space` has no "
                        f"`{expr.name}`",
                        loc,
                        hint=did_you_mean(expr.name, job.search_space)
                        or "define it under `search_space:`",
                    )
                )
        elif expr.kind is not Kind.UNKNOWN:
            diagnostics.add(
                source.diag(
                    "E201",
                    f"`{expr.text}` cannot be used in a trial's command; use "
                    "`${{search_space.X}}`, `${{inputs.X}}` or `${{outputs.X}}`",
                    loc,
                )
            )


def _check_sampler(job: SweepJob, source: Source, diagnostics: Diagnostics) -> None:
    algorithm = job.sampling_algorithm
    name = algorithm if isinstance(algorithm, str) else getattr(algorithm, "type", "random")
    if name not in _SAMPLER_SPACES:
        return
    allowed = _SAMPLER_SPACES[name]
    for key, space in job.search_space.items():
        if space.type not in allowed:
            diagnostics.add(
                source.diag(
                    "E106",
                    f"`{space.type}` cannot be sampled by `{name}` sampling, which takes only "
                    f"{one_of(allowed)}",
                    ("search_space", key, "type"),
                    hint="use `random` sampling, or change the distribution",
                )
            )


def _check_files(
    trial: CommandTrial, at: Loc, inputs: dict[str, Any], source: Source, diagnostics: Diagnostics
) -> None:
    require_path(trial.code, "code", source, (*at, "code"), diagnostics)
    check_environment_files(trial.environment, source, (*at, "environment"), diagnostics)
    for name, value in inputs.items():
        if isinstance(value, DataInput | MLTableInput | ModelInput) and value.path:
            require_path(value.path, "data path", source, ("inputs", name, "path"), diagnostics)


def _check_compute(compute: str | None, source: Source, diagnostics: Diagnostics) -> None:
    if compute:
        return
    diagnostics.add(
        source.diag(
            "W601",
            "the job has no `compute`; Cairn runs it on `local` (Azure would use serverless "
            "compute)",
            (),
            hint="set `compute:`, for example `compute: azureml:cpu-cluster`",
        )
    )
