"""A private, persistent cache of file content hashes keyed by what `stat` says about the file.

Owns: one small SQLite file (`<cache_dir>/file-hashes.sqlite`) mapping an absolute path to the
(size, mtime_ns, inode) it had when it was hashed and the hash found. A lookup is a hit only when
all three still match, so an unchanged folder re-hashes without reading file contents. A second
table keeps, per folder, a fingerprint of every file's (path, size, mtime_ns, inode) with the
folder's manifest, so an entirely unchanged folder skips even the per-file lookups.
Must not: be shared between machines (inodes and paths are local) or be trusted as a record — it is
a cache; losing or corrupting it only costs a re-read. Stdlib sqlite3 rather than the store because
this file is private to one machine and must work where no store is configured (launcher nodes).
"""

from __future__ import annotations

import sqlite3
import struct
import threading
from typing import TYPE_CHECKING, NamedTuple, Self

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path
    from types import TracebackType

CACHE_FILE_NAME = "file-hashes.sqlite"

_SCHEMA_VERSION = 3
# One packed column per file (size, mtime_ns, inode, raw digest) reads about twice as fast as
# four columns, which matters: an unchanged 10,000-file folder must re-hash in well under 0.1 s.
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS file_hashes (
    path   TEXT PRIMARY KEY,
    record BLOB NOT NULL
) WITHOUT ROWID
""",
    """
CREATE TABLE IF NOT EXISTS tree_hashes (
    root        TEXT PRIMARY KEY,
    fingerprint BLOB NOT NULL,
    manifest    BLOB NOT NULL
) WITHOUT ROWID
""",
)
_RECORD = struct.Struct(">QqQ32s")
_KEY = struct.Struct(">QqQ")


class StatKey(NamedTuple):
    """What must be unchanged for a cached hash to stand for the file's current content."""

    size: int
    mtime_ns: int
    inode: int


class StatCache:
    """Thread-safe handle on the hash cache in `cache_dir` (created if missing)."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / CACHE_FILE_NAME
        self._lock = threading.Lock()
        self._conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            return self._open()
        except sqlite3.DatabaseError:
            # A cache that cannot be read is rebuilt rather than reported.
            self.path.unlink(missing_ok=True)
            return self._open()

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        if conn.execute("PRAGMA user_version").fetchone()[0] != _SCHEMA_VERSION:
            conn.execute("DROP TABLE IF EXISTS file_hashes")
            conn.execute("DROP TABLE IF EXISTS tree_hashes")
            conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.commit()
        return conn

    def lookup_under(self, root: str) -> dict[str, bytes]:
        """Packed records by path for every entry at or below `root` (see `current_digest`)."""
        # '/' + 1 == '0', so [root/, root0) is exactly the paths below root.
        lower, upper = root.rstrip("/") + "/", root.rstrip("/") + "0"
        with self._lock:
            rows = self._conn.execute(
                "SELECT path, record FROM file_hashes WHERE (path >= ? AND path < ?) OR path = ?",
                (lower, upper, root),
            ).fetchall()
        return dict(rows)

    @staticmethod
    def current_digest(record: bytes, size: int, mtime_ns: int, inode: int) -> bytes | None:
        """The raw digest in a packed record when it was stored for the same stat key, else None."""
        if record[: _KEY.size] != _KEY.pack(size, mtime_ns, inode):
            return None
        return record[_KEY.size :]

    def lookup(self, path: str, key: StatKey) -> bytes | None:
        """The cached raw digest of `path` if its stat key still matches, else None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT record FROM file_hashes WHERE path = ?", (path,)
            ).fetchone()
        return None if row is None else self.current_digest(row[0], *key)

    def store(self, entries: Iterable[tuple[str, int, int, int, bytes]]) -> None:
        """Remember `(path, size, mtime_ns, inode, raw digest)` entries, replacing older ones."""
        # Sorted rows fill the primary-key B-tree in order, noticeably faster for large folders.
        rows = sorted(
            (path, _RECORD.pack(size, mtime, inode, digest))
            for path, size, mtime, inode, digest in entries
        )
        if not rows:
            return
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO file_hashes (path, record) VALUES (?, ?)", rows
            )
            self._conn.commit()

    def lookup_tree(self, root: str, fingerprint: bytes) -> bytes | None:
        """The manifest stored for folder `root` if it was stored with the same fingerprint."""
        with self._lock:
            row = self._conn.execute(
                "SELECT fingerprint, manifest FROM tree_hashes WHERE root = ?", (root,)
            ).fetchone()
        return bytes(row[1]) if row is not None and bytes(row[0]) == fingerprint else None

    def store_tree(self, root: str, fingerprint: bytes, manifest: bytes) -> None:
        """Remember folder `root`'s manifest under the fingerprint of its files' stat keys."""
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO tree_hashes (root, fingerprint, manifest) VALUES (?, ?, ?)",
                (root, fingerprint, manifest),
            )
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
