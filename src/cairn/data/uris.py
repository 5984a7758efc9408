"""Parsing the data references Azure ML YAML accepts in `path:` and similar fields.

Owns: turning a string into one typed reference — a datastore path (`azureml://datastores/<ds>/
paths/<p>`, short or long form), a job output (`azureml://jobs/<job>/outputs/<out>/paths/<p>`), a
registered asset (`azureml:name:version`, `azureml:name@label`, the ARM id form), a local path
(plain, `file:` or `file://`), an `http(s)://` URL, or an Azure storage URL (`wasb[s]://`,
`abfs[s]://`). Paths inside URIs are percent-decoded once and confined (`clean_relative`).
Must not: touch the network or a filesystem, or look anything up (see `locations`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from cairn.data.paths import clean_relative, confine
from cairn.errors import InvalidSpec, Unsupported


@dataclass(frozen=True)
class DatastorePath:
    """A path in a datastore; the long URI form also names the workspace."""

    datastore: str
    path: str
    workspace: str | None = None
    subscription: str | None = None
    resource_group: str | None = None

    def uri(self) -> str:
        return f"azureml://datastores/{self.datastore}/paths/{quote(self.path)}"


@dataclass(frozen=True)
class JobOutputPath:
    """A path inside a named output of an earlier job."""

    job: str
    output: str
    path: str


@dataclass(frozen=True)
class AssetRef:
    """A registered data or model asset: a version, a label, or neither (the default version)."""

    name: str
    version: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class LocalPath:
    path: Path


@dataclass(frozen=True)
class HttpUrl:
    url: str


@dataclass(frozen=True)
class StorageUrl:
    """`wasbs://container@account.blob.<suffix>/path` or `abfss://fs@account.dfs.<suffix>/path`."""

    scheme: str
    account: str
    container: str
    endpoint: str  # the host suffix after `blob.`/`dfs.`, e.g. core.windows.net
    path: str


DataRef = DatastorePath | JobOutputPath | AssetRef | LocalPath | HttpUrl | StorageUrl

_SEG = r"([^/]+)"
_SHORT = re.compile(rf"^datastores/{_SEG}/paths(?:/(.*))?$", re.IGNORECASE)
_LONG = re.compile(
    rf"^subscriptions/{_SEG}/resourcegroups/{_SEG}/workspaces/{_SEG}/datastores/{_SEG}"
    r"/paths(?:/(.*))?$",
    re.IGNORECASE,
)
_JOB = re.compile(rf"^jobs/{_SEG}/outputs/{_SEG}(?:/paths(?:/(.*))?)?$", re.IGNORECASE)
_ARM_ASSET = re.compile(
    r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/microsoft\.machinelearningservices"
    rf"/workspaces/[^/]+/(?:data|models)/{_SEG}/versions/{_SEG}$",
    re.IGNORECASE,
)
_ASSET = re.compile(r"^([A-Za-z0-9_][A-Za-z0-9_.-]*)(?:(:)([^:@/]+)|(@)([^:@/]+))?$")
_STORAGE_HOST = re.compile(r"^([a-z0-9]+)\.(blob|dfs)\.(.+)$", re.IGNORECASE)
_STORAGE_SCHEMES = ("wasbs", "wasb", "abfss", "abfs")
_UNSUPPORTED_SCHEMES = ("adl", "s3", "gs", "gcs", "hdfs", "ftp", "sftp")


def parse_data_ref(
    value: str, *, base_dir: Path | None = None, confine_local: bool = False
) -> DataRef:
    """Parse one reference. Relative local paths resolve against `base_dir` (the YAML's folder).

    With `confine_local`, local paths must stay inside `base_dir` (for references that arrive
    over the API rather than from the user's own files).
    """
    text = value.strip()
    if not text:
        raise InvalidSpec("an empty string is not a data reference")
    lowered = text.lower()
    if lowered.startswith("azureml://"):
        return _parse_azureml(text[len("azureml://") :])
    if lowered.startswith("azureml:"):
        return _parse_asset(text[len("azureml:") :])
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme in ("http", "https"):
        return HttpUrl(text)
    if scheme in _STORAGE_SCHEMES:
        return _parse_storage(text)
    if scheme == "file":
        return _local(unquote(urlsplit(text).path), base_dir, confine_local)
    if scheme in _UNSUPPORTED_SCHEMES:
        raise Unsupported(f"{scheme}:// data references are not supported yet")
    if scheme:
        raise InvalidSpec(f"unknown URI scheme {scheme!r} in {text!r}")
    return _local(text.removeprefix("file:"), base_dir, confine_local)


def _parse_azureml(rest: str) -> DataRef:
    if m := _SHORT.match(rest):
        return DatastorePath(m[1], _inner_path(m[2]))
    if m := _LONG.match(rest):
        return DatastorePath(m[4], _inner_path(m[5]), m[3], m[1], m[2])
    if m := _JOB.match(rest):
        return JobOutputPath(m[1], m[2], _inner_path(m[3]))
    if rest.lower().startswith("registries/"):
        raise Unsupported("assets in Azure ML registries are not supported yet")
    raise InvalidSpec(
        f"azureml://{rest} is not a datastore, job output or asset reference",
        hint="write azureml://datastores/<datastore>/paths/<path> or "
        "azureml://jobs/<job>/outputs/<output>/paths/<path>",
    )


def _parse_asset(rest: str) -> AssetRef:
    if m := _ARM_ASSET.match(rest):
        return AssetRef(m[1], version=m[2])
    m = _ASSET.match(rest)
    if m is None:
        raise InvalidSpec(
            f"azureml:{rest} is not an asset reference",
            hint="write azureml:<name>:<version> or azureml:<name>@latest",
        )
    return AssetRef(m[1], version=m[3], label=m[5])


def _parse_storage(text: str) -> StorageUrl:
    parts = urlsplit(text)
    container, at, host = parts.netloc.partition("@")
    host_match = _STORAGE_HOST.match(host) if at else None
    if host_match is None or not container:
        raise InvalidSpec(
            f"{text!r} is not an Azure storage URL",
            hint=f"write {parts.scheme}://<container>@<account>.blob.core.windows.net/<path>",
        )
    return StorageUrl(
        parts.scheme.lower(),
        host_match[1].lower(),
        container,
        host_match[3].lower(),
        _inner_path(parts.path.removeprefix("/")),
    )


def _inner_path(raw: str | None) -> str:
    return clean_relative(unquote(raw or ""))


def _local(raw: str, base_dir: Path | None, confine_local: bool) -> LocalPath:
    if "\x00" in raw:
        raise InvalidSpec("a local path contains a NUL byte")
    path = Path(raw)
    if confine_local:
        if base_dir is None:
            raise InvalidSpec("local paths are not accepted here")
        return LocalPath(confine(base_dir, raw))
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return LocalPath(path.resolve())
