"""File and folder hashes follow the documented encoding; the stat cache skips unchanged files."""

from __future__ import annotations

import os
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from blake3 import blake3

from cairn.data.hashing import (
    BIG_FILE_BYTES,
    FileEntry,
    digest_of,
    hash_bytes,
    hash_file,
    hash_path,
    is_hash,
    tree_hash,
)
from cairn.data.stat_cache import StatCache
from cairn.errors import NotFound, PathNotAllowed

OLD = 1_600_000_000  # a timestamp far outside the racy window


def reference_tree_hash(files: dict[str, bytes]) -> str:
    """The folder hash as the module docstring defines it, written out independently."""
    hasher = blake3(b"cairn-tree-v1\x00")
    for raw in sorted(name.encode() for name in files):
        content = files[raw.decode()]
        hasher.update(len(raw).to_bytes(8, "big"))
        hasher.update(raw)
        hasher.update(len(content).to_bytes(8, "big"))
        hasher.update(blake3(content).digest())
    return "blake3:" + hasher.hexdigest()


def make_tree(root: Path, files: dict[str, bytes], *, mtime: int | None = OLD) -> None:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        if mtime is not None:
            os.utime(target, (mtime, mtime))


FILES = {
    "a.txt": b"alpha",
    "b/c.bin": bytes(range(256)) * 40,
    "b/d/e": b"",
    "z": b"last",
    "B/upper": b"case matters",
}


def test_file_hash_is_blake3_of_content(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"hello world")
    digest, size = hash_file(path)
    assert digest == "blake3:" + blake3(b"hello world").hexdigest()
    assert size == 11
    assert hash_bytes(b"hello world") == digest
    assert is_hash(digest)
    assert digest_of(digest) == blake3(b"hello world").digest()


def test_big_file_uses_the_same_hash(tmp_path: Path) -> None:
    content = os.urandom(BIG_FILE_BYTES + 12345)
    path = tmp_path / "big.bin"
    path.write_bytes(content)
    assert hash_file(path) == ("blake3:" + blake3(content).hexdigest(), len(content))


def test_folder_hash_matches_documented_encoding(tmp_path: Path) -> None:
    make_tree(tmp_path, FILES)
    result = hash_path(tmp_path)
    assert result.is_dir
    assert result.hash == reference_tree_hash(FILES)
    assert [e.path for e in result.files] == sorted(FILES)
    assert result.total_bytes == sum(len(c) for c in FILES.values())
    assert result.bytes_read == result.total_bytes


