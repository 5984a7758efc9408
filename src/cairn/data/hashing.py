"""Content hashes of files and folders: BLAKE3, formatted `blake3:<64 hex digits>`.

Owns: the hash of a file (BLAKE3 of its bytes), the hash of a folder (below), parallel hashing of
many files, and use of the stat cache so an unchanged folder re-hashes without reading contents.
Must not: decide which files belong to a folder (see `walk`, ignore rules) or where hashes are kept.

Folder hash, version 1 — a Merkle root over the folder's file hashes:

    BLAKE3( b"cairn-tree-v1\\0"
            || for each file, in ascending order of the UTF-8 bytes of its path:
                 u64be(len(path)) || path || u64be(size) || file_digest[32] )

`path` is the file's path relative to the folder, POSIX separators, Unicode NFC, UTF-8 (undecodable
POSIX names keep their raw bytes); `size` is its length in bytes; `file_digest` the raw 32-byte
BLAKE3 digest of its content. Length prefixes make the encoding unambiguous, the domain string keeps
a folder hash from ever equalling a file hash, and nothing platform-specific (separators, modes,
times) enters it. Empty directories are not part of the hash: object stores cannot represent them,
and a folder must hash the same on a local disk and in a blob container. An empty folder hashes to
BLAKE3 of the domain string alone.
"""

from __future__ import annotations

import marshal
import os
import re
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from blake3 import blake3

from cairn.data.walk import LocalFile, walk_files
from cairn.errors import NotFound, PathNotAllowed

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from cairn.data.stat_cache import StatCache
    from cairn.data.walk import Select

HASH_PREFIX = "blake3:"
TREE_DOMAIN = b"cairn-tree-v1\x00"
_U64 = struct.Struct(">Q")
_HASH_RE = re.compile(r"^blake3:[0-9a-f]{64}$")
# Above this a file is memory-mapped and hashed by several threads on its own; below it, files are
# read whole and hashed in batches, because a thread-pool task costs more than hashing a small file.
BIG_FILE_BYTES = 8 * 1024 * 1024
_BATCH_BYTES = 4 * 1024 * 1024
_BATCH_FILES = 256
_CHUNK = 1024 * 1024
# A file modified less than this long before hashing began may change again within the same
# timestamp tick without changing its mtime ("racy" entries, as git calls them); such files are
# hashed but not cached.
RACY_WINDOW_NS = 2_000_000_000


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One file of a folder manifest."""

    path: str
    size: int
    hash: str


# What a folder hash is computed from, per file: (UTF-8 path, size, raw 32-byte digest).
Leaf = tuple[bytes, int, bytes]


@dataclass(frozen=True)
class TreeHash:
    """The hash of a file or folder, with the manifest it was computed from."""

    hash: str
    is_dir: bool
    total_bytes: int
    bytes_read: int  # content bytes actually read (0 when every file came from the cache)
    cache_hits: int
    leaves: tuple[Leaf, ...] = field(repr=False)  # sorted by path

    @cached_property
    def files(self) -> tuple[FileEntry, ...]:
        """The manifest, sorted by path (one entry named after the file for a file)."""
        return tuple(
            FileEntry(raw.decode("utf-8", "surrogateescape"), size, format_hash(digest))
            for raw, size, digest in self.leaves
        )


def format_hash(digest: bytes) -> str:
    return HASH_PREFIX + digest.hex()


def is_hash(value: str) -> bool:
    """True for a well-formed `blake3:<hex>` string."""
    return _HASH_RE.match(value) is not None


def digest_of(value: str) -> bytes:
    """The raw 32-byte digest of a `blake3:<hex>` string (ValueError when malformed)."""
    if not is_hash(value):
        raise ValueError(f"not a blake3 hash: {value!r}")
    return bytes.fromhex(value[len(HASH_PREFIX) :])


def hash_bytes(data: bytes) -> str:
    return format_hash(blake3(data).digest())


def hash_reader(reader: BinaryIO) -> tuple[str, int]:
    """Hash a binary stream to its end; returns (hash, bytes read)."""
    digest, size = digest_reader(reader)
    return format_hash(digest), size


def digest_reader(reader: BinaryIO) -> tuple[bytes, int]:
    """As `hash_reader`, with the raw 32-byte digest."""
    hasher, size = blake3(), 0
    while chunk := reader.read(_CHUNK):
        hasher.update(chunk)
        size += len(chunk)
    return hasher.digest(), size


def hash_file(path: str | Path) -> tuple[str, int]:
    """Hash one file's content; returns (hash, size hashed)."""
    digest, size = _digest_file(path)
    return format_hash(digest), size


