"""Files a pipeline refers to must exist: code folders, conda files, build contexts, extra
includes, and local data paths (Azure checks only the first three; missing data fails later)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.io import DataInput, MLTableInput, ModelInput
from cairn.spec.entities.nodes import CommandNode, InlineCommandNode

if TYPE_CHECKING:
    from pathlib import Path

    from cairn.spec.checks.context import CheckContext
    from cairn.spec.resolve import Scope
    from cairn.spec.source import Loc, Source

_REMOTE_PREFIXES = (
    "azureml:",
    "http:",
    "https:",
    "wasb:",
    "wasbs:",
    "abfs:",
    "abfss:",
    "adl:",
    "s3:",
    "gs:",
    "git+",
    "runs:",
    "${{",
)


def is_local_path(text: str) -> bool:
    """A path on this machine (possibly `file:`-prefixed), not a URI, asset or binding."""
    return not text.startswith(_REMOTE_PREFIXES) and "${{" not in text


def local_path(text: str, base: Path) -> Path:
    stripped = text
    if stripped.startswith("file://"):
        stripped = stripped[len("file://") :]
    elif stripped.startswith("file:"):
        stripped = stripped[len("file:") :]
    return (base / stripped).resolve()


def check_job_inputs(root: Scope, context: CheckContext) -> None:
    for name, value in root.entity.inputs.items():
        _check_data(value, root.source, (*root.at, "inputs", name), context)


def check_scope(scope: Scope, context: CheckContext) -> None:
    for node in scope.nodes.values():
        entity = node.entity
        for name, value in (getattr(entity, "inputs", {}) or {}).items():
            _check_data(value, node.source, (*node.at, "inputs", name), context)
        if isinstance(entity, InlineCommandNode):
            _need(entity.code, "code", node.source, (*node.at, "code"), context)
            _check_environment(entity.environment, node.source, (*node.at, "environment"), context)
        if isinstance(entity, CommandNode) and entity.environment is not None:
            _check_environment(entity.environment, node.source, (*node.at, "environment"), context)
        component = node.component
        if (
            component is not None
            and isinstance(component.entity, CommandComponent)
            and context.first_time(("files", id(component)))
        ):
            at = component.at
            spec = component.entity
            _need(spec.code, "code", component.source, (*at, "code"), context)
            for index, include in enumerate(spec.additional_includes or []):
                _need(
                    include,
                    "additional include",
                    component.source,
                    (*at, "additional_includes", index),
                    context,
                )
            _check_environment(spec.environment, component.source, (*at, "environment"), context)


def _check_data(value: Any, source: Source, loc: Loc, context: CheckContext) -> None:
    if isinstance(value, DataInput | MLTableInput | ModelInput) and value.path:
        _need(value.path, "data path", source, (*loc, "path"), context)


def _check_environment(value: Any, source: Source, loc: Loc, context: CheckContext) -> None:
    if isinstance(value, str):
        if value.startswith("file:"):
            _need(value, "environment file", source, loc, context)
        return
    if not isinstance(value, Environment):
        return
    if isinstance(value.conda_file, str):
        _need(value.conda_file, "conda file", source, (*loc, "conda_file"), context)
    if value.build is not None and value.build.path:
        _need(value.build.path, "build context", source, (*loc, "build", "path"), context)


def _need(text: str | None, what: str, source: Source, loc: Loc, context: CheckContext) -> None:
    if not text or not is_local_path(text):
        return
    try:
        path = local_path(text, source.base_dir)
        present = path.exists()
    except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the file system
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        context.add(
            source.diag("E501", f"{what} {text[:80]!r} is not a usable path: {reason}", loc)
        )
        return
    if not present:
        context.add(
            source.diag(
                "E501",
                f"{what} `{text}` does not exist (looked for {path})",
                loc,
                hint="relative paths start at the folder of the file that names them",
            )
        )
