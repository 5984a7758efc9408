"""Confining paths that come from users, URIs and archives to the root they belong under.

Owns: the one check every untrusted relative path goes through before it touches a filesystem or a
datastore key — NUL bytes, absolute and drive-letter paths, `..` segments (with `/` or `\\` as the
separator), the same hidden behind percent-encoding, and symlinks that resolve outside the root.
Must not: open or create files, or decide *which* root applies; callers pass the root.

Hand-written because the rule set is small, security-relevant and has to be identical for local
folders (`confine`) and object-store keys (`clean_relative`), which no single library covers.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath
from urllib.parse import unquote

from cairn.errors import PathNotAllowed

# Decoding more than a few times finds nothing new in practice; the cap keeps the loop bounded.
_PERCENT_ROUNDS = 3
_DRIVE = re.compile(r"^[A-Za-z]:")


def clean_relative(relative: str | PurePath) -> str:
    """Return `relative` as a normalised POSIX path with no `.`/empty segments ("" for the root).

    Raises `PathNotAllowed` for NUL bytes, absolute or drive-letter paths, `..` segments, and any
    of these revealed by percent-decoding (up to three rounds), since some later layer (a URL, an
    object store, an HTTP client) may decode again.
    """
    text = relative.as_posix() if isinstance(relative, PurePath) else str(relative)
    _reject_unsafe(text, text)
    variant = text
    for _ in range(_PERCENT_ROUNDS):
        decoded = unquote(variant)
        if decoded == variant:
            break
        _reject_unsafe(decoded, text, encoded=True)
        variant = decoded
    parts = [part for part in text.split("/") if part not in ("", ".")]
    return "/".join(parts)


def _reject_unsafe(candidate: str, original: str, *, encoded: bool = False) -> None:
    how = " (percent-encoded)" if encoded else ""
    if "\x00" in candidate:
        raise PathNotAllowed(f"path {original!r} contains a NUL byte{how}")
    if candidate.startswith(("/", "\\")) or _DRIVE.match(candidate):
        raise PathNotAllowed(
            f"path {original!r} is absolute{how}; only paths relative to the root are allowed"
        )
    segments = candidate.replace("\\", "/").split("/")
    if ".." in segments:
        raise PathNotAllowed(f"path {original!r} leaves its root through '..'{how}")


def confine(root: Path, relative: str | PurePath) -> Path:
    """Resolve `relative` under `root` and return the absolute, symlink-resolved path.

    The result is guaranteed to lie inside `root` (itself resolved) even when a symlink inside the
    root points elsewhere; the target need not exist. Raises `PathNotAllowed` otherwise.
    """
    clean = clean_relative(relative)
    base = root.resolve()
    candidate = (base / clean).resolve() if clean else base
    if not is_within(candidate, base):
        raise PathNotAllowed(
            f"path {str(relative)!r} resolves outside its root through a symbolic link",
            details={"root": str(base)},
        )
    return candidate


def is_within(path: Path, root: Path) -> bool:
    """True when `path` is `root` or below it (both taken as given, not resolved)."""
    return path == root or path.is_relative_to(root)


def ensure_inside(path: Path, root: Path, *, what: str = "path") -> Path:
    """Resolve `path` (following symlinks) and raise `PathNotAllowed` unless it lies in `root`."""
    resolved = path.resolve()
    base = root.resolve()
    if not is_within(resolved, base):
        raise PathNotAllowed(
            f"{what} {str(path)!r} points outside {str(base)!r}",
            hint="copy the target into the folder instead of linking to it",
        )
    return resolved
