"""Listing the regular files of a local folder the way hashing and snapshots must see them.

Owns: the walk and its rules — paths relative to the root in POSIX form and Unicode NFC (so a folder
hashes the same on Linux, macOS and Windows); symbolic links followed only while their target stays
inside the root (else `PathNotAllowed`), with directory-link cycles refused; anything that is not a
regular file or a directory (FIFO, socket, device, dangling link) refused, since it has no content
to hash or copy; empty directories produce nothing. A `select(rel, is_dir)` callback prunes files
and whole directories (ignore rules).
Must not: read file contents or know about ignore-file formats.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from cairn.data.paths import is_within
from cairn.data.stat_cache import StatKey
from cairn.errors import NotFound, PathNotAllowed

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    Select = Callable[[str, bool], bool]


class LocalFile(NamedTuple):
    """One regular file found by a walk, with what `stat` said about its content.

    A named tuple rather than a frozen dataclass: a walk makes one per file, and building a tuple
    costs a fraction of a frozen dataclass's field-by-field initialisation.
    """

    rel: str  # relative POSIX path, NFC, as it appears in manifests and snapshots
    path: str  # absolute path to read the content from (a str: walks make many of these)
    size: int
    mtime_ns: int
    inode: int

    @property
    def key(self) -> StatKey:
        return StatKey(self.size, self.mtime_ns, self.inode)

    @classmethod
    def from_stat(cls, rel: str, path: str, st: os.stat_result) -> LocalFile:
        """A file described by `st` (of the content: a followed symlink's target)."""
        return cls(rel, path, st.st_size, st.st_mtime_ns, st.st_ino)


def _nfc(name: str) -> str:
    return name if name.isascii() else unicodedata.normalize("NFC", name)


def walk_files(root: Path, *, select: Select | None = None, prefix: str = "") -> list[LocalFile]:
    """Every regular file below `root` that `select` keeps, in no particular order.

    `prefix` is prepended to every relative path (used to place an included folder under its base
    name). Raises `NotFound` when `root` is missing and `PathNotAllowed` per the module rules.
    """
    base = root.resolve()
    if not base.is_dir():
        raise NotFound(f"folder {str(root)!r} does not exist")
    found: list[LocalFile] = []
    stack: list[tuple[str, str, frozenset[Path]]] = [(str(base), prefix, frozenset({base}))]
    with _collector_paused():
        _walk(stack, base, select, found)
    return found


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a walk allocates its many small objects.

    None of them can form a cycle, yet each collection pass traverses every live object of the
    process; on a 10,000-file folder the pauses cost about a sixth of the walk. Another thread that
    pauses concurrently only finds the collector already off and leaves it to this one.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _walk(
    stack: list[tuple[str, str, frozenset[Path]]],
    base: Path,
    select: Select | None,
    found: list[LocalFile],
) -> None:
    while stack:
        folder, rel_prefix, ancestors = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                rel = rel_prefix + _nfc(entry.name)
                # Regular files are nearly every entry; they skip the general case's call.
                if entry.is_file(follow_symlinks=False):
                    if select is None or select(rel, False):
                        st = entry.stat(follow_symlinks=False)
                        found.append(
                            LocalFile(rel, entry.path, st.st_size, st.st_mtime_ns, st.st_ino)
                        )
                    continue
                child = _visit(entry, rel, base, ancestors, select, found)
                if child is not None:
                    stack.append((str(child), rel + "/", ancestors | {child}))


def _visit(
    entry: os.DirEntry[str],
    rel: str,
    base: Path,
    ancestors: frozenset[Path],
    select: Select | None,
    found: list[LocalFile],
) -> Path | None:
    """Record a file or return a directory to descend into (resolved), else None."""
    if entry.is_symlink():
        return _visit_link(Path(entry.path), rel, base, ancestors, select, found)
    if entry.is_dir(follow_symlinks=False):
        keep = select is None or select(rel, True)
        return Path(entry.path) if keep else None
    if entry.is_file(follow_symlinks=False):
        if select is None or select(rel, False):
            found.append(LocalFile.from_stat(rel, entry.path, entry.stat()))
        return None
    if select is None or select(rel, False):
        raise PathNotAllowed(f"{entry.path!r} is not a regular file or folder")
    return None


def _visit_link(
    link: Path,
    rel: str,
    base: Path,
    ancestors: frozenset[Path],
    select: Select | None,
    found: list[LocalFile],
) -> Path | None:
    try:
        st = link.stat()
    except (FileNotFoundError, NotADirectoryError):
        if select is None or select(rel, False):
            raise PathNotAllowed(f"symbolic link {str(link)!r} points nowhere") from None
        return None
    is_dir = stat.S_ISDIR(st.st_mode)
    if select is not None and not select(rel, is_dir):
        return None
    target = link.resolve()
    if not is_within(target, base):
        raise PathNotAllowed(
            f"symbolic link {str(link)!r} points outside {str(base)!r}",
            hint="copy the target into the folder instead of linking to it",
        )
    if is_dir:
        if target in ancestors:
            raise PathNotAllowed(f"symbolic link {str(link)!r} makes a loop")
        return target
    if not stat.S_ISREG(st.st_mode):
        raise PathNotAllowed(f"{str(link)!r} does not point to a regular file or folder")
    found.append(LocalFile.from_stat(rel, str(link), st))
    return None
