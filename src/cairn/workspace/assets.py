"""Registering and reading versioned assets: components, data, environments and models.

A component is stored with its code snapshot (so a registered version always runs the code it was
registered with) and its inline or `file:` environment's content; a pipeline component's children
(from files or inline) are registered as anonymous components first (`azureml_anonymous`,
versioned by content, as Azure does), and local data its nodes name is uploaded, since none of
those files are there when the registered component is used. Local data and model files are
uploaded once by content. Every asset records its content hash; registering an existing version
again is a no-op when the content is the same and a `Conflict` when it is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.uris import JobOutputPath, parse_data_ref
from cairn.errors import Conflict, InvalidSpec, NotFound, Unsupported, UsageError
from cairn.plan.reuse import canonical_hash
from cairn.spec import documents
from cairn.spec.checks.files import is_local_path
from cairn.spec.entities.component import CommandComponent
from cairn.spec.entities.data import Data
from cairn.spec.entities.environment import Environment
from cairn.spec.entities.io import DataInput, MLTableInput, ModelInput
from cairn.spec.entities.model import Model
from cairn.spec.entities.nodes import InlineCommandNode, SweepNode
from cairn.spec.entities.pipeline import PipelineComponent
from cairn.spec.resolve import LoadedComponent, is_asset_reference
from cairn.spec.validate import validate_asset_file, validate_component_file
from cairn.store.records import Asset, AssetKind, NewAsset
from cairn.workspace.environments import normalised_spec, registrable
from cairn.workspace.lookups import WorkspaceLookups
from cairn.workspace.specs import component_spec
from cairn.workspace.validity import require_valid

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cairn.plan.model import CodeInfo
    from cairn.spec.resolve import LoadedNode, Scope
    from cairn.workspace.context import Workspace

ANONYMOUS = "azureml_anonymous"
_DATA_VALUES = (DataInput, MLTableInput, ModelInput)
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
    return _register_path(
        workspace, AssetKind.DATA, entity, entity.path, entity.type, file, name, version
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
    return _register_path(
        workspace, AssetKind.MODEL, entity, entity.path, "uri_folder", file, name, version
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


def _register_path(
    workspace: Workspace,
    kind: AssetKind,
    entity: Data | Model,
    path: str,
    located_as: str,
    file: Path,
    name: str | None,
    version: str | None,
) -> Asset:
    """Register a data or model version by where its bytes are (local ones uploaded)."""
    found = _locate(workspace, path, located_as, file.parent, entity.datastore)
    spec = {"type": entity.type, "path": found.uri, "origin": path}
    return _Registrar(workspace).register(
        kind,
        name or entity.name or "",
        version or entity.version,
        spec,
        found.content_hash,
        description=entity.description,
        tags=entity.tags,
    )


def _locate(
    workspace: Workspace, path: str, type: str, base: Path, datastore: str | None = None
) -> Any:
    """Where a data or model path's bytes are, local ones uploaded (into `datastore`, Azure's
    upload target, when the file names one)."""
    lookups = WorkspaceLookups(workspace)
    if "://" in path and not path.startswith("file://"):
        return lookups.remote_data(path, type, "ro_mount")
    local = (base / path.removeprefix("file://").removeprefix("file:")).resolve()
    target = datastore.removeprefix("azureml:") if datastore else None
    return lookups.local_data(local, type, "ro_mount", datastore=target)


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
        version = str(version) if version is not None else None
        if version is not None and (same := self._existing(kind, name, version, content_hash)):
            return same
        producer, output = self._producer(spec.get("origin"))
        try:
            return self.workspace.store.assets.create(
                self.workspace.name,
                NewAsset(
                    kind=kind,
                    name=name,
                    version=version,
                    spec=spec,
                    content_hash=content_hash,
                    description=description,
                    tags={str(k): str(v) for k, v in (tags or {}).items() if v is not None},
                    produced_by_job_id=producer,
                    produced_by_output=output,
                ),
                actor=self.workspace.actor,
            )
        except Conflict:
            # Another registration of the same version won the race; same content is fine.
            if version is not None and (same := self._existing(kind, name, version, content_hash)):
                return same
            raise

    def _producer(self, origin: Any) -> tuple[int | None, str | None]:
        """The job and output an asset registered from `azureml://jobs/<job>/outputs/<output>`
        came from (its lineage); none for other paths."""
        if not isinstance(origin, str) or not origin.startswith("azureml://jobs/"):
            return None, None
        ref = parse_data_ref(origin)
        if not isinstance(ref, JobOutputPath):
            return None, None
        return self.workspace.store.jobs.get_by_name(self.workspace.name, ref.job).id, ref.output

    def _existing(
        self, kind: AssetKind, name: str, version: str, content_hash: str | None
    ) -> Asset | None:
        """The registered version when its content is the same (Azure: creating it again is a
        no-op); `Conflict` when it differs, since a version never changes."""
        try:
            found = self.workspace.store.assets.get(self.workspace.name, kind, name, version)
        except NotFound:
            return None
        if content_hash is not None and found.content_hash == content_hash:
            return found
        raise Conflict(
            f"{kind} {name}:{version} is already registered with different content",
            hint="give it a new `version`, or leave `version` out to take the next one",
        )

    def spec_of(
        self, component: LoadedComponent, scope: Scope | None
    ) -> tuple[dict[str, Any], CodeInfo | None]:
        entity = component.entity
        if isinstance(entity, CommandComponent):
            code = self._code(entity, component.base_dir)
            spec = component_spec(entity, code)
            # A workspace environment it names must exist now, as Azure checks at creation.
            self.lookups.environment(entity.environment, component.base_dir)
            spec["environment"] = registrable(entity.environment, component.base_dir)
            return spec, code
        spec = component_spec(entity, None)
        for node_name, node in (scope.nodes if scope is not None else {}).items():
            spec["jobs"][node_name] = self._node_spec(node, dict(spec["jobs"][node_name]))
        return spec, None

    def _node_spec(self, node: LoadedNode, spec: dict[str, Any]) -> dict[str, Any]:
        """A pipeline component's node as registered: nothing in it may name a local file, since
        the files are not there when the component is used (Azure uploads them too)."""
        base = node.source.base_dir
        if isinstance(node.entity, InlineCommandNode) and node.entity.code:
            raise Unsupported(
                f"job `{node.name}`: an inline command job with `code` cannot be registered as "
                "part of a pipeline component",
                hint="move the step into a command component file and use it with `component:`",
            )
        if node.asset_ref is not None:
            self.lookups.registered_component(node.asset_ref)  # it must exist now, as in Azure
        if node.component is not None:
            # File and inline components alike become anonymous components with their code.
            key = "trial" if isinstance(node.entity, SweepNode) else "component"
            spec[key] = self._anonymous(node.component, node.component.scope)
        environment = getattr(node.entity, "environment", None)
        if environment is not None:
            self.lookups.environment(environment, base)
            spec["environment"] = registrable(environment, base)
        inputs = dict(spec.get("inputs") or {})
        for name, value in (getattr(node.entity, "inputs", None) or {}).items():
            if isinstance(value, _DATA_VALUES) and value.path and is_local_path(value.path):
                found = _locate(self.workspace, value.path, value.type, base)
                inputs[name] = {**inputs[name], "path": found.uri}
        return {**spec, "inputs": inputs} if inputs else spec

    def _anonymous(self, component: LoadedComponent, scope: Scope | None) -> str:
        spec, code = self.spec_of(component, scope)
        for key in ("name", "version"):
            spec.pop(key, None)  # Azure drops them: an anonymous component is its content
        content = _content_hash(spec, code)
        version = content.split(":", 1)[-1][:32]
        found = self.register(AssetKind.COMPONENT, ANONYMOUS, version, spec, content)
        return f"azureml:{found.name}:{found.version}"

    def _code(self, entity: CommandComponent, base: Path) -> CodeInfo | None:
        if not entity.code or is_asset_reference(entity.code) or "://" in entity.code:
            return None
        includes = [base / i for i in entity.additional_includes or []]
        return self.lookups.code_snapshot((base / entity.code).resolve(), includes)
