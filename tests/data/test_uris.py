"""Data references parse to typed values and resolve to datastore paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.data.datastore_config import DatastoreConfig, parse_datastore
from cairn.data.datastores import default_datastore_configs
from cairn.data.locations import resolve_location
from cairn.data.uris import (
    AssetRef,
    DatastorePath,
    HttpUrl,
    JobOutputPath,
    LocalPath,
    StorageUrl,
    parse_data_ref,
)
from cairn.errors import InvalidSpec, NotFound, PathNotAllowed, Unsupported, UsageError

LONG = (
    "azureml://subscriptions/0000-1111/resourcegroups/rg-ml/workspaces/ws1/datastores/"
    "workspaceblobstore/paths/raw/2024/file.csv"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "azureml://datastores/workspaceblobstore/paths/raw/a%20b.csv",
            DatastorePath("workspaceblobstore", "raw/a b.csv"),
        ),
        ("azureml://datastores/lake/paths/", DatastorePath("lake", "")),
        ("azureml://datastores/lake/paths", DatastorePath("lake", "")),
        (
            "azureml://datastores/lake/paths/azureml/job_1/out/",
            DatastorePath("lake", "azureml/job_1/out"),
        ),
        (
            LONG,
            DatastorePath("workspaceblobstore", "raw/2024/file.csv", "ws1", "0000-1111", "rg-ml"),
        ),
        (
            "azureml://jobs/brave_cat_1/outputs/model/paths/weights/w.pt",
            JobOutputPath("brave_cat_1", "model", "weights/w.pt"),
        ),
        ("azureml://jobs/j/outputs/artifacts", JobOutputPath("j", "artifacts", "")),
        ("azureml:iris:3", AssetRef("iris", version="3")),
        ("azureml:iris@latest", AssetRef("iris", label="latest")),
        ("azureml:iris", AssetRef("iris")),
        (
            "azureml:/subscriptions/s/resourceGroups/rg/providers/"
            "Microsoft.MachineLearningServices/workspaces/w/data/iris/versions/2",
            AssetRef("iris", version="2"),
        ),
        ("https://example.org/data.csv?x=1", HttpUrl("https://example.org/data.csv?x=1")),
        (
            "wasbs://data@mystorage.blob.core.windows.net/raw/x.csv",
            StorageUrl("wasbs", "mystorage", "data", "core.windows.net", "raw/x.csv"),
        ),
        (
            "abfss://lake@mystorage.dfs.core.windows.net/a/",
            StorageUrl("abfss", "mystorage", "lake", "core.windows.net", "a"),
        ),
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse_data_ref(text) == expected


def test_local_paths(tmp_path: Path) -> None:
    assert parse_data_ref("./data", base_dir=tmp_path) == LocalPath(tmp_path.resolve() / "data")
    assert parse_data_ref("file:../x", base_dir=tmp_path / "y") == LocalPath(
        tmp_path.resolve() / "x"
    )
    assert parse_data_ref(f"file://{tmp_path}/a%20b") == LocalPath(tmp_path.resolve() / "a b")
    assert parse_data_ref("/abs/file.csv") == LocalPath(Path("/abs/file.csv"))


def test_confined_local_paths(tmp_path: Path) -> None:
    ok = parse_data_ref("data/x", base_dir=tmp_path, confine_local=True)
    assert ok == LocalPath(tmp_path.resolve() / "data" / "x")
    for bad in ("../x", "/etc/passwd", f"file://{tmp_path}/../x", "file:///etc/passwd"):
        with pytest.raises(PathNotAllowed):
            parse_data_ref(bad, base_dir=tmp_path, confine_local=True)


@pytest.mark.parametrize(
    "text",
    [
        "azureml://datastores/lake/paths/../../etc",
        "azureml://datastores/lake/paths/a/%2e%2e/%2e%2e/b",
        "azureml://datastores/lake/paths/%252e%252e/x",
        "azureml://jobs/j/outputs/o/paths/../../x",
        "wasbs://c@acct.blob.core.windows.net/../x",
        "azureml://datastores/lake/paths/a%00b",
    ],
)
def test_traversal_in_uris_refused(text: str) -> None:
    with pytest.raises(PathNotAllowed):
        parse_data_ref(text)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("azureml://registries/azureml/data/x/versions/1", Unsupported),
        ("s3://bucket/key", Unsupported),
        ("adl://store.azuredatalakestore.net/x", Unsupported),
        ("gopher://x/y", InvalidSpec),
        ("azureml://nonsense/x", InvalidSpec),
        ("azureml:bad name", InvalidSpec),
        ("wasbs://noaccount/x", InvalidSpec),
        ("", InvalidSpec),
    ],
)
def test_refused_references(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_data_ref(text)


def configs(tmp_path: Path) -> list[DatastoreConfig]:
    lake = parse_datastore(
        {
            "type": "azure_blob",
            "name": "lake",
            "account_name": "mystorage",
            "container_name": "data",
            "credentials": {"account_key": "a2V5"},
        }
    )
    return [*default_datastore_configs(tmp_path), lake]


def test_resolve_datastore_and_storage_urls(tmp_path: Path) -> None:
    known = configs(tmp_path)
    assert resolve_location(parse_data_ref(LONG), known, workspace="WS1") == DatastorePath(
        "workspaceblobstore", "raw/2024/file.csv"
    )
    with pytest.raises(NotFound, match="workspace"):
        resolve_location(parse_data_ref(LONG), known, workspace="other")
    wasbs = parse_data_ref("wasbs://data@mystorage.blob.core.windows.net/raw/x.csv")
    abfss = parse_data_ref("abfss://data@mystorage.dfs.core.windows.net/raw")
    assert resolve_location(wasbs, known) == DatastorePath("lake", "raw/x.csv")
    assert resolve_location(abfss, known) == DatastorePath("lake", "raw")
    for text in (
        "wasbs://other@mystorage.blob.core.windows.net/x",
        "wasbs://data@elsewhere.blob.core.windows.net/x",
        "wasbs://data@mystorage.blob.core.chinacloudapi.cn/x",
        "azureml://datastores/nope/paths/x",
    ):
        with pytest.raises(NotFound):
            resolve_location(parse_data_ref(text), known)


def test_resolve_job_outputs_through_callback(tmp_path: Path) -> None:
    ref = parse_data_ref("azureml://jobs/j1/outputs/model/paths/w/x.pt")
    seen: list[tuple[str, str]] = []

    def where(job: str, output: str) -> DatastorePath:
        seen.append((job, output))
        return DatastorePath("workspaceblobstore", f"azureml/{job}/{output}")

    assert resolve_location(ref, configs(tmp_path), job_outputs=where) == DatastorePath(
        "workspaceblobstore", "azureml/j1/model/w/x.pt"
    )
    assert seen == [("j1", "model")]
    with pytest.raises(UsageError):
        resolve_location(ref, configs(tmp_path))
    with pytest.raises(UsageError):
        resolve_location(parse_data_ref("azureml:iris:1"), configs(tmp_path))