def _digest_file(path: str | Path, *, threads: int = blake3.AUTO) -> tuple[bytes, int]:
    with open(path, "rb") as handle:  # noqa: PTH123 - walks hand over str paths
        size = os.fstat(handle.fileno()).st_size
        if size < BIG_FILE_BYTES:
            data = handle.read()
            return blake3(data).digest(), len(data)
    hasher = blake3(max_threads=threads)
    hasher.update_mmap(path)
    return hasher.digest(), size


def tree_hash(entries: Iterable[FileEntry]) -> str:
    """The version-1 folder hash of `entries` (see the module docstring)."""
    leaves = [(_utf8(e.path), e.size, digest_of(e.hash)) for e in entries]
    return format_hash(_tree_digest(sorted(leaves)))


def _utf8(path: str) -> bytes:
    return path.encode("utf-8", "surrogateescape")


def _tree_digest(leaves: Sequence[Leaf]) -> bytes:
    """The folder digest of leaves already sorted by path."""
    parts = [TREE_DOMAIN]
    append, pack = parts.append, _U64.pack
    previous = None
    for raw, size, digest in leaves:
        if raw == previous:
            shown = raw.decode("utf-8", "replace")
            raise PathNotAllowed(f"two files have the same normalised path {shown!r}")
        previous = raw
        append(pack(len(raw)))
        append(raw)
        append(pack(size))
        append(digest)
    return blake3(b"".join(parts)).digest()


def leaves_hash(leaves: Iterable[Leaf], *, bytes_read: int = 0, cache_hits: int = 0) -> TreeHash:
    """A folder `TreeHash` from leaves in any order."""
    ordered = tuple(sorted(leaves))
    return TreeHash(
        hash=format_hash(_tree_digest(ordered)),
        is_dir=True,
        total_bytes=sum(size for _, size, _ in ordered),
        bytes_read=bytes_read,
        cache_hits=cache_hits,
        leaves=ordered,
    )


def hash_path(
    path: Path,
    *,
    cache: StatCache | None = None,
    select: Select | None = None,
    workers: int | None = None,
) -> TreeHash:
    """Hash a file (its content hash) or a folder (the tree hash of its files).

    `select(rel, is_dir)` keeps or prunes entries of a folder; `cache` skips reading files whose
    (path, size, mtime_ns, inode) are unchanged since they were last hashed.
    """
    if path.is_dir():
        return _hash_folder(path, cache, select, workers)
    if not path.exists():
        raise NotFound(f"{str(path)!r} does not exist")
    single = LocalFile.from_stat(path.name, str(path.resolve()), path.stat())
    result = hash_files([single], cache=cache, workers=1)
    (leaf,) = result.leaves
    return TreeHash(
        format_hash(leaf[2]), False, leaf[1], result.bytes_read, result.cache_hits, result.leaves
    )


def _hash_folder(
    path: Path, cache: StatCache | None, select: Select | None, workers: int | None
) -> TreeHash:
    root = path.resolve()
    started = time.time_ns()
    files = walk_files(root, select=select)
    if cache is None:
        return hash_files(files, workers=workers)
    fingerprint = _fingerprint(files)
    manifest = cache.lookup_tree(str(root), fingerprint)
    if manifest is not None and (cached := _load_manifest(manifest, len(files))) is not None:
        return cached
    result = hash_files(files, cache=cache, workers=workers, scopes=[root])
    fresh_before = started - RACY_WINDOW_NS
    if all(f.mtime_ns < fresh_before for f in files):
        record = (result.hash, result.total_bytes, list(result.leaves))
        cache.store_tree(str(root), fingerprint, marshal.dumps(record))
    return result


def _fingerprint(files: Sequence[LocalFile]) -> bytes:
    """A digest of every file's path and stat key: equal only for an unchanged folder."""
    text = "\0".join(f"{f.rel}\0{f.path}\0{f.size}\0{f.mtime_ns}\0{f.inode}" for f in files)
    return blake3(text.encode("utf-8", "surrogateescape")).digest()


