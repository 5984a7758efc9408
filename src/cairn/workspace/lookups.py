"""The plan's lookups answered by a real workspace: the store, the datastores, the snapshots.

Local data is uploaded once by content (`LocalUpload/<hash>/…`), code folders are snapshotted
once by content, datastore paths are hashed through the stat cache, and computes other than
Azure's special names must be registered.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.data.snapshot import snapshot_code
from cairn.data.uris import DatastorePath, HttpUrl, JobOutputPath, StorageUrl, parse_data_ref
from cairn.errors import NotFound, Unsupported
from cairn.plan.lookups import RegisteredComponent
from cairn.plan.model import CodeInfo, DataSource, EnvironmentInfo
from cairn.store.records import AssetKind
from cairn.workspace.context import LOCAL_COMPUTES
from cairn.workspace.environments import resolve_environment
from cairn.workspace.specs import component_from_spec, split_asset_ref

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from cairn.data.locations import DataCatalog
    from cairn.spec.entities.environment import Environment
    from cairn.workspace.context import Workspace

_MODEL_TYPES = frozenset({"custom_model", "mlflow_model", "triton_model"})


class WorkspaceLookups:
    """`cairn.plan.lookups.Lookups` for one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._catalog: DataCatalog | None = None

    @property
    def catalog(self) -> DataCatalog:
        if self._catalog is None:
            self._catalog = self.workspace.catalog()
        return self._catalog

    @property
    def default_datastore(self) -> str:
        try:
            return self.workspace.store.datastores.get_default(self.workspace.name).name
        except NotFound:
            return "workspaceblobstore"

    def registered_component(self, ref: str) -> RegisteredComponent:
        if ref.startswith("azureml://registries/"):
            raise Unsupported(
                f"{ref}: components from Azure ML registries are not available here",
                hint="register the component in this workspace with `cairn component create`",
            )
        asset = self.workspace.store.assets.resolve(
            self.workspace.name, AssetKind.COMPONENT, split_asset_ref(ref)
        )
        entity, code = component_from_spec(asset.spec)
        return RegisteredComponent(
            entity, asset.name, asset.version, asset.content_hash or "", code
        )

    def data_asset(self, ref: str, type: str, mode: str) -> DataSource:
        kind = AssetKind.MODEL if type in _MODEL_TYPES else AssetKind.DATA
        asset = self.workspace.store.assets.resolve(self.workspace.name, kind, split_asset_ref(ref))
        spec = dict(asset.spec)
        return DataSource(
            type=str(spec.get("type") or type),
            mode=mode,
            uri=str(spec["path"]),
            content_hash=asset.content_hash,
            asset=f"{asset.name}:{asset.version}",
            origin=ref,
        )

    def remote_data(self, uri: str, type: str, mode: str) -> DataSource:
        ref = parse_data_ref(uri)
        if isinstance(ref, HttpUrl):
            return DataSource(type=type, mode=mode, uri=uri, origin=uri)
        if isinstance(ref, DatastorePath | StorageUrl | JobOutputPath):
            location = self.catalog.resolve(ref, job_outputs=self._job_output)
            store = self.catalog.datastore(location.datastore)
            content = store.hash_tree(location.path).hash if store.exists(location.path) else None
            if content is None:
                raise NotFound(f"{uri}: no data at {location.uri()}")
            return DataSource(
                type=type, mode=mode, uri=location.uri(), content_hash=content, origin=uri
            )
        raise Unsupported(f"{uri}: this kind of data reference is not supported here")

    def local_data(
        self, path: Path, type: str, mode: str, *, datastore: str | None = None
    ) -> DataSource:
        """Upload into `datastore`, else the workspace's default datastore (as Azure does)."""
        if not path.exists():
            raise NotFound(f"local data {path} does not exist")
        uploaded = self.catalog.upload_local(path, datastore=datastore or self.default_datastore)
        return DataSource(
            type=type, mode=mode, uri=uploaded.uri, content_hash=uploaded.hash, origin=str(path)
        )

    def code_snapshot(self, path: Path, additional_includes: Sequence[Path]) -> CodeInfo:
        snapshot = snapshot_code(
            path,
            self.workspace.folder,
            additional_includes=list(additional_includes),
            cache=self.workspace.stat_cache,
        )
        return CodeInfo(
            content_hash=snapshot.hash,
            location=str(snapshot.path),
            files=len(snapshot.files),
            bytes=snapshot.total_bytes,
        )

    def environment(self, value: str | Environment, base_dir: Path | None) -> EnvironmentInfo:
        return resolve_environment(self.workspace, value, base_dir)

    def compute(self, name: str) -> str:
        if name in LOCAL_COMPUTES:
            return "local"
        try:
            return self.workspace.store.computes.get(self.workspace.name, name).name
        except NotFound:
            raise NotFound(
                f"compute `{name}` does not exist in workspace `{self.workspace.name}`",
                hint=(
                    f"create it: `cairn compute create --name {name} --type amlcompute "
                    "--max-instances 2`, or from Azure's YAML with `cairn compute create --file "
                    "compute.yml`; or use `compute: local`"
                ),
            ) from None

    def _job_output(self, job: str, output: str) -> DatastorePath:
        jobs = self.workspace.store.jobs
        found = jobs.get_by_name(self.workspace.name, job)
        outputs: dict[str, Any] = dict(found.properties.get("outputs") or {})
        if output not in outputs and found.parent_id is None:
            # A pipeline's output is the committed output of the step bound to it.
            step = _step_for_pipeline_output(jobs.plan(found.id), output)
            if step is not None:
                return self._job_output(*step)
        if output == "artifacts" and output not in outputs and found.properties.get("artifacts"):
            outputs[output] = found.properties["artifacts"]  # Azure's name for the artifact store
        if output not in outputs:
            raise NotFound(f"job {job} has no committed output `{output}`")
        ref = parse_data_ref(str(outputs[output]["uri"]))
        assert isinstance(ref, DatastorePath)
        return ref


def _step_for_pipeline_output(
    plan: Mapping[str, Any] | None, output: str
) -> tuple[str, str] | None:
    """The (step job name, step output) that a pipeline output is bound to, from the plan."""
    for step in dict((plan or {}).get("steps") or {}).values():
        for name, dest in dict(step.get("outputs") or {}).items():
            if dest.get("pipeline_output") == output:
                return str(step["name"]), str(name)
    return None
