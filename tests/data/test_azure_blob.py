"""The azure_blob datastore against the real Azure Storage emulator (Azurite) on loopback."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
from azure.storage.blob import (
    AccountSasPermissions,
    BlobServiceClient,
    ResourceTypes,
    generate_account_sas,
)

from cairn.data.datastores import Datastore, open_datastore
from cairn.data.hashing import hash_path
from cairn.data.locations import DataCatalog, upload_local
from cairn.data.uris import DatastorePath
from cairn.errors import NotFound, PathNotAllowed, StorageError, UsageError

from .conftest import AZURITE_ACCOUNT, AZURITE_KEY, Azurite, blob_config

# The Azure SDK's async block upload hands aiohttp 4 MiB bytes bodies, which aiohttp flags with an
# advisory ResourceWarning; nothing leaks, so that one message is not an error here.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Sending a large body directly with raw bytes:ResourceWarning"
)


def make_folder(root: Path) -> Path:
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "a.csv").write_text("x,y\n1,2\n")
    (root / "nested" / "b.bin").write_bytes(os.urandom(5000))
    (root / "nested" / "deeper" / "big.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    (root / "nested" / "empty.txt").write_bytes(b"")
    return root


def test_put_list_get_hash_delete(blob_store: Datastore, tmp_path: Path) -> None:
    source = make_folder(tmp_path / "src")
    blob_store.put(source, "inputs/run1")
    assert blob_store.list() == [
        "inputs/run1/a.csv",
        "inputs/run1/nested/b.bin",
        "inputs/run1/nested/deeper/big.bin",
        "inputs/run1/nested/empty.txt",
    ]
    assert blob_store.list("inputs/run1/nested/deeper") == ["inputs/run1/nested/deeper/big.bin"]
    assert blob_store.exists("inputs/run1/a.csv")
    assert blob_store.exists("inputs/run1/nested")
    assert not blob_store.exists("inputs/other")
    local = hash_path(source)
    remote = blob_store.hash_tree("inputs/run1")
    assert remote.hash == local.hash
    assert remote.files == local.files
    assert blob_store.hash("inputs/run1/a.csv") == hash_path(source / "a.csv").hash
    blob_store.get("inputs/run1", tmp_path / "back")
    assert hash_path(tmp_path / "back").hash == local.hash
    assert blob_store.delete("inputs/run1/nested")
    assert blob_store.list() == ["inputs/run1/a.csv"]
    assert not blob_store.delete("inputs/run1/nested")
    with pytest.raises(NotFound):
        blob_store.hash("inputs/run1/nested")
    with pytest.raises(UsageError):
        blob_store.delete("")


def test_open_commits_only_on_clean_close(blob_store: Datastore) -> None:
    with blob_store.open("out/model.bin", "wb") as writer:
        writer.write(b"weights" * 1000)
    with blob_store.open("out/model.bin") as reader:
        assert reader.read() == b"weights" * 1000
    with pytest.raises(RuntimeError), blob_store.open("out/partial.bin", "wb") as writer:
        writer.write(b"half")
        raise RuntimeError("step crashed")
    assert blob_store.list("out") == ["out/model.bin"]
    with pytest.raises(NotFound):
        blob_store.open("out/partial.bin")


@pytest.mark.parametrize("bad", ["../other-container/x", "/abs", "a/%2e%2e/%2e%2e/x"])
def test_paths_confined_to_the_container(blob_store: Datastore, bad: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    for call in (
        lambda: blob_store.put(tmp_path / "f", bad),
        lambda: blob_store.open(bad, "wb"),
        lambda: blob_store.exists(bad),
        lambda: blob_store.hash(bad),
        lambda: blob_store.list(bad),
        lambda: blob_store.delete(bad),
    ):
        with pytest.raises(PathNotAllowed):
            call()


def test_hostile_blob_names_cannot_escape_a_download(
    azurite: Azurite, container: str, blob_store: Datastore, tmp_path: Path
) -> None:
    conn = (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint={azurite.account_url};"
    )
    with BlobServiceClient.from_connection_string(conn) as client:
        client.get_blob_client(container, "data/ok.txt").upload_blob(b"ok")
        client.get_blob_client(container, "data/%2e%2e/%2e%2e/evil.txt").upload_blob(b"evil")
    with pytest.raises(PathNotAllowed):
        blob_store.get("data", tmp_path / "dl")
    assert not (tmp_path / "evil.txt").exists()
    assert not list(tmp_path.rglob("evil.txt"))


def test_sas_token_credentials(azurite: Azurite, container: str, tmp_path: Path) -> None:
    sas = generate_account_sas(
        AZURITE_ACCOUNT,
        AZURITE_KEY,
        ResourceTypes(service=True, container=True, object=True),
        AccountSasPermissions(read=True, write=True, list=True, delete=True, create=True),
        expiry=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1),
    )
    store = open_datastore(blob_config(azurite, container, sas_token=sas))
    (tmp_path / "f.txt").write_text("via sas")
    store.put(tmp_path / "f.txt", "sas/f.txt")
    assert store.list() == ["sas/f.txt"]
    assert sas not in repr(store)


# adlfs warns that it could not read the container's properties before the real error arrives.
@pytest.mark.filterwarnings("ignore:Failed to fetch container properties:UserWarning")
def test_wrong_key_fails_clearly(azurite: Azurite, container: str, tmp_path: Path) -> None:
    store = open_datastore(blob_config(azurite, container, account_key="d3Jvbmc="))
    (tmp_path / "f").write_text("x")
    for call in (store.list, lambda: store.put(tmp_path / "f", "f")):
        with pytest.raises(StorageError, match=r"blobstore.*authenticate") as info:
            call()
        assert info.value.details["status"] == 403
        assert info.value.hint == "check the datastore's credentials"
        assert "d3Jvbmc" not in str(info.value.to_payload())


def test_upload_local_to_blob_is_deduplicated(
    azurite: Azurite, container: str, tmp_path: Path
) -> None:
    config = blob_config(azurite, container).model_copy(update={"name": "workspaceblobstore"})
    catalog = DataCatalog(tmp_path / "ws", [config])
    source = make_folder(tmp_path / "dataset")
    uri, digest = catalog.upload_local(source)
    store = catalog.datastore("workspaceblobstore")
    assert store.local_path() is None
    location = catalog.resolve(uri)
    assert location == DatastorePath(
        "workspaceblobstore", f"LocalUpload/{digest.removeprefix('blake3:')}/dataset"
    )
    assert store.hash(location.path) == digest
    marker_listing = store.list("LocalUpload")
    assert again_uploads_nothing(store, source, uri, digest, marker_listing)


def again_uploads_nothing(
    store: Datastore, source: Path, uri: str, digest: str, listing: list[str]
) -> bool:
    big = store.list(f"{store_path(uri)}/nested/deeper")[0]
    with store.open(big) as reader:
        etag_before = reader.details["etag"]  # type: ignore[attr-defined]
    assert upload_local(source, store) == (uri, digest)
    with store.open(big) as reader:
        etag_after = reader.details["etag"]  # type: ignore[attr-defined]
    return etag_after == etag_before and store.list("LocalUpload") == listing


def store_path(uri: str) -> str:
    return uri.split("/paths/", 1)[1]


def test_wasbs_url_resolves_to_registered_datastore(azurite: Azurite, container: str) -> None:
    config = blob_config(azurite, container)
    catalog = DataCatalog(Path("/nonexistent-ws"), [config])
    url = f"wasbs://{container}@{AZURITE_ACCOUNT}.blob.core.windows.net/raw/x.csv"
    assert catalog.resolve(url) == DatastorePath("blobstore", "raw/x.csv")
