"""Extracting tar and zip archives without letting them write outside their destination.

Owns: the rules for unpacking an untrusted archive — every member name confined to the destination
(`clean_relative`), only regular files and folders (no symlinks, hard links, devices, FIFOs or
sparse files), caps on the member count and on the bytes written (counted while writing, so a zip
that lies about sizes is caught), and an atomic result: members go to a temporary sibling folder
that is renamed to the destination only when everything succeeded.
Tar members additionally pass through the standard library's `data` filter (PEP 706), which also
drops unsafe modes; zip has no such filter in the standard library, hence the per-member checks.
Must not: guess formats beyond what `tarfile`/`zipfile` recognise, or overwrite an existing folder.
"""

from __future__ import annotations

import shutil
import stat
import tarfile
import uuid
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cairn.data.paths import clean_relative
from cairn.errors import Conflict, LimitExceeded, PathNotAllowed, Unsupported

if TYPE_CHECKING:
    from pathlib import Path

_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on what one archive may unpack to."""

    max_members: int = 100_000
    max_total_bytes: int = 10 * 1024**3


def extract_archive(archive: Path, dest: Path, *, limits: ArchiveLimits | None = None) -> list[str]:
    """Unpack `archive` (tar, optionally compressed, or zip) into the new folder `dest`.

    Returns the relative POSIX paths of the files written, sorted. Raises `PathNotAllowed` for an
    unsafe member, `LimitExceeded` past a cap, `Conflict` when `dest` exists, `Unsupported` for an
    unknown format.
    """
    caps = limits or ArchiveLimits()
    if dest.exists():
        raise Conflict(f"cannot extract into {str(dest)!r}: it already exists")
    temp = dest.parent / f".tmp-extract-{uuid.uuid4().hex}"
    temp.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            written = _extract_zip(archive, temp, caps)
        elif tarfile.is_tarfile(archive):
            written = _extract_tar(archive, temp, caps)
        else:
            raise Unsupported(f"{str(archive)!r} is neither a tar nor a zip archive")
        temp.rename(dest)
    finally:
        if temp.exists():
            shutil.rmtree(temp)
    return sorted(written)


class _Budget:
    """Running totals checked against the caps."""

    def __init__(self, caps: ArchiveLimits) -> None:
        self.caps = caps
        self.members = 0
        self.bytes = 0

    def member(self) -> None:
        self.members += 1
        if self.members > self.caps.max_members:
            raise LimitExceeded(f"archive has more than {self.caps.max_members} members")

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.caps.max_total_bytes:
            raise LimitExceeded(
                f"archive unpacks to more than {self.caps.max_total_bytes} bytes",
                details={"limit_bytes": self.caps.max_total_bytes},
            )


def _extract_tar(archive: Path, temp: Path, caps: ArchiveLimits) -> list[str]:
    budget = _Budget(caps)
    written: list[str] = []
    with tarfile.open(archive, mode="r:*") as tar:
        # Iterating reads one header at a time, so a cap stops a huge archive early.
        for member in tar:
            budget.member()
            name = _member_name(member.name, is_dir=member.isdir())
            if member.isdir():
                continue
            if not member.isreg() or member.issparse():
                raise PathNotAllowed(
                    f"archive member {member.name!r} is not a regular file or folder"
                )
            budget.add_bytes(member.size)
            tar.extract(member, temp, filter="data")
            written.append(name)
    return written


def _extract_zip(archive: Path, temp: Path, caps: ArchiveLimits) -> list[str]:
    budget = _Budget(caps)
    written: list[str] = []
    with zipfile.ZipFile(archive) as bundle:
        for info in bundle.infolist():
            budget.member()
            name = _member_name(info.filename, is_dir=info.is_dir())
            if info.is_dir():
                continue
            # Zip writers that record no file type leave these bits zero: a plain file.
            kind = stat.S_IFMT(info.external_attr >> 16)
            if kind and kind != stat.S_IFREG:
                raise PathNotAllowed(
                    f"archive member {info.filename!r} is not a regular file or folder"
                )
            if info.flag_bits & 0x1:
                raise Unsupported(f"archive member {info.filename!r} is encrypted")
            _write_member(bundle, info, temp / name, budget)
            written.append(name)
    return written


def _write_member(
    bundle: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: _Budget
) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        writer = target.open("xb")
    except FileExistsError:
        raise PathNotAllowed(f"archive member {info.filename!r} appears twice") from None
    with bundle.open(info) as reader, writer:
        while chunk := reader.read(_CHUNK):
            budget.add_bytes(len(chunk))
            writer.write(chunk)


def _member_name(raw: str, *, is_dir: bool) -> str:
    name = clean_relative(raw)
    if not name and not is_dir:
        raise PathNotAllowed(f"archive member name {raw!r} names the destination itself")
    return name
