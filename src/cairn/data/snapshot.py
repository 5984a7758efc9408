"""Code snapshots: the exact files of a `code:` folder (or file) a step ran with, stored once.

Owns: choosing the files (ignore rules, `additional_includes` placed at the snapshot root by their
base name, as Azure ML does), the size limit (300 MB by default, as Azure ML), and the
content-addressed area `<root>/snapshots/<hex>/`: a snapshot is copied into a temporary folder,
checked against the hash computed beforehand, made read-only and renamed into place atomically, so
a reader never sees a partial snapshot and two writers of the same content agree.
Must not: decide where `<root>` is, delete snapshots, or know about jobs.
"""

from __future__ import annotations

import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from blake3 import blake3

from cairn.data.hashing import FileEntry, format_hash, hash_files
from cairn.data.ignore_rules import load_ignore_rules
from cairn.data.walk import LocalFile, walk_files
from cairn.errors import Conflict, LimitExceeded, NotFound

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cairn.data.stat_cache import StatCache

DEFAULT_MAX_SNAPSHOT_BYTES = 300 * 1024 * 1024
SNAPSHOTS_DIR = "snapshots"
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class CodeSnapshot:
    """A stored snapshot: its content hash, where it lies, and what it holds."""

    hash: str
    path: Path
    files: tuple[FileEntry, ...]
    total_bytes: int
    reused: bool  # True when identical content was already stored and nothing was copied


def snapshot_path(root: Path, content_hash: str) -> Path:
    """Where the snapshot with `content_hash` lives (or would live) under `root`."""
    return root / SNAPSHOTS_DIR / content_hash.removeprefix("blake3:")


def collect_code_files(code: Path, additional_includes: Sequence[Path] = ()) -> list[LocalFile]:
    """The files a snapshot of `code` would hold, with their paths inside the snapshot."""
    files = _files_of(code, prefix="")
    taken = {f.rel.split("/", 1)[0] for f in files}
    for include in additional_includes:
        if include.name in taken:
            raise Conflict(
                f"additional include {str(include)!r} clashes with {include.name!r} already in "
                "the code snapshot",
                hint="rename one of them; includes are placed at the snapshot root by base name",
            )
        files.extend(_files_of(include, prefix=include.name + "/"))
        taken.add(include.name)
    return files


def _files_of(source: Path, *, prefix: str) -> list[LocalFile]:
    if source.is_dir():
        rules = load_ignore_rules(source)
        return walk_files(source, select=rules.keeps, prefix=prefix)
    if source.is_file():
        rel = prefix.rstrip("/") or source.name
        return [LocalFile.from_stat(rel, str(source.resolve()), source.stat())]
    raise NotFound(f"code path {str(source)!r} does not exist")


def snapshot_code(
    code: Path,
    root: Path,
    *,
    additional_includes: Sequence[Path] = (),
    max_bytes: int = DEFAULT_MAX_SNAPSHOT_BYTES,
    cache: StatCache | None = None,
    workers: int | None = None,
) -> CodeSnapshot:
    """Snapshot `code` (a folder or one file) into `root/snapshots/<hex>/` and describe it."""
    files = collect_code_files(code, additional_includes)
    _check_size(code, files, max_bytes)
    scopes = [p.resolve() for p in (code, *additional_includes) if p.is_dir()]
    tree = hash_files(files, cache=cache, workers=workers, scopes=scopes)
    final = snapshot_path(root, tree.hash)
    if not final.is_dir():
        expected = {e.path: e.hash for e in tree.files}
        if not _store(files, expected, final, workers):
            return CodeSnapshot(tree.hash, final, tree.files, tree.total_bytes, reused=True)
        return CodeSnapshot(tree.hash, final, tree.files, tree.total_bytes, reused=False)
    return CodeSnapshot(tree.hash, final, tree.files, tree.total_bytes, reused=True)


def _check_size(code: Path, files: Sequence[LocalFile], max_bytes: int) -> None:
    total = sum(f.size for f in files)
    if total <= max_bytes:
        return
    largest = sorted(files, key=lambda f: f.size, reverse=True)[:5]
    raise LimitExceeded(
        f"code snapshot of {str(code)!r} is {total / 1e6:.1f} MB, over the "
        f"{max_bytes / 1e6:.0f} MB limit",
        hint="leave data and build outputs out with a .amlignore file in the code folder",
        details={
            "total_bytes": total,
            "limit_bytes": max_bytes,
            "largest": [{"path": f.rel, "size": f.size} for f in largest],
        },
    )


def _store(
    files: Sequence[LocalFile], expected: dict[str, str], final: Path, workers: int | None
) -> bool:
    """Copy `files` into place as `final`; False when another writer stored it first."""
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        _copy_all(files, expected, temp, workers)
        _make_read_only(temp)
        try:
            temp.rename(final)
        except OSError:
            if final.is_dir():
                return False
            raise
        return True
    finally:
        if temp.exists():
            remove_tree(temp)


def _copy_all(
    files: Sequence[LocalFile], expected: dict[str, str], temp: Path, workers: int | None
) -> None:
    temp.mkdir()
    for folder in sorted({(temp / f.rel).parent for f in files}):
        folder.mkdir(parents=True, exist_ok=True)

    def copy(f: LocalFile) -> None:
        if _copy_and_hash(Path(f.path), temp / f.rel) != expected[f.rel]:
            raise Conflict(
                f"{f.rel!r} changed while the code snapshot was being taken",
                hint="run the command again once the file stops changing",
            )

    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        list(pool.map(copy, files))


def _copy_and_hash(source: Path, dest: Path) -> str:
    """Copy `source` to `dest` and return the hash of the bytes actually copied."""
    hasher = blake3()
    with source.open("rb") as reader, dest.open("xb") as writer:
        while chunk := reader.read(_CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
    return format_hash(hasher.digest())


def _make_read_only(folder: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        here = Path(dirpath)
        for name in filenames:
            (here / name).chmod(0o444)
        for name in dirnames:
            (here / name).chmod(0o555)
    folder.chmod(0o555)


def remove_tree(folder: Path) -> None:
    """Delete a folder even where it was made read-only (snapshots are)."""
    for dirpath, dirnames, _ in os.walk(folder):
        here = Path(dirpath)
        here.chmod(0o755)
        for name in dirnames:
            child = here / name
            if not child.is_symlink():
                child.chmod(0o755)
    shutil.rmtree(folder)
