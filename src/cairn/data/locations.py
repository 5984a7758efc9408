"""Where a data reference's bytes live, and getting local data into the workspace's datastore.

Owns: resolving parsed references to a datastore path — datastore URIs (checked against the
registered datastores), job outputs (through a callback the caller supplies, since only the store
knows where a job's output went), and `wasbs://`/`abfss://` URLs (mapped to the registered
`azure_blob` datastore with the same account and container) — and `upload_local`, which puts a
local file or folder at `LocalUpload/<hash>/<basename>` of a datastore once per content.
`DataCatalog` bundles a workspace's datastores (the two defaults plus registered ones).
Must not: query the store or resolve assets (`azureml:name:version` is the workspace layer's job).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, NamedTuple

from cairn.data.datastore_config import WORKSPACE_BLOB_STORE, AzureBlobDatastoreConfig
from cairn.data.datastores import default_datastore_configs, open_datastore
from cairn.data.hashing import hash_path
from cairn.data.uris import DataRef, DatastorePath, JobOutputPath, StorageUrl, parse_data_ref
from cairn.errors import NotFound, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from cairn.data.datastore_config import DatastoreConfig
    from cairn.data.datastores import Datastore
    from cairn.data.stat_cache import StatCache

    JobOutputResolver = Callable[[str, str], DatastorePath]

LOCAL_UPLOAD_DIR = "LocalUpload"


class Uploaded(NamedTuple):
    uri: str
    hash: str


def resolve_location(
    ref: DataRef,
    datastores: Sequence[DatastoreConfig],
    *,
    job_outputs: JobOutputResolver | None = None,
    workspace: str | None = None,
) -> DatastorePath:
    """The datastore and path that hold `ref`'s bytes.

    `job_outputs(job, output)` returns where a job's named output lies; `workspace` is this
    workspace's name, checked against the long URI form when given.
    """
    if isinstance(ref, DatastorePath):
        _check_workspace(ref, workspace)
        config = _by_name(ref.datastore, datastores)
        return DatastorePath(config.name, ref.path)
    if isinstance(ref, JobOutputPath):
        if job_outputs is None:
            raise UsageError("job output references cannot be resolved here")
        base = job_outputs(ref.job, ref.output)
        joined = f"{base.path}/{ref.path}".strip("/") if ref.path else base.path
        return DatastorePath(base.datastore, joined)
    if isinstance(ref, StorageUrl):
        return DatastorePath(_by_storage(ref, datastores).name, ref.path)
    raise UsageError(f"{type(ref).__name__} is not a location in a datastore")


def _check_workspace(ref: DatastorePath, workspace: str | None) -> None:
    if ref.workspace and workspace and ref.workspace.lower() != workspace.lower():
        raise NotFound(f"the URI names workspace {ref.workspace!r}, this is {workspace!r}")


def _by_name(name: str, datastores: Sequence[DatastoreConfig]) -> DatastoreConfig:
    for config in datastores:
        if config.name == name:
            return config
    for config in datastores:
        if config.name.lower() == name.lower():
            return config
    raise NotFound(
        f"datastore {name!r} is not registered",
        hint="known: " + ", ".join(sorted(c.name for c in datastores)),
    )


def _by_storage(ref: StorageUrl, datastores: Sequence[DatastoreConfig]) -> DatastoreConfig:
    for config in datastores:
        if (
            isinstance(config, AzureBlobDatastoreConfig)
            and config.account_name == ref.account
            and config.container_name == ref.container
            and (config.account_url is not None or config.endpoint.lower() == ref.endpoint)
        ):
            return config
    raise NotFound(
        f"no registered azure_blob datastore for container {ref.container!r} of storage "
        f"account {ref.account!r}",
        hint="register one with `cairn datastore create`",
    )


def upload_local(path: Path, store: Datastore, *, cache: StatCache | None = None) -> Uploaded:
    """Put a local file or folder at `LocalUpload/<hex>/<basename>` of `store`, once per content.

    Returns the `azureml://` URI of the uploaded copy and the content hash. A completion marker
    written after the upload makes a second call with the same content copy nothing. The caller
    must not change the files while they are uploaded.
    """
    source = path.resolve()
    tree = hash_path(source, cache=cache)
    name = unicodedata.normalize("NFC", source.name)
    folder = f"{LOCAL_UPLOAD_DIR}/{tree.hash.removeprefix('blake3:')}"
    target = f"{folder}/{name}"
    marker = f"{folder}/.{name}.complete"
    if not store.exists(marker):
        store.put(source, target)
        with store.open(marker, "wb") as writer:
            writer.write(tree.hash.encode("ascii"))
    return Uploaded(store.uri(target), tree.hash)


class DataCatalog:
    """The datastores of one workspace: the two defaults, then registered ones (same name wins)."""

    def __init__(
        self,
        workspace_home: Path,
        datastores: Sequence[DatastoreConfig] = (),
        *,
        cache: StatCache | None = None,
    ) -> None:
        configs: dict[str, DatastoreConfig] = {
            c.name: c for c in default_datastore_configs(workspace_home)
        }
        configs.update({c.name: c for c in datastores})
        self.configs: tuple[DatastoreConfig, ...] = tuple(configs.values())
        self._cache = cache
        self._open: dict[str, Datastore] = {}

    def datastore(self, name: str) -> Datastore:
        """The named datastore, opened on first use."""
        config = _by_name(name, self.configs)
        if config.name not in self._open:
            self._open[config.name] = open_datastore(config, cache=self._cache)
        return self._open[config.name]

    def resolve(
        self,
        ref: str | DataRef,
        *,
        base_dir: Path | None = None,
        job_outputs: JobOutputResolver | None = None,
        workspace: str | None = None,
    ) -> DatastorePath:
        """Parse (when given a string) and resolve a reference to a datastore path."""
        parsed = parse_data_ref(ref, base_dir=base_dir) if isinstance(ref, str) else ref
        return resolve_location(parsed, self.configs, job_outputs=job_outputs, workspace=workspace)

    def upload_local(self, path: Path, *, datastore: str = WORKSPACE_BLOB_STORE) -> Uploaded:
        """`upload_local` into the named datastore (the workspace blob store by default)."""
        return upload_local(path, self.datastore(datastore), cache=self._cache)
