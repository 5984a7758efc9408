"""Registering and reading versioned assets: components, data, environments and models.

A component is stored with its code snapshot (so a registered version always runs the code it was
registered with); a pipeline component's file-referenced children are registered as anonymous
components first (`azureml_anonymous`, versioned by content, as Azure does). Local data and model
files are uploaded once by content. Every asset records its content hash.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import InvalidSpec, UsageError
from cairn.plan.reuse import canonical_hash
from cairn.spec import documents
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.data import Data
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.model import Model
from cairn.spec.entities.nodes import CommandNode, PipelineNode, SweepNode
from cairn.spec.entities.pipeline import PipelineComponent
from cairn.spec.resolve import LoadedComponent, is_asset_reference
from cairn.spec.validate import validate_asset_file, validate_component_file
from cairn.store.records import Asset, AssetKind, NewAsset
from cairn.workspace.environments import normalised_spec
from cairn.workspace.lookups import WorkspaceLookups
from cairn.workspace.specs import component_spec
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cairn.plan.model import CodeInfo
    from cairn.spec.resolve import Scope
    from cairn.workspace.context import Workspace

ANONYMOUS = "azureml_anonymous"
_IDENTITY_EXCLUDES = {"name", "version", "display_name", "description", "tags", "$schema", "_cairn"}


def create_component(
    workspace: Workspace,
    file: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    overrides: Sequence[str] = (),
) -> Asset:
    """`cairn component create --file`: validate, snapshot code, register a new version."""
    report = validate_component_file(file, overrides)
    require_valid(report, "component")
    entity = report.entity
    assert isinstance(entity, CommandComponent | PipelineComponent)
    assert report.source is not None
    source = LoadedComponent(entity, report.source, ())
    registrar = _Registrar(workspace)
    spec, code = registrar.spec_of(source, report.scope)
    return registrar.register(
        AssetKind.COMPONENT,
        name or entity.name or "",
        version or entity.version,
        spec,
        _content_hash(spec, code),
        description=entity.description,
        tags=entity.tags,
    )


def create_data(
    workspace: Workspace,
    file: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    overrides: Sequence[str] = (),
) -> Asset:
    """`cairn data create --file`: local files are uploaded once, by content."""
    report = validate_asset_file(file, overrides, kind=documents.DATA)
    require_valid(report, "data")
    entity = report.entity
    assert isinstance(entity, Data)
    found = _locate(workspace, entity.path, entity.type, file.parent)
    spec = {"type": entity.type, "path": found.uri, "origin": entity.path}
    return _Registrar(workspace).register(
        AssetKind.DATA,
        name or entity.name or "",
        version or entity.version,
        spec,
        found.content_hash,
        description=entity.description,
        tags=entity.tags,
    )


def create_model(
    workspace: Workspace,
    file: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    overrides: Sequence[str] = (),
) -> Asset:
    """`cairn model create --file`."""
    report = validate_asset_file(file, overrides, kind=documents.MODEL)
    require_valid(report, "model")
    entity = report.entity
    assert isinstance(entity, Model)
    if not entity.path:
        raise InvalidSpec(f"model {file}: `path` is required to register a model")
    found = _locate(workspace, entity.path, "uri_folder", file.parent)
    spec = {"type": entity.type, "path": found.uri, "origin": entity.path}
    return _Registrar(workspace).register(
        AssetKind.MODEL,
        name or entity.name,
        version or entity.version,
        spec,
        found.content_hash,
        description=entity.description,
        tags=entity.tags,
    )


def create_environment(
    workspace: Workspace,
    file: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    overrides: Sequence[str] = (),
) -> Asset:
    """`cairn environment create --file`: the conda file's content is stored with it."""
    report = validate_asset_file(file, overrides, kind=documents.ENVIRONMENT)
    require_valid(report, "environment")
    entity = report.entity
    assert isinstance(entity, Environment)
    spec = normalised_spec(entity, file.resolve().parent)
    return _Registrar(workspace).register(
        AssetKind.ENVIRONMENT,
        name or entity.name or "",
        version or entity.version,
        spec,
        canonical_hash(spec),
        description=entity.description,
        tags=entity.tags,
    )


def _locate(workspace: Workspace, path: str, type: str, base: Path) -> Any:
    lookups = WorkspaceLookups(workspace)
    if "://" in path and not path.startswith("file://"):
        return lookups.remote_data(path, type, "ro_mount")
    local = (base / path.removeprefix("file://").removeprefix("file:")).resolve()
    return lookups.local_data(local, type, "ro_mount")


def _content_hash(spec: dict[str, Any], code: CodeInfo | None) -> str:
    identity = {k: v for k, v in spec.items() if k not in _IDENTITY_EXCLUDES}
    return canonical_hash({"component": identity, "code": code.content_hash if code else None})


class _Registrar:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.lookups = WorkspaceLookups(workspace)

    def register(
        self,
        kind: AssetKind,
        name: str,
        version: str | None,
        spec: dict[str, Any],
        content_hash: str | None,
        *,
        description: str | None = None,
        tags: Any = None,
    ) -> Asset:
        if not name:
            raise UsageError(f"a {kind} needs a name: set `name:` in the file or pass --name")
        return self.workspace.store.assets.create(
            self.workspace.name,
            NewAsset(
                kind=kind,
                name=name,
                version=str(version) if version is not None else None,
                spec=spec,
                content_hash=content_hash,
                description=description,
                tags={str(k): str(v) for k, v in (tags or {}).items() if v is not None},
            ),
            actor=self.workspace.actor,
        )

    def spec_of(
        self, component: LoadedComponent, scope: Scope | None
    ) -> tuple[dict[str, Any], CodeInfo | None]:
        entity = component.entity
        if isinstance(entity, CommandComponent):
            code = self._code(entity, component.base_dir)
            spec = component_spec(entity, code)
            if not isinstance(entity.environment, str):
                spec["environment"] = normalised_spec(entity.environment, component.base_dir)
            return spec, code
        spec = component_spec(entity, None)
        if scope is not None:
            for node_name, node in scope.nodes.items():
                if node.component is not None and node.component.ref is not None:
                    ref = self._anonymous(node.component, node.component.scope)
                    key = "trial" if isinstance(node.entity, SweepNode) else "component"
                    spec["jobs"][node_name][key] = ref
                elif isinstance(node.entity, CommandNode | PipelineNode) and node.asset_ref:
                    continue
        return spec, None

    def _anonymous(self, component: LoadedComponent, scope: Scope | None) -> str:
        spec, code = self.spec_of(component, scope)
        content = _content_hash(spec, code)
        version = content.split(":", 1)[-1][:32]
        try:
            found = self.workspace.store.assets.get(
                self.workspace.name, AssetKind.COMPONENT, ANONYMOUS, version
            )
        except Exception:
            found = self.register(AssetKind.COMPONENT, ANONYMOUS, version, spec, content)
        return f"azureml:{found.name}:{found.version}"

    def _code(self, entity: CommandComponent, base: Path) -> CodeInfo | None:
        if not entity.code or is_asset_reference(entity.code) or "://" in entity.code:
            return None
        includes = [base / i for i in entity.additional_includes or []]
        return self.lookups.code_snapshot((base / entity.code).resolve(), includes)