def test_folder_hash_ignores_empty_dirs_and_location(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    make_tree(first, FILES)
    make_tree(second, dict(reversed(FILES.items())), mtime=None)
    (second / "empty" / "deeper").mkdir(parents=True)
    assert hash_path(first).hash == hash_path(second).hash


def test_folder_hash_changes_with_name_size_or_content(tmp_path: Path) -> None:
    base = hash_path(_tree(tmp_path / "base", FILES)).hash
    renamed = {**{k: v for k, v in FILES.items() if k != "z"}, "y": FILES["z"]}
    edited = {**FILES, "z": b"LAST"}
    grown = {**FILES, "z": b"last!"}
    hashes = {
        hash_path(_tree(tmp_path / n, f)).hash
        for n, f in [("r", renamed), ("e", edited), ("g", grown)]
    }
    assert base not in hashes and len(hashes) == 3


def _tree(root: Path, files: dict[str, bytes]) -> Path:
    make_tree(root, files)
    return root


def test_empty_folder_and_file_hash_differ(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert (
        hash_path(tmp_path / "empty").hash == "blake3:" + blake3(b"cairn-tree-v1\x00").hexdigest()
    )
    (tmp_path / "f").write_bytes(b"")
    single = hash_path(tmp_path / "f")
    assert not single.is_dir
    assert single.hash == hash_bytes(b"")
    assert single.files == (FileEntry("f", 0, hash_bytes(b"")),)


def test_names_are_nfc_normalised(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "café.txt")
    composed = unicodedata.normalize("NFC", "café.txt")
    (tmp_path / "nfd").mkdir()
    (tmp_path / "nfd" / decomposed).write_bytes(b"x")
    result = hash_path(tmp_path / "nfd")
    assert result.files[0].path == composed
    assert result.hash == reference_tree_hash({composed: b"x"})


def test_tree_hash_refuses_duplicate_paths() -> None:
    entry = FileEntry("a", 1, hash_bytes(b"x"))
    with pytest.raises(PathNotAllowed, match="same normalised path"):
        tree_hash([entry, entry])


def test_symlinks_inside_are_followed_outside_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_tree(root, {"data/x.txt": b"x"})
    (root / "alias.txt").symlink_to(root / "data" / "x.txt")
    (root / "alias-dir").symlink_to(root / "data")
    result = hash_path(root)
    assert result.hash == reference_tree_hash(
        {"data/x.txt": b"x", "alias.txt": b"x", "alias-dir/x.txt": b"x"}
    )
    (tmp_path / "secret").write_text("s")
    (root / "escape").symlink_to(tmp_path / "secret")
    with pytest.raises(PathNotAllowed, match="points outside"):
        hash_path(root)


def test_symlink_loop_and_dangling_link_refused(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    (loop / "sub").mkdir(parents=True)
    (loop / "sub" / "back").symlink_to(loop)
    with pytest.raises(PathNotAllowed, match="loop"):
        hash_path(loop)
    dangling = tmp_path / "dangling"
    dangling.mkdir()
    (dangling / "gone").symlink_to(tmp_path / "nothing")
    with pytest.raises(PathNotAllowed, match="points nowhere"):
        hash_path(dangling)


def test_fifo_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(PathNotAllowed, match="not a regular file"):
        hash_path(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        hash_path(tmp_path / "nope")


def test_select_prunes_files_and_dirs(tmp_path: Path) -> None:
    make_tree(tmp_path, {"keep.py": b"k", "skip.log": b"s", "build/out.o": b"o"})
    result = hash_path(
        tmp_path, select=lambda rel, is_dir: rel != "build" and not rel.endswith(".log")
    )
    assert [e.path for e in result.files] == ["keep.py"]


def test_unchanged_folder_rehashes_from_cache(tmp_path: Path, cache: StatCache) -> None:
    root = _tree(tmp_path / "root", FILES)
    first = hash_path(root, cache=cache)
    assert first.cache_hits == 0 and first.bytes_read == first.total_bytes
    second = hash_path(root, cache=cache)
    assert second.hash == first.hash
    assert second.cache_hits == len(FILES)
    assert second.bytes_read == 0


def test_cache_persists_across_handles(tmp_path: Path) -> None:
    root = _tree(tmp_path / "root", FILES)
    with StatCache(tmp_path / "c") as cache:
        first = hash_path(root, cache=cache)
    with StatCache(tmp_path / "c") as cache:
        again = hash_path(root, cache=cache)
    assert again.hash == first.hash and again.bytes_read == 0


def test_changed_file_is_reread(tmp_path: Path, cache: StatCache) -> None:
    root = _tree(tmp_path / "root", FILES)
    before = hash_path(root, cache=cache)
    (root / "z").write_bytes(b"LAST")  # same size, new mtime
    os.utime(root / "z", (OLD + 10, OLD + 10))
    after = hash_path(root, cache=cache)
    assert after.hash != before.hash
    assert after.hash == reference_tree_hash({**FILES, "z": b"LAST"})
    assert after.cache_hits == len(FILES) - 1
    assert after.bytes_read == 4


def test_replaced_file_with_same_stat_but_new_inode_is_reread(
    tmp_path: Path, cache: StatCache
) -> None:
    root = _tree(tmp_path / "root", {"f": b"one"})
    hash_path(root, cache=cache)
    replacement = tmp_path / "new"
    replacement.write_bytes(b"two")
    os.utime(replacement, (OLD, OLD))
    replacement.replace(root / "f")
    assert hash_path(root, cache=cache).hash == reference_tree_hash({"f": b"two"})


def test_recent_files_are_not_cached(tmp_path: Path, cache: StatCache) -> None:
    root = tmp_path / "root"
    make_tree(root, {"fresh": b"just written"}, mtime=None)
    hash_path(root, cache=cache)
    assert hash_path(root, cache=cache).cache_hits == 0
    os.utime(root / "fresh", (OLD, OLD))
    hash_path(root, cache=cache)
    assert hash_path(root, cache=cache).cache_hits == 1


def test_single_file_uses_cache(tmp_path: Path, cache: StatCache) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"content")
    os.utime(path, (OLD, OLD))
    first = hash_path(path, cache=cache)
    second = hash_path(path, cache=cache)
    assert second.hash == first.hash == hash_bytes(b"content")
    assert (second.cache_hits, second.bytes_read) == (1, 0)


def test_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    cache_dir = tmp_path / "c"
    cache_dir.mkdir()
    (cache_dir / "file-hashes.sqlite").write_bytes(b"not a database" * 100)
    root = _tree(tmp_path / "root", FILES)
    with StatCache(cache_dir) as cache:
        assert hash_path(root, cache=cache).hash == reference_tree_hash(FILES)


def test_many_files_hash_in_parallel_batches(tmp_path: Path) -> None:
    files = {f"d{i % 7}/f{i}.bin": os.urandom(i * 37 % 5000) for i in range(600)}
    make_tree(tmp_path, files)
    serial = hash_path(tmp_path, workers=1)
    parallel = hash_path(tmp_path, workers=4)
    assert serial.hash == parallel.hash == reference_tree_hash(files)


def test_cache_from_an_older_schema_is_reset(tmp_path: Path) -> None:
    cache_dir = tmp_path / "c"
    cache_dir.mkdir()
    with sqlite3.connect(cache_dir / "file-hashes.sqlite") as old:
        old.execute("CREATE TABLE file_hashes (path TEXT PRIMARY KEY, hash TEXT)")
        old.execute("INSERT INTO file_hashes VALUES ('x', 'y')")
    old.close()
    root = _tree(tmp_path / "root", FILES)
    with StatCache(cache_dir) as cache:
        hash_path(root, cache=cache)
        assert hash_path(root, cache=cache).cache_hits == len(FILES)


def test_warm_cache_sees_added_removed_and_renamed_files(tmp_path: Path, cache: StatCache) -> None:
    root = _tree(tmp_path / "root", FILES)
    hash_path(root, cache=cache)
    assert hash_path(root, cache=cache).cache_hits == len(FILES)
    make_tree(root, {"new.txt": b"n"})
    assert hash_path(root, cache=cache).hash == reference_tree_hash({**FILES, "new.txt": b"n"})
    (root / "new.txt").unlink()
    assert hash_path(root, cache=cache).hash == reference_tree_hash(FILES)
    (root / "a.txt").rename(root / "renamed.txt")
    renamed = {**{k: v for k, v in FILES.items() if k != "a.txt"}, "renamed.txt": b"alpha"}
    result = hash_path(root, cache=cache)
    assert result.hash == reference_tree_hash(renamed)
    assert result.bytes_read == len(b"alpha")


def test_selected_subset_is_cached_separately_from_the_whole(
    tmp_path: Path, cache: StatCache
) -> None:
    root = _tree(tmp_path / "root", FILES)
    whole = hash_path(root, cache=cache)
    only_b = hash_path(root, cache=cache, select=lambda rel, is_dir: rel.startswith(("b", "b/")))
    assert only_b.hash == reference_tree_hash({k: v for k, v in FILES.items() if k[0] == "b"})
    assert hash_path(root, cache=cache).hash == whole.hash