def _load_manifest(manifest: bytes, count: int) -> TreeHash | None:
    # marshal is the fastest stdlib codec for this cache, which is private to the user and machine
    # (whoever can write it could poison the file hashes anyway; marshal runs no code). Anything
    # unexpected — another Python version, a damaged row — is a miss.
    try:
        digest, total, leaves = marshal.loads(manifest)  # noqa: S302
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(digest, str) or not isinstance(leaves, list) or len(leaves) != count:
        return None
    return TreeHash(digest, True, total, 0, count, tuple(leaves))


def hash_files(
    files: Sequence[LocalFile],
    *,
    cache: StatCache | None = None,
    workers: int | None = None,
    scopes: Sequence[Path] = (),
) -> TreeHash:
    """Hash `files` in parallel and combine them as one folder (paths from `LocalFile.rel`).

    `scopes` are folders whose cached entries are loaded in one query (faster than one lookup per
    file); files outside every scope are looked up one by one.
    """
    start_ns = time.time_ns()
    known = _cached(files, cache, scopes)
    misses = [f for f in files if f.rel not in known]
    computed = _hash_misses(misses, workers)
    if cache is not None:
        fresh_before = start_ns - RACY_WINDOW_NS
        cache.store(
            (f.path, f.size, f.mtime_ns, f.inode, computed[f.rel][0])
            for f in misses
            if f.mtime_ns < fresh_before and computed[f.rel][1] == f.size
        )
    leaves = []
    for f in files:
        digest, size = known.get(f.rel) or computed[f.rel]
        leaves.append((_utf8(f.rel), size, digest))
    read = sum(size for _, size in computed.values())
    return leaves_hash(leaves, bytes_read=read, cache_hits=len(known))


def _cached(
    files: Sequence[LocalFile], cache: StatCache | None, scopes: Sequence[Path]
) -> dict[str, tuple[bytes, int]]:
    """(raw digest, size) by relative path for every file whose cache entry is still valid."""
    if cache is None:
        return {}
    hits: dict[str, tuple[bytes, int]] = {}
    if not scopes:
        for f in files:
            found = cache.lookup(f.path, f.key)
            if found is not None:
                hits[f.rel] = (found, f.size)
        return hits
    table: dict[str, bytes] = {}
    for scope in scopes:
        table.update(cache.lookup_under(str(scope)))
    current = cache.current_digest
    for f in files:
        record = table.get(f.path)
        if record is not None:
            digest = current(record, f.size, f.mtime_ns, f.inode)
            if digest is not None:
                hits[f.rel] = (digest, f.size)
    return hits


def _hash_misses(misses: Sequence[LocalFile], workers: int | None) -> dict[str, tuple[bytes, int]]:
    batches = _batches(misses)
    if not batches:
        return {}
    count = workers or os.cpu_count() or 1
    if count == 1 or len(batches) == 1:
        results = [_hash_batch(b, blake3.AUTO) for b in batches]
    else:
        with ThreadPoolExecutor(max_workers=min(count, len(batches))) as pool:
            results = list(pool.map(_hash_batch, batches))
    return {rel: value for batch in results for rel, value in batch}


def _batches(files: Sequence[LocalFile]) -> list[list[LocalFile]]:
    """Big files alone, small files grouped, so each task costs about the same. Files keep the
    walk's order: read folder by folder, 1 GB of 10,000 files hashes about a third faster than
    read in order of size (bench/hash_bench.py)."""
    batches: list[list[LocalFile]] = []
    current: list[LocalFile] = []
    current_bytes = 0
    for f in files:
        if f.size >= BIG_FILE_BYTES:
            batches.append([f])
            continue
        current.append(f)
        current_bytes += f.size
        if current_bytes >= _BATCH_BYTES or len(current) >= _BATCH_FILES:
            batches.append(current)
            current, current_bytes = [], 0
    if current:
        batches.append(current)
    return batches


def _hash_batch(batch: list[LocalFile], threads: int = 1) -> list[tuple[str, tuple[bytes, int]]]:
    """In a pool, one thread per big file (the pool keeps the CPUs busy); alone, all of them."""
    return [(f.rel, _digest_file(f.path, threads=threads)) for f in batch]
