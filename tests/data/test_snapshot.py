"""Code snapshots: ignore files, additional includes, size and symlink limits, stored once."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cairn.data.hashing import hash_path
from cairn.data.snapshot import remove_tree, snapshot_code, snapshot_path
from cairn.data.stat_cache import StatCache
from cairn.errors import Conflict, LimitExceeded, NotFound, PathNotAllowed


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return root


def snapshot_files(path: Path) -> dict[str, str]:
    return {p.relative_to(path).as_posix(): p.read_text() for p in path.rglob("*") if p.is_file()}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


def test_gitignore_applies_and_snapshot_is_read_only(tmp_path: Path, store: Path) -> None:
    code = write(
        tmp_path / "src",
        {
            ".gitignore": "*.log\nbuild/\n!keep.log\n",
            "train.py": "print(1)",
            "run.log": "noise",
            "keep.log": "kept",
            "build/out.o": "obj",
            "pkg/util.py": "u",
            "pkg/__pycache__/util.cpython-311.pyc": "bytecode",
            ".git/HEAD": "ref",
        },
    )
    snap = snapshot_code(code, store)
    assert snapshot_files(snap.path) == {
        ".gitignore": "*.log\nbuild/\n!keep.log\n",
        "train.py": "print(1)",
        "keep.log": "kept",
        "pkg/util.py": "u",
    }
    assert [f.path for f in snap.files] == sorted(snapshot_files(snap.path))
    assert snap.total_bytes == sum(f.size for f in snap.files)
    assert snap.path == snapshot_path(store, snap.hash)
    assert snap.hash == hash_path(snap.path).hash
    assert not snap.reused
    mode = (snap.path / "train.py").stat().st_mode
    assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert not snap.path.stat().st_mode & stat.S_IWUSR
    assert [p.name for p in snap.path.parent.iterdir()] == [snap.path.name]


def test_amlignore_takes_precedence(tmp_path: Path, store: Path) -> None:
    code = write(
        tmp_path / "src",
        {".amlignore": "data/\n", ".gitignore": "*.py\n", "a.py": "a", "data/big.csv": "x"},
    )
    snap = snapshot_code(code, store)
    assert sorted(snapshot_files(snap.path)) == [".amlignore", ".gitignore", "a.py"]


def test_same_content_is_stored_once(tmp_path: Path, store: Path) -> None:
    first = snapshot_code(write(tmp_path / "one", {"a.py": "x", "b/c.py": "y"}), store)
    second = snapshot_code(write(tmp_path / "two", {"a.py": "x", "b/c.py": "y"}), store)
    assert second.hash == first.hash and second.path == first.path
    assert second.reused and not first.reused
    changed = snapshot_code(write(tmp_path / "two", {"a.py": "z"}), store)
    assert changed.hash != first.hash and not changed.reused


def test_additional_includes_land_at_the_root(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {"main.py": "m"})
    shared = write(
        tmp_path / "libs" / "shared", {".amlignore": "*.tmp\n", "lib.py": "l", "x.tmp": "t"}
    )
    single = write(tmp_path / "conf", {"settings.yaml": "s"}) / "settings.yaml"
    snap = snapshot_code(code, store, additional_includes=[shared, single])
    assert snapshot_files(snap.path) == {
        "main.py": "m",
        "shared/.amlignore": "*.tmp\n",
        "shared/lib.py": "l",
        "settings.yaml": "s",
    }


def test_include_name_clash_and_missing_include(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {"shared/own.py": "o"})
    other = write(tmp_path / "other" / "shared", {"x.py": "x"})
    with pytest.raises(Conflict, match="clashes"):
        snapshot_code(code, store, additional_includes=[other])
    with pytest.raises(NotFound):
        snapshot_code(code, store, additional_includes=[tmp_path / "missing"])


def test_single_file_code(tmp_path: Path, store: Path) -> None:
    script = write(tmp_path, {"script.py": "print()"}) / "script.py"
    snap = snapshot_code(script, store)
    assert snapshot_files(snap.path) == {"script.py": "print()"}


def test_size_limit(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {"a.py": "a" * 600, "b.bin": "b" * 500})
    with pytest.raises(LimitExceeded) as info:
        snapshot_code(code, store, max_bytes=1000)
    assert info.value.details["total_bytes"] == 1100
    assert info.value.details["largest"][0] == {"path": "a.py", "size": 600}
    assert ".amlignore" in (info.value.hint or "")
    assert not store.exists()
    write(code, {".amlignore": "*.bin\n"})
    assert snapshot_code(code, store, max_bytes=1000).total_bytes == 600 + len("*.bin\n")


def test_symlink_outside_is_refused_unless_ignored(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {"a.py": "a"})
    (tmp_path / "secret.txt").write_text("s")
    (code / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(PathNotAllowed, match="points outside"):
        snapshot_code(code, store)
    write(code, {".amlignore": "leak.txt\n"})
    assert "leak.txt" not in snapshot_files(snapshot_code(code, store).path)


def test_symlink_inside_is_copied_as_a_file(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {"real.py": "r"})
    (code / "alias.py").symlink_to(code / "real.py")
    snap = snapshot_code(code, store)
    assert not (snap.path / "alias.py").is_symlink()
    assert (snap.path / "alias.py").read_text() == "r"


def test_cache_makes_second_snapshot_skip_reading(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {"a.py": "a", "b.py": "b"})
    for path in code.iterdir():
        os.utime(path, (1_600_000_000, 1_600_000_000))
    with StatCache(tmp_path / "cache") as cache:
        first = snapshot_code(code, store, cache=cache)
        second = snapshot_code(code, store, cache=cache)
    assert second.reused and second.hash == first.hash


def test_remove_tree_removes_read_only_snapshot(tmp_path: Path, store: Path) -> None:
    snap = snapshot_code(write(tmp_path / "src", {"d/a.py": "a"}), store)
    remove_tree(snap.path)
    assert not snap.path.exists()


def test_concurrent_snapshots_of_the_same_code_agree(tmp_path: Path, store: Path) -> None:
    code = write(tmp_path / "src", {f"m{i}.py": f"x = {i}\n" * 200 for i in range(40)})
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: snapshot_code(code, store), range(6)))
    assert len({r.hash for r in results}) == 1
    assert sum(not r.reused for r in results) == 1
    assert [p.name for p in (store / "snapshots").iterdir()] == [results[0].path.name]
