"""Finalizing: hash each output the step wrote and move it to its destination, all or nothing.

Owns: the rules for what a finished step must have produced — a `uri_file` output must be a file
(else `output_missing`); a folder output the step left untouched is committed empty, as Azure
does; a folder replaced by something else, or holding what cannot be hashed, fails with
`commit_failed` — and the move itself: `os.rename` within a filesystem, else a copy into a
temporary sibling (each file fsynced) renamed into place. A destination that already exists is
never overwritten. Everything is checked and hashed before the first move, and if a later move
fails the earlier ones are undone, so a failed step commits nothing.
Must not: run after a failed or canceled command (the caller decides), or write the record.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cairn.data.hashing import hash_file, hash_path
from cairn.errors import CairnError
from cairn.launcher.materialize import is_file
from cairn.launcher.outcome import StepFailure
from cairn.launcher.protocol import MANIFEST_FILES, CommittedOutput, OutputSpec


@dataclass(frozen=True)
class _Ready:
    output: OutputSpec
    source: Path
    dest: Path
    hash: str
    size: int
    files: int
    manifest: dict[str, str] | None


def commit_outputs(outputs: list[OutputSpec], private: dict[str, Path]) -> list[CommittedOutput]:
    """Hash and move every output from its private path (`private[name]`) to `commit_to`."""
    ready = [_check(output, private[output.name]) for output in outputs]
    undo: list[Callable[[], None]] = []
    try:
        for item in ready:
            undo.append(_move(item.source, item.dest))
    except OSError as error:
        for step in reversed(undo):
            step()
        raise StepFailure("commit_failed", f"could not commit the outputs: {error}") from error
    return [
        CommittedOutput(
            r.output.name, r.output.uri, str(r.dest), r.hash, r.size, r.files, r.manifest
        )
        for r in ready
    ]


def _check(output: OutputSpec, source: Path) -> _Ready:
    if is_file(output):
        if not source.is_file():
            what = "a folder" if source.is_dir() else "nothing"
            raise StepFailure(
                "output_missing",
                f"output {output.name!r} (uri_file) was not written: the step left {what} at "
                f"{source}",
            )
    elif not source.exists():
        source.mkdir(parents=True)
    elif not source.is_dir():
        raise StepFailure(
            "commit_failed", f"output {output.name!r} ({output.type}) must be a folder: {source}"
        )
    dest = Path(output.commit_to)
    if os.path.lexists(dest):
        raise StepFailure(
            "commit_failed", f"output {output.name!r}: destination {dest} already exists"
        )
    try:
        if is_file(output):
            digest, size = hash_file(source)
            return _Ready(output, source, dest, digest, size, 1, {dest.name: digest})
        tree = hash_path(source)
    except (CairnError, OSError) as error:
        raise StepFailure("commit_failed", f"output {output.name!r}: {error}") from error
    files = tree.files
    manifest = {f.path: f.hash for f in files} if len(files) <= MANIFEST_FILES else None
    return _Ready(output, source, dest, tree.hash, tree.total_bytes, len(files), manifest)


def _move(source: Path, dest: Path) -> Callable[[], None]:
    """Move `source` to `dest` (which must not exist); returns how to undo it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(dest):
        raise FileExistsError(errno.EEXIST, "destination already exists", str(dest))
    try:
        source.rename(dest)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
        _copy_into_place(source, dest)
        _fsync_dir(dest.parent)
        return lambda: _remove(dest)
    _fsync_dir(dest.parent)
    return lambda: _rename_back(dest, source)


def _rename_back(dest: Path, source: Path) -> None:
    dest.rename(source)


def _copy_into_place(source: Path, dest: Path) -> None:
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        if source.is_dir():
            shutil.copytree(source, temp, symlinks=True, copy_function=_copy_synced)
        else:
            _copy_synced(str(source), str(temp))
        temp.rename(dest)
    except BaseException:
        _remove(temp)
        raise
    _remove(source)


def _copy_synced(source: str, dest: str) -> str:
    shutil.copy2(source, dest)
    fd = os.open(dest, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return dest


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()
