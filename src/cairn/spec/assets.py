"""Checks for asset files (data, environment, model, compute, datastore, schedule) beyond their
schema: the local files they name exist, and what a schedule's `create_job` needs.

Azure checks only an environment's conda file and build context when it loads these files; a
data or model path that does not exist fails later, at upload. Cairn reports all of them at once.
Checking the job a schedule creates needs the job validator; `scheduled_job` says which file
and which replaced values, and `merge_updates` applies them as Azure does (`merge_dict`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.spec.checks.files import is_local_path, local_path
from cairn.spec.entities.data import Data
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.model import Model
from cairn.spec.entities.schedule import Schedule, SparkJobUpdates
from cairn.spec.yaml_loader import YDict

if TYPE_CHECKING:
    from pydantic import BaseModel

    from cairn.spec.diagnostics import Diagnostics
    from cairn.spec.source import Loc, Source


def usable_path(text: str, base: Path) -> Path | str:
    """The local path `text` names (relative to `base`), or why the OS cannot use it (a NUL
    byte, a name too long for the file system)."""
    try:
        path = local_path(text, base)
        path.exists()
    except (OSError, ValueError) as exc:
        return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return path


def require_path(
    text: str | None,
    what: str,
    source: Source,
    loc: Loc,
    diagnostics: Diagnostics,
    *,
    folder: bool = False,
) -> None:
    """Report (E501) a local path in `source` that does not exist; URIs and assets pass."""
    if not text or not is_local_path(text):
        return
    path = usable_path(text, source.base_dir)
    if isinstance(path, str):
        diagnostics.add(
            source.diag("E501", f"{what} {text[:80]!r} is not a usable path: {path}", loc)
        )
        return
    if not path.exists() or (folder and not path.is_dir()):
        found = "is not a folder" if path.exists() else "does not exist"
        diagnostics.add(
            source.diag(
                "E501",
                f"{what} `{text}` {found} (looked for {path})",
                loc,
                hint="relative paths start at the folder of the file that names them",
            )
        )


def check_environment_files(value: Any, source: Source, loc: Loc, diagnostics: Diagnostics) -> None:
    """The files an environment (a reference, or written inline) names exist."""
    if isinstance(value, str):
        if value.startswith("file:"):
            require_path(value, "environment file", source, loc, diagnostics)
        return
    if not isinstance(value, Environment):
        return
    if isinstance(value.conda_file, str):
        require_path(value.conda_file, "conda file", source, (*loc, "conda_file"), diagnostics)
    build = value.build
    if build is None or not build.path or not is_local_path(build.path):
        return
    at = (*loc, "build", "path")
    require_path(build.path, "build context", source, at, diagnostics, folder=True)
    context = usable_path(build.path, source.base_dir)
    dockerfile = build.dockerfile_path or "Dockerfile"
    if isinstance(context, str) or not context.is_dir():
        return
    dockerfile_at = usable_path(dockerfile, context)
    if isinstance(dockerfile_at, str) or not dockerfile_at.is_file():
        diagnostics.add(
            source.diag(
                "E501",
                f"the build context `{build.path}` has no `{dockerfile}`",
                (*loc, "build", "dockerfile_path" if build.dockerfile_path else "path"),
                hint="`dockerfile_path` is relative to the build context",
            )
        )


def check_asset(entity: BaseModel, source: Source, diagnostics: Diagnostics) -> None:
    """The checks of one asset file after its schema passed (schedules: see `scheduled_job`)."""
    if isinstance(entity, Data):
        require_path(entity.path, "data path", source, ("path",), diagnostics)
    elif isinstance(entity, Model):
        require_path(entity.path, "model path", source, ("path",), diagnostics)
    elif isinstance(entity, Environment):
        if entity.name is None:
            diagnostics.add(
                source.diag(
                    "E102",
                    "missing required key `name`",
                    (),
                    hint="an environment registered on its own needs a name",
                )
            )
        check_environment_files(entity, source, (), diagnostics)
    elif isinstance(entity, Schedule):
        _check_create_job(entity, source, diagnostics)


def _check_create_job(schedule: Schedule, source: Source, diagnostics: Diagnostics) -> None:
    target = schedule.create_job
    if isinstance(target, SparkJobUpdates):
        diagnostics.add(
            source.diag("E601", "Cairn does not run Spark jobs yet", ("create_job", "type"))
        )
    elif not isinstance(target, str) and target.type is None and not is_local_path(target.job):
        # A job file says what it is; an existing job does not, so Azure requires `type`.
        diagnostics.add(
            source.diag(
                "E102",
                "missing required key `type` in `create_job`",
                ("create_job",),
                key=True,
                hint="changing an existing job needs its type: `pipeline` or `command`",
            )
        )


@dataclass(frozen=True)
class ScheduledJob:
    """The job file a schedule creates, where it is named, and the values that replace its own."""

    ref: str
    at: Loc
    updates: dict[str, Any]


def scheduled_job(schedule: Schedule, source: Source) -> ScheduledJob | None:
    """The local job file `create_job` names, or None for an existing job (`azureml:`)."""
    target = schedule.create_job
    at: Loc
    if isinstance(target, str):
        ref, at, updates = target, ("create_job",), {}
    elif isinstance(target, SparkJobUpdates):
        return None
    else:
        ref, at = target.job, ("create_job", "job")
        raw = source.at(("create_job",))
        updates = {k: v for k, v in raw.items() if k != "job"} if isinstance(raw, dict) else {}
    if not is_local_path(ref):
        return None
    return ScheduledJob(ref, at, updates)


def merge_updates(origin: dict[str, Any], delta: dict[str, Any], at: Loc = ()) -> list[Loc]:
    """Merge `delta` into `origin` in place as Azure merges a schedule's values into its job:
    mappings merge key by key, anything else replaces. Replaced values keep their own file
    positions. Returns the places that now hold a value from `delta`."""
    replaced: list[Loc] = []
    for key, value in delta.items():
        here = (*at, key)
        current = origin.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            replaced.extend(merge_updates(current, value, here))
            continue
        origin[key] = value
        if isinstance(origin, YDict) and isinstance(delta, YDict) and key in delta.value_marks:
            origin.key_marks[key] = delta.key_marks[key]
            origin.value_marks[key] = delta.value_marks[key]
        replaced.append(here)
    return replaced
