"""Files a client sends with a job or asset: stored once by content, then laid out as the client
had them so the spec layer reads them exactly as it would on the client's machine.

A client first asks which of its file hashes the server lacks (`/blobs/missing`), uploads only
those (`PUT /blobs/<hash>`, verified), then names the files by relative path. Re-submitting an
unchanged pipeline uploads nothing. A manifest is laid out (hard links into `staging/<hash>/`)
once per distinct manifest; every relative path is confined to that folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from typing import TYPE_CHECKING

import blake3

from cairn.data.hashing import format_hash, is_hash
from cairn.data.paths import clean_relative, confine
from cairn.errors import LimitExceeded, NotFound, UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

MAX_BLOB_BYTES = 10 * 1024**3


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.staging = root / "staging"

    def path(self, content_hash: str) -> Path:
        if not is_hash(content_hash):
            raise UsageError(f"{content_hash!r} is not a content hash (`blake3:<64 hex>`)")
        digest = content_hash.split(":", 1)[1]
        return self.blobs / digest[:2] / digest

    def missing(self, hashes: Iterable[str]) -> list[str]:
        return [h for h in dict.fromkeys(hashes) if not self.path(h).exists()]

    def writer(self, content_hash: str) -> BlobWriter:
        """A writer for one blob: `write` chunks, then `commit` (verifies the hash) or `abort`."""
        return BlobWriter(self.path(content_hash), content_hash)

    def stage(self, files: dict[str, str]) -> Path:
        """Lay out `files` (relative path → hash) in a folder of their own; returns it."""
        cleaned = {clean_relative(path): content for path, content in files.items()}
        if "" in cleaned:
            raise UsageError("a manifest path cannot be empty")
        _check_no_file_is_a_folder(cleaned)
        key = blake3.blake3(json.dumps(sorted(cleaned.items())).encode()).hexdigest()
        folder = self.staging / key
        if folder.is_dir():
            return folder
        absent = self.missing(cleaned.values())
        if absent:
            raise NotFound(
                f"{len(absent)} file(s) of the manifest were not uploaded",
                details={"missing": absent},
            )
        temp = self.staging / f".{key}.{uuid.uuid4().hex}"
        temp.mkdir(parents=True)
        try:
            for relative, content in cleaned.items():
                target = confine(temp, relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(self.path(content), target)
                except OSError:
                    shutil.copyfile(self.path(content), target)
            temp.replace(folder)
        except OSError:
            shutil.rmtree(temp, ignore_errors=True)
            if not folder.is_dir():
                raise
        return folder

    def discard(self, folder: Path, files: dict[str, str], entry: str) -> None:
        """Remove a staged folder and the blob of its entry document: for a document that holds
        credentials, which must not stay on disk in plain text once they are encrypted."""
        shutil.rmtree(folder, ignore_errors=True)
        content = files.get(clean_relative(entry)) or files.get(entry)
        if content is not None and is_hash(content):
            self.path(content).unlink(missing_ok=True)


def _check_no_file_is_a_folder(paths: Iterable[str]) -> None:
    """A manifest cannot name `a` as a file and also `a/b` (which makes `a` a folder)."""
    files = set(paths)
    for path in files:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent in files:
                raise UsageError(f"the manifest names {parent!r} both as a file and as a folder")


class BlobWriter:
    """Receives one upload into a temporary file; only bytes with the promised hash are kept."""

    def __init__(self, target: Path, content_hash: str) -> None:
        self.target = target
        self.content_hash = content_hash
        self.exists = target.exists()
        self._hasher = blake3.blake3()
        self._size = 0
        self._temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        self._handle = None
        if not self.exists:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self._temp.open("wb")

    def write(self, chunk: bytes) -> None:
        if self._handle is None:
            return
        self._size += len(chunk)
        if self._size > MAX_BLOB_BYTES:
            self.abort()
            raise LimitExceeded(f"a file over {MAX_BLOB_BYTES:,} bytes")
        self._hasher.update(chunk)
        self._handle.write(chunk)

    def commit(self) -> bool:
        """Keep the blob; False when it already existed."""
        if self._handle is None:
            return False
        self._handle.close()
        self._handle = None
        got = format_hash(self._hasher.digest())
        if got != self.content_hash:
            self._temp.unlink(missing_ok=True)
            raise UsageError(f"the uploaded bytes hash to {got}, not {self.content_hash}")
        self._temp.chmod(0o444)
        self._temp.replace(self.target)
        return True

    def abort(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        with contextlib.suppress(FileNotFoundError):
            self._temp.unlink()
