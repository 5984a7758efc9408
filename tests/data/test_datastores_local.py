"""Local datastores (the workspace defaults and `type: local`), uploads of local data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cairn.data.datastore_config import parse_datastore
from cairn.data.datastores import Datastore, default_datastore_configs, open_datastore
from cairn.data.hashing import hash_path
from cairn.data.locations import DataCatalog, upload_local
from cairn.data.stat_cache import StatCache
from cairn.data.uris import DatastorePath, parse_data_ref
from cairn.errors import NotFound, PathNotAllowed, UsageError


@pytest.fixture
def store(tmp_path: Path) -> Datastore:
    config = parse_datastore({"type": "local", "name": "scratch", "path": str(tmp_path / "ds")})
    return open_datastore(config)


def make_folder(root: Path) -> Path:
    (root / "sub").mkdir(parents=True)
    (root / "a.csv").write_text("1,2\n")
    (root / "sub" / "b.bin").write_bytes(os.urandom(3000))
    return root


def test_put_list_get_hash_delete(tmp_path: Path, store: Datastore) -> None:
    source = make_folder(tmp_path / "src")
    store.put(source, "in/data")
    store.put(source / "a.csv", "single.csv")
    assert store.list() == ["in/data/a.csv", "in/data/sub/b.bin", "single.csv"]
    assert store.list("in/data/sub") == ["in/data/sub/b.bin"]
    assert store.exists("in/data/sub/b.bin") and not store.exists("in/nope")
    assert store.hash("in/data") == hash_path(source).hash
    assert store.hash("single.csv") == hash_path(source / "a.csv").hash
    store.get("in/data", tmp_path / "back")
    assert hash_path(tmp_path / "back").hash == hash_path(source).hash
    store.get("single.csv", tmp_path / "one" / "a.csv")
    assert (tmp_path / "one" / "a.csv").read_text() == "1,2\n"
    assert store.delete("in/data/sub") and not store.delete("in/data/sub")
    assert store.list() == ["in/data/a.csv", "single.csv"]
    with pytest.raises(UsageError):
        store.delete("")
    with pytest.raises(NotFound):
        store.hash("missing")
    with pytest.raises(NotFound):
        store.get("missing", tmp_path / "x")


def test_open_writes_whole_or_not_at_all(store: Datastore) -> None:
    with store.open("out/model.txt", "wb") as writer:
        writer.write(b"weights")
    with store.open("out/model.txt") as reader:
        assert reader.read() == b"weights"
    with pytest.raises(RuntimeError), store.open("out/partial.txt", "wb") as writer:
        writer.write(b"half")
        raise RuntimeError("step crashed")
    assert store.list("out") == ["out/model.txt"]
    local = store.local_path("out")
    assert local is not None and sorted(p.name for p in local.iterdir()) == ["model.txt"]
    with pytest.raises(NotFound):
        store.open("out/none.txt")
    with pytest.raises(UsageError):
        store.open("out/model.txt", "a")


@pytest.mark.parametrize("bad", ["../escape", "/etc/passwd", "a/%2e%2e/%2e%2e/x", "a\x00"])
def test_paths_are_confined(store: Datastore, bad: str, tmp_path: Path) -> None:
    for call in (
        lambda: store.open(bad, "wb"),
        lambda: store.exists(bad),
        lambda: store.put(tmp_path, bad),
        lambda: store.hash(bad),
        lambda: store.delete(bad),
        lambda: store.list(bad),
    ):
        with pytest.raises(PathNotAllowed):
            call()


def test_symlink_out_of_a_local_datastore_refused(store: Datastore, tmp_path: Path) -> None:
    root = store.local_path()
    assert root is not None
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(PathNotAllowed):
        store.open("link/x", "wb")
    assert not (tmp_path / "outside" / "x").exists()


def test_uri_and_repr(store: Datastore) -> None:
    assert store.uri("a b/c.csv") == "azureml://datastores/scratch/paths/a%20b/c.csv"
    assert parse_data_ref(store.uri("a b/c.csv")) == DatastorePath("scratch", "a b/c.csv")
    assert repr(store) == "Datastore(name='scratch', kind='local')"


def test_upload_local_is_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path / "ws")
    source = make_folder(tmp_path / "mydata")
    uri, digest = catalog.upload_local(source)
    assert digest == hash_path(source).hash
    hex_digest = digest.removeprefix("blake3:")
    assert uri == f"azureml://datastores/workspaceblobstore/paths/LocalUpload/{hex_digest}/mydata"
    blob = catalog.datastore("workspaceblobstore")
    location = catalog.resolve(uri)
    assert blob.hash(location.path) == digest
    stored = blob.local_path(f"{location.path}/sub/b.bin")
    assert stored is not None
    before = stored.stat()
    again = catalog.upload_local(source)
    assert again == (uri, digest)
    after = stored.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    single_uri, single_hash = catalog.upload_local(source / "a.csv")
    assert single_uri.endswith(f"/LocalUpload/{single_hash.removeprefix('blake3:')}/a.csv")


def test_upload_local_with_cache_and_missing_path(tmp_path: Path) -> None:
    store = open_datastore(default_datastore_configs(tmp_path / "ws")[0])
    with StatCache(tmp_path / "cache") as cache:
        uri, _ = upload_local(make_folder(tmp_path / "d"), store, cache=cache)
        assert uri.startswith("azureml://datastores/workspaceblobstore/paths/LocalUpload/")
        with pytest.raises(NotFound):
            upload_local(tmp_path / "missing", store, cache=cache)


def test_catalog_defaults_and_overrides(tmp_path: Path) -> None:
    lake = parse_datastore({"type": "local", "name": "lake", "path": str(tmp_path / "lake")})
    catalog = DataCatalog(tmp_path / "ws", [lake])
    assert [c.name for c in catalog.configs] == [
        "workspaceblobstore",
        "workspaceartifactstore",
        "lake",
    ]
    artifacts = catalog.datastore("workspaceartifactstore").local_path()
    assert artifacts == (tmp_path / "ws" / "datastores" / "workspaceartifactstore").resolve()
    assert catalog.datastore("WorkspaceBlobStore") is catalog.datastore("workspaceblobstore")
    with pytest.raises(NotFound, match="not registered"):
        catalog.datastore("nope")
    relative = parse_datastore({"type": "local", "name": "rel", "path": "relative/dir"})
    with pytest.raises(UsageError, match="absolute"):
        DataCatalog(tmp_path / "ws", [relative]).datastore("rel")
