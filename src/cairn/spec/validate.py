"""Validate a job, component or asset file: read it, apply `--set`, check its schema, load what
it refers to, run every check, and report everything found at once with the pipeline's graph.

This is the entry point of the spec layer for the CLI and the server. Problems in the user's
files are diagnostics in the report; only misuse of the API itself (a bad `--set`) raises.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import UsageError
from cairn.spec import assets, documents, standalone
from cairn.spec.checks import run_checks
from cairn.spec.checks.commands import check_command
from cairn.spec.checks.context import CheckContext
from cairn.spec.checks.files import check_scope as check_files
from cairn.spec.diagnostics import Diagnostics, did_you_mean, one_of
from cairn.spec.entities.command_job import CommandJob
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.compute import COMPUTE_TYPES
from cairn.spec.entities.datastore import DATASTORE_TYPES
from cairn.spec.entities.nodes import PipelineNode
from cairn.spec.entities.pipeline import PipelineComponent, PipelineJob
from cairn.spec.entities.registry import model_for, service_keys
from cairn.spec.entities.schedule import Schedule
from cairn.spec.entities.sweep_job import SweepJob
from cairn.spec.graph import PipelineGraph, build_graph
from cairn.spec.overrides import apply_overrides, parse_override
from cairn.spec.resolve import (
    LoadedComponent,
    LoadedNode,
    Resolver,
    Scope,
    check_component_name,
    is_asset_reference,
)
from cairn.spec.schema import validate_as, validate_salvaging
from cairn.spec.source import Source, dotted
from cairn.spec.yaml_loader import LoadLimits

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic import BaseModel

    from cairn.spec.diagnostics import Diagnostic
    from cairn.spec.source import Loc

_JOB_SERVICE_KEYS = ("id", "status", "creation_context", "log_files")
_SECTIONS = ("jobs", "inputs", "outputs")


def problems_are_errors(problems: Sequence[Diagnostic]) -> bool:
    return any(p.is_error for p in problems)


@dataclass
class ValidationReport:
    """What validating one file found."""

    file: str
    kind: str | None = None
    entity: BaseModel | None = None
    scope: Scope | None = None
    graph: PipelineGraph | None = None
    source: Source | None = None
    files: list[Path] = field(default_factory=list)
    """Every YAML file read (the file itself first, then the component files it names)."""
    """The file as read (with `--set` applied), for callers that register what it describes."""
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def ok(self) -> bool:
        return not self.diagnostics.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "kind": self.kind,
            "valid": self.ok,
            "errors": len(self.diagnostics.errors),
            "warnings": len(self.diagnostics.warnings),
            "diagnostics": [d.to_dict() for d in self.diagnostics.sorted()],
            "graph": self.graph.to_dict() if self.graph else None,
        }


def validate_job_file(
    path: Path | str,
    overrides: Sequence[str] = (),
    limits: LoadLimits | None = None,
    cwd: Path | None = None,
) -> ValidationReport:
    """Validate a job file as `az ml job validate --file` would, and more."""
    report, resolver, source = _start(path, overrides, limits, cwd)
    if source is None:
        return report
    return _validate_job(report, resolver, source)


def _validate_job(report: ValidationReport, resolver: Resolver, source: Source) -> ValidationReport:
    kind = documents.detect(source.root, documents.Family.JOB)
    if not _known(kind, report, source, "job", documents.JOB_TYPES):
        return report
    assert isinstance(kind, documents.Kind)
    report.kind = kind.label
    if kind is not documents.PIPELINE_JOB:
        _validate_standalone(kind, source, report)
        return report
    job, problems, dropped = validate_salvaging(
        PipelineJob, source, sections=_SECTIONS, ignored=_JOB_SERVICE_KEYS
    )
    report.diagnostics.extend(problems)
    if job is None:
        return report
    if not dropped and not problems_are_errors(problems):
        report.entity = job
    root = resolver.scope(job, source)
    root.broken = dropped
    if job.component is not None:
        _attach_job_component(job, root, resolver)
    run_checks(root, CheckContext(report.diagnostics, job))
    report.scope = root
    report.graph = build_graph(root)
    return report


def validate_component_file(
    path: Path | str,
    overrides: Sequence[str] = (),
    limits: LoadLimits | None = None,
    cwd: Path | None = None,
) -> ValidationReport:
    """Validate a component file as `az ml component create --file` would, and more."""
    report, resolver, source = _start(path, overrides, limits, cwd)
    if source is None:
        return report
    kind = documents.detect(source.root, documents.Family.COMPONENT)
    if not _known(kind, report, source, "component", documents.COMPONENT_TYPES):
        return report
    assert isinstance(kind, documents.Kind)
    report.kind = kind.label
    entity: CommandComponent | PipelineComponent | None
    if kind is documents.COMMAND_COMPONENT:
        entity, problems = validate_as(CommandComponent, source)
    else:
        entity, problems = validate_as(PipelineComponent, source)
    report.diagnostics.extend(problems)
    if entity is None:
        return report
    report.entity = entity
    loaded = LoadedComponent(entity, source, ())
    check_component_name(loaded, report.diagnostics)
    context = CheckContext(report.diagnostics, None)
    if isinstance(entity, CommandComponent):
        check_command(
            entity.command, dict(entity.inputs), dict(entity.outputs), source, ("command",), context
        )
        wrapper = Scope(
            PipelineComponent.model_construct(jobs={}, inputs={}, outputs={}), source, ()
        )
        wrapper.nodes["component"] = LoadedNode(
            "component",
            PipelineNode.model_construct(type="pipeline", component="", inputs={}),
            source,
            (),
            component=loaded,
        )
        check_files(wrapper, context)
    else:
        scope = resolver.scope(entity, source)
        run_checks(scope, context)
        report.scope = scope
        report.graph = build_graph(scope)
    return report


def validate_asset_file(
    path: Path | str,
    overrides: Sequence[str] = (),
    limits: LoadLimits | None = None,
    cwd: Path | None = None,
    *,
    kind: documents.Kind | None = None,
) -> ValidationReport:
    """Validate a data, environment, model, compute, datastore or schedule file as
    `az ml <kind> create --file` would, and more. `kind` says what the file must be (the command
    that reads it knows); without it, the file's `$schema`, `type` and keys tell. A schedule's
    job file is validated too, with the schedule's replaced values, and its problems reported."""
    if kind is not None and kind.family is not documents.Family.ASSET:
        raise UsageError(f"a {kind.label} is not an asset; validate it as a job or component")
    report, resolver, source = _start(path, overrides, limits, cwd)
    if source is None:
        return report
    found = kind or documents.detect(source.root, documents.Family.ASSET)
    if not isinstance(found, documents.Kind):
        _unknown_asset(source, report)
        return report
    report.kind = found.label
    model = model_for(found, source.root)
    if model is None:
        _bad_type(found, source, report)
        return report
    entity, problems = validate_as(model, source, ignored=service_keys(model))
    report.diagnostics.extend(problems)
    if entity is None:
        return report
    report.entity = entity
    assets.check_asset(entity, source, report.diagnostics)
    if isinstance(entity, Schedule):
        _check_scheduled_job(entity, source, report, resolver)
    return report


