"""Datastores opened for use: one small interface over fsspec filesystems.

Owns: `Datastore` (`open/put/get/list/exists/hash/delete`, paths relative to the datastore and
confined to it), opening one from its configuration (`local` folders through fsspec's local
filesystem, `azure_blob` through adlfs), and the workspace's two default datastores,
`workspaceblobstore` and `workspaceartifactstore`, which are folders under the workspace home.
Writes appear whole or not at all: a file is written to a temporary name (locally) or a local
temporary file (remotely) and committed only when the writer closes without an error.
Must not: know about jobs, assets or the store; keep secrets anywhere but inside the filesystem
client (a datastore's repr names only the datastore).
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Concatenate, ParamSpec, TypeVar
from urllib.parse import quote

from fsspec.implementations.local import LocalFileSystem  # type: ignore[import-untyped]

from cairn.data.datastore_config import (
    WORKSPACE_ARTIFACT_STORE,
    WORKSPACE_BLOB_STORE,
    AccountKeyCredentials,
    AzureBlobDatastoreConfig,
    LocalDatastoreConfig,
    SasCredentials,
)
from cairn.data.hashing import TreeHash, digest_reader, format_hash, hash_path, leaves_hash
from cairn.data.paths import clean_relative, confine
from cairn.data.walk import walk_files
from cairn.data.writers import CommitOnClose
from cairn.errors import CairnError, NotFound, StorageError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from fsspec import AbstractFileSystem  # type: ignore[import-untyped]

    from cairn.data.datastore_config import DatastoreConfig
    from cairn.data.stat_cache import StatCache

_REMOTE_HASH_WORKERS = 8
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _storage_errors(
    method: Callable[Concatenate[Datastore, _P], _R],
) -> Callable[Concatenate[Datastore, _P], _R]:
    """Report backend failures as Cairn errors that name the datastore (never its secrets)."""

    @functools.wraps(method)
    def wrapper(self: Datastore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(self, *args, **kwargs)
        except CairnError:
            raise
        except FileNotFoundError as exc:
            raise NotFound(f"datastore {self.name!r}: {exc.strerror or exc}") from exc
        except Exception as exc:
            if not _backend_error(exc):
                raise
            raise _storage_error(self.name, method.__name__, exc) from exc

    return wrapper


def _backend_error(exc: Exception) -> bool:
    """OS and value errors, and Azure SDK errors — without importing the Azure SDK, which only
    Azure Blob datastores need (it costs half a second at every start otherwise)."""
    if isinstance(exc, OSError | ValueError):
        return True
    azure = sys.modules.get("azure.core.exceptions")
    return azure is not None and isinstance(exc, azure.AzureError)


def _storage_error(name: str, action: str, exc: Exception) -> StorageError:
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    azure = sys.modules.get("azure.core.exceptions")
    http_error = azure is not None and isinstance(exc, azure.HttpResponseError)
    status = getattr(exc, "status_code", None) if http_error else None
    hint = "check the datastore's credentials" if status in (401, 403) else None
    return StorageError(
        f"datastore {name!r}: {action} failed: {first_line}",
        hint=hint,
        details={"datastore": name, "status": status},
    )


class Datastore:
    """A datastore ready for I/O. Every `path` argument is relative to the datastore's root."""

    def __init__(
        self,
        name: str,
        fs: AbstractFileSystem,
        root: str,
        *,
        local_root: Path | None = None,
        cache: StatCache | None = None,
    ) -> None:
        self.name = name
        self._fs = fs
        self._root = root.rstrip("/")
        self._local_root = local_root
        self._cache = cache

    def __repr__(self) -> str:
        kind = "local" if self._local_root is not None else "remote"
        return f"Datastore(name={self.name!r}, kind={kind!r})"

    # -- addressing -------------------------------------------------------------------------

    def uri(self, path: str = "") -> str:
        """The `azureml://datastores/<name>/paths/<path>` URI of `path`."""
        return f"azureml://datastores/{self.name}/paths/{quote(clean_relative(path))}"

    def local_path(self, path: str = "") -> Path | None:
        """Where `path` lies on this machine, for local datastores (None for remote ones)."""
        if self._local_root is None:
            return None
        return confine(self._local_root, path)

    def _full(self, path: str) -> str:
        if self._local_root is not None:
            return str(confine(self._local_root, path))
        clean = clean_relative(path)
        return f"{self._root}/{clean}" if clean else self._root

    def _relative(self, full: str) -> str:
        base = str(self._local_root.resolve()) if self._local_root is not None else self._root
        return clean_relative(full[len(base) :].lstrip("/"))

    # -- reading ----------------------------------------------------------------------------

    @_storage_errors
    def exists(self, path: str) -> bool:
        return bool(self._fs.exists(self._full(path)))

    @_storage_errors
    def open(self, path: str, mode: str = "rb") -> BinaryIO:
        """Open a file: "rb" to read, "wb" to write it whole (committed on a clean close)."""
        full = self._full(path)
        if mode == "rb":
            if not self._fs.isfile(full):
                raise NotFound(f"{self.uri(path)} does not exist")
            handle: BinaryIO = self._fs.open(full, "rb")
            return handle
        if mode == "wb":
            if not clean_relative(path):
                raise UsageError("a file cannot be written at the root of a datastore")
            if self._local_root is not None:
                Path(full).parent.mkdir(parents=True, exist_ok=True)
                return CommitOnClose(Path(full).parent, lambda temp: temp.replace(full))
            return CommitOnClose(None, lambda temp: self._fs.put_file(str(temp), full))
        raise UsageError(f"datastore files open with mode 'rb' or 'wb', not {mode!r}")

    @_storage_errors
    def list(self, prefix: str = "") -> list[str]:
        """Datastore-relative paths of every file at or below `prefix`, sorted."""
        return sorted(self._files(prefix))

    def _files(self, prefix: str) -> dict[str, int]:
        """Size by datastore-relative path of the files at or below `prefix`."""
        full = self._full(prefix)
        if not self._fs.exists(full):
            return {}
        found = self._fs.find(full, withdirs=False, detail=True)
        return {
            self._relative(name): int(info.get("size") or 0)
            for name, info in found.items()
            if info.get("type") == "file"
        }

    def hash(self, path: str) -> str:
        """The content hash of a file, or the folder hash of everything below a folder."""
        return self.hash_tree(path).hash

    @_storage_errors
    def hash_tree(self, path: str) -> TreeHash:
        """As `hash`, with the manifest (same encoding as for local files and folders)."""
        if self._local_root is not None:
            target = confine(self._local_root, path)
            if not target.exists():
                raise NotFound(f"{self.uri(path)} does not exist")
            return hash_path(target, cache=self._cache)
        full = self._full(path)
        if self._fs.isfile(full):
            digest, size = self._hash_remote(full)
            name = full.rsplit("/", 1)[-1].encode("utf-8", "surrogateescape")
            return TreeHash(format_hash(digest), False, size, size, 0, ((name, size, digest),))
        return self._hash_remote_folder(path)

    def _hash_remote_folder(self, path: str) -> TreeHash:
        files = self._files(path)
        if not files:
            raise NotFound(f"{self.uri(path)} does not exist or holds no files")
        base = clean_relative(path)
        names = sorted(files)
        with ThreadPoolExecutor(max_workers=_REMOTE_HASH_WORKERS) as pool:
            results = list(pool.map(lambda rel: self._hash_remote(self._full(rel)), names))
        leaves = [
            (rel[len(base) :].lstrip("/").encode("utf-8", "surrogateescape"), size, digest)
            for rel, (digest, size) in zip(names, results, strict=True)
        ]
        total = sum(size for _, size, _ in leaves)
        return leaves_hash(leaves, bytes_read=total)

    def _hash_remote(self, full: str) -> tuple[bytes, int]:
        with self._fs.open(full, "rb") as handle:
            return digest_reader(handle)

    # -- transfers --------------------------------------------------------------------------

    @_storage_errors
    def put(self, local: Path, path: str) -> None:
        """Upload a file to `path`, or a folder's files below `path` (existing files replaced)."""
        base = clean_relative(path)
        if local.is_dir():
            pairs = [
                (Path(f.path), f"{base}/{f.rel}" if base else f.rel) for f in walk_files(local)
            ]
        elif local.is_file():
            pairs = [(local, base)]
        else:
            raise NotFound(f"{str(local)!r} does not exist")
        if self._local_root is not None:
            for source, rel in pairs:
                with self.open(rel, "wb") as writer, source.open("rb") as reader:
                    shutil.copyfileobj(reader, writer, 1024 * 1024)
            return
        if pairs:
            self._fs.put([str(s) for s, _ in pairs], [self._full(r) for _, r in pairs])

    @_storage_errors
    def get(self, path: str, local: Path) -> None:
        """Download a file to the file `local`, or a folder's files into the folder `local`."""
        full = self._full(path)
        if self._fs.isfile(full):
            _download(self._fs, full, local)
            return
        files = self._files(path)
        if not files:
            raise NotFound(f"{self.uri(path)} does not exist")
        base = clean_relative(path)
        local.mkdir(parents=True, exist_ok=True)
        for rel in sorted(files):
            inner = rel[len(base) :].lstrip("/")
            _download(self._fs, self._full(rel), confine(local, inner))

    @_storage_errors
    def delete(self, path: str) -> bool:
        """Delete a file or a folder with everything below it; False when nothing was there."""
        if not clean_relative(path):
            raise UsageError(f"refusing to delete the whole datastore {self.name!r}")
        full = self._full(path)
        if not self._fs.exists(full):
            return False
        self._fs.rm(full, recursive=True)
        return True


