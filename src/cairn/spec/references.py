"""Every local file and folder a validated document refers to — what a client sends to a server
so the server reads the document exactly as the client would.

YAML files read (the document and its component files), `code` folders and `additional_includes`,
conda files, environment files and build contexts, and local data paths of jobs, nodes, data and
model assets. Remote references (datastore URIs, assets, URLs) are not files to send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cairn.spec.checks.files import is_local_path, local_path
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.io import DataInput, MLTableInput, ModelInput

if TYPE_CHECKING:
    from pathlib import Path

    from cairn.spec.resolve import Scope
    from cairn.spec.validate import ValidationReport


def referenced_paths(report: ValidationReport) -> list[Path]:
    """Absolute paths (files or folders) the document needs, the document itself first."""
    found: dict[Path, None] = dict.fromkeys(report.files)
    base = report.source.base_dir if report.source is not None else None
    entity = report.entity
    if base is not None and entity is not None:
        _from_entity(entity, base, found)
    if report.scope is not None:
        seen: set[int] = set()
        for scope in report.scope.walk():
            _from_scope(scope, found, seen)
    return [p for p in found if p.exists()]


def _from_scope(scope: Scope, found: dict[Path, None], seen: set[int]) -> None:
    """`seen`: the components already read (a component file used by a thousand nodes is one
    object, and its paths are resolved once)."""
    for value in scope.entity.inputs.values():
        _data(value, scope.source.base_dir, found)
    for node in scope.nodes.values():
        for value in (getattr(node.entity, "inputs", {}) or {}).values():
            _data(value, node.source.base_dir, found)
        for key in ("code",):
            _path(getattr(node.entity, key, None), node.source.base_dir, found)
        _environment(getattr(node.entity, "environment", None), node.source.base_dir, found)
        component = node.component
        if (
            component is not None
            and isinstance(component.entity, CommandComponent)
            and id(component) not in seen
        ):
            seen.add(id(component))
            _from_entity(component.entity, component.base_dir, found)


def _from_entity(entity: Any, base: Path, found: dict[Path, None]) -> None:
    _path(getattr(entity, "code", None), base, found)
    for include in getattr(entity, "additional_includes", None) or []:
        _path(include, base, found)
    _environment(getattr(entity, "environment", None), base, found)
    if isinstance(entity, Environment):
        _environment(entity, base, found)
    path = getattr(entity, "path", None)
    if isinstance(path, str) and not isinstance(entity, DataInput | MLTableInput | ModelInput):
        _path(path, base, found)


def _environment(value: Any, base: Path, found: dict[Path, None]) -> None:
    if isinstance(value, str) and value.startswith("file:"):
        _path(value, base, found)
    elif isinstance(value, Environment):
        if isinstance(value.conda_file, str):
            _path(value.conda_file, base, found)
        if value.build is not None and value.build.path:
            _path(value.build.path, base, found)


def _data(value: Any, base: Path, found: dict[Path, None]) -> None:
    if isinstance(value, DataInput | MLTableInput | ModelInput) and value.path:
        _path(value.path, base, found)


def _path(text: Any, base: Path, found: dict[Path, None]) -> None:
    if isinstance(text, str) and text and is_local_path(text):
        try:
            found.setdefault(local_path(text, base), None)
        except (OSError, ValueError):
            return