def _unknown_asset(source: Source, report: ValidationReport) -> None:
    other = documents.detect(source.root, documents.Family.JOB) or documents.detect(
        source.root, documents.Family.COMPONENT
    )
    hint = "add `$schema:` (for example `…/data.schema.json`) or `type:` as Azure's examples do"
    if isinstance(other, documents.Kind):
        hint = f"this looks like a {other.label}; validate it as one"
    report.diagnostics.add(
        source.diag(
            "E108",
            "cannot tell which kind of asset this is (data, environment, model, compute, "
            "datastore or schedule)",
            hint=hint,
        )
    )


def _bad_type(kind: documents.Kind, source: Source, report: ValidationReport) -> None:
    """A compute or datastore file whose `type` is missing or unknown."""
    choices = list(COMPUTE_TYPES if kind is documents.COMPUTE else DATASTORE_TYPES)
    found = source.root.get("type")
    if found is None:
        report.diagnostics.add(
            source.diag(
                "E102", "missing required key `type`", hint=f"`type` is one of {one_of(choices)}"
            )
        )
        return
    report.diagnostics.add(
        source.diag(
            "E104",
            f"`{found}` is not a {kind.label} type; use one of {one_of(choices)}",
            ("type",),
            hint=did_you_mean(str(found), choices),
        )
    )


