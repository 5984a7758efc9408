"""Garbage: removing built environments that no step has used for a while.

Last use is the modification time of `ready.json`, which every `ensure` touches. An environment
that a running step holds (its use lock), or that is being built, is never removed; a folder an
interrupted build left behind is removed whatever its age once no one builds it. Removal renames
the folder into `.trash/` before deleting it, so a half-deleted environment never looks ready.
The identity's saved lock stays: a rebuild installs exactly the same package set.

Space freed counts only what removal really frees: files linked from elsewhere too (uv links
installed files from its cache where it can) still take their space after the removal.
Must not: decide which environments a workspace needs (the caller may pass `keep`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cairn.envs.folders import LOCKS, READY, RUN, TRASH, exclusive_if_free

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path


@dataclass(frozen=True)
class Pruned:
    identity: str
    last_used: float
    """Epoch seconds of the last use (of the folder's creation, for an unfinished build)."""
    size_bytes: int
    """Apparent size of the folder's files."""
    freed_bytes: int
    """Disk space the removal freed."""
    finished: bool
    """False for the leftovers of an interrupted build."""


def prune(
    envs: Path, older_than_s: float, *, keep: Iterable[str] = (), now: float | None = None
) -> list[Pruned]:
    """Remove built environments last used more than `older_than_s` ago (none in `keep`,
    identities such as `env:<hash>`), and unfinished builds no one is working on."""
    if not envs.is_dir():
        return []
    now = time.time() if now is None else now
    kept = {identity.split(":", 1)[-1] for identity in keep}
    removed: list[Pruned] = []
    for folder in sorted(envs.iterdir()):
        if folder.name in kept or folder.name in (LOCKS, RUN, TRASH) or not folder.is_dir():
            continue
        identity = f"env:{folder.name}"
        with exclusive_if_free(envs, identity) as free:
            if not free:
                continue  # a step uses it, or a build is under way
            stamp = folder / READY
            finished = stamp.exists()
            last_used = (stamp if finished else folder).stat().st_mtime
            if finished and now - last_used < older_than_s:
                continue
            size, freed = _sizes(folder)
            stamp.unlink(missing_ok=True)  # not ready from this instant
            trash = envs / TRASH / f"{folder.name}.{os.getpid()}.{time.monotonic_ns()}"
            trash.parent.mkdir(exist_ok=True)
            folder.rename(trash)
        _delete(trash)
        removed.append(Pruned(identity, last_used, size, freed, finished))
    _empty_trash(envs / TRASH)
    return removed


def _sizes(folder: Path) -> tuple[int, int]:
    """Apparent size, and the blocks that only this folder references (symlinks not followed)."""
    size = freed = 0
    pending = [str(folder)]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    freed += info.st_blocks * 512
                    continue
                size += info.st_size
                freed += info.st_blocks * 512 if info.st_nlink == 1 else 0
    return size, freed


def _delete(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _empty_trash(trash: Path) -> None:
    """Folders an earlier prune renamed but did not finish deleting (it was killed)."""
    if trash.is_dir():
        for leftover in trash.iterdir():
            _delete(leftover)