def _download(fs: AbstractFileSystem, full: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex}")
    try:
        fs.get_file(full, str(temp))
        temp.replace(target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def default_datastore_configs(workspace_home: Path) -> list[LocalDatastoreConfig]:
    """The two datastores every workspace has, as folders under `workspace_home/datastores/`."""
    return [
        LocalDatastoreConfig(
            type="local",
            name=name,
            path=str(workspace_home.resolve() / "datastores" / name),
            description=description,
        )
        for name, description in (
            (WORKSPACE_BLOB_STORE, "Default datastore of the workspace."),
            (WORKSPACE_ARTIFACT_STORE, "Logs and artifacts of the workspace's jobs."),
        )
    ]


def open_datastore(config: DatastoreConfig, *, cache: StatCache | None = None) -> Datastore:
    """Open a datastore from its configuration (local folders are created if missing)."""
    if isinstance(config, LocalDatastoreConfig):
        folder = Path(config.path)
        if not folder.is_absolute():
            raise UsageError(
                f"local datastore {config.name!r} needs an absolute path, not {config.path!r}"
            )
        folder.mkdir(parents=True, exist_ok=True)
        fs = LocalFileSystem(auto_mkdir=True)
        return Datastore(config.name, fs, str(folder.resolve()), local_root=folder, cache=cache)
    import adlfs  # type: ignore[import-untyped]

    blob = adlfs.AzureBlobFileSystem(
        connection_string=_connection_string(config), skip_instance_cache=True
    )
    return Datastore(config.name, blob, config.container_name, cache=cache)


def _connection_string(config: AzureBlobDatastoreConfig) -> str:
    parts = [f"BlobEndpoint={config.blob_endpoint()}", f"AccountName={config.account_name}"]
    credentials = config.credentials
    if isinstance(credentials, AccountKeyCredentials):
        parts.append(f"AccountKey={credentials.account_key.get_secret_value()}")
    elif isinstance(credentials, SasCredentials):
        parts.append(
            f"SharedAccessSignature={credentials.sas_token.get_secret_value().lstrip('?')}"
        )
    return ";".join(parts) + ";"