def _check_scheduled_job(
    schedule: Schedule, source: Source, report: ValidationReport, resolver: Resolver
) -> None:
    """Validate the job file a schedule creates, with the schedule's values merged in; problems
    in those values are reported where the schedule writes them."""
    target = assets.scheduled_job(schedule, source)
    if target is None:
        return
    job_path = assets.usable_path(target.ref, source.base_dir)
    if isinstance(job_path, str) or not job_path.is_file():
        if isinstance(job_path, str):
            what = f"is not a usable path: {job_path}"
        elif job_path.is_dir():
            what = f"is a folder, not a job file ({resolver.display(job_path)})"
        else:
            what = f"does not exist ({resolver.display(job_path)})"
        report.diagnostics.add(
            source.diag(
                "E501",
                f"job file `{target.ref[:80]}` {what}",
                target.at,
                hint="paths are relative to the folder of the schedule file",
            )
        )
        return
    job_report, job_resolver, job_source = _start(job_path, (), resolver.limits, resolver.cwd)
    replaced: list[Loc] = []
    if job_source is not None:
        replaced = assets.merge_updates(job_source.root, target.updates)
        _validate_job(job_report, job_resolver, job_source)
    prefixes = [dotted(loc) for loc in replaced]
    for problem in job_report.diagnostics:
        moved = problem.file == job_report.file and any(
            problem.path == p or problem.path.startswith((f"{p}.", f"{p}[")) for p in prefixes
        )
        if moved:
            problem = dataclasses.replace(
                problem, file=source.display, path=f"create_job.{problem.path}"
            )
        report.diagnostics.add(problem)


def _start(
    path: Path | str, overrides: Sequence[str], limits: LoadLimits | None, cwd: Path | None
) -> tuple[ValidationReport, Resolver, Source | None]:
    parsed = [parse_override(text) for text in overrides]
    diagnostics = Diagnostics()
    resolver = Resolver(diagnostics, limits or LoadLimits(), cwd)
    file_path = Path(path).resolve()
    report = ValidationReport(resolver.display(file_path), diagnostics=diagnostics)
    report.files = resolver.files
    source = resolver.read(file_path)
    if source is None:
        return report, resolver, None
    if parsed:
        source = Source(source.display, source.path, apply_overrides(source.root, parsed))
    if not isinstance(source.root, dict):
        what = "empty" if source.root is None else "not a mapping of keys to values"
        diagnostics.add(source.diag("E004", f"the document is {what}"))
        return report, resolver, None
    report.source = source
    return report, resolver, source


def _known(
    kind: documents.Kind | str | None,
    report: ValidationReport,
    source: Source,
    family: str,
    supported: dict[str, documents.Kind],
) -> bool:
    if isinstance(kind, documents.Kind):
        return True
    if isinstance(kind, str):
        report.diagnostics.add(source.diag("E601", f"Cairn does not run {kind} yet", ("type",)))
        return False
    found = documents.type_of(source.root)
    if found is None:
        report.diagnostics.add(
            source.diag(
                "E102",
                "missing required key `type`",
                (),
                hint=f"a {family} file says what it is: `type: {next(iter(supported))}`",
            )
        )
    else:
        choices = list(supported)
        report.diagnostics.add(
            source.diag(
                "E104",
                f"`{found}` is not a {family} type Cairn knows; use one of {one_of(choices)}",
                ("type",),
                hint=did_you_mean(found, choices),
            )
        )
    return False


def _validate_standalone(kind: documents.Kind, source: Source, report: ValidationReport) -> None:
    model = model_for(kind)
    assert model is not None
    entity, problems = validate_as(model, source, ignored=service_keys(model))
    report.diagnostics.extend(problems)
    report.entity = entity
    if isinstance(entity, CommandJob):
        standalone.check_command_job(entity, source, report.diagnostics)
    elif isinstance(entity, SweepJob):
        standalone.check_sweep_job(entity, source, report.diagnostics)


def _attach_job_component(job: PipelineJob, root: Scope, resolver: Resolver) -> None:
    """A job with `component:` runs that pipeline component with the job's inputs."""
    ref = job.component or ""
    node = PipelineNode.model_construct(
        type="pipeline", component=ref, inputs=dict(job.inputs), outputs=dict(job.outputs)
    )
    loaded = LoadedNode("pipeline", node, root.source, ())
    if is_asset_reference(ref):
        loaded.asset_ref = ref
    else:
        loaded.component = resolver.component_file(ref, root.source, ("component",), "pipeline")
    root.nodes["pipeline"] = loaded
